#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_gguf and fuzz_safetensors: a few tiny valid
files made with gguf-py and safetensors (run from the repository root)."""
import os

import numpy as np
import gguf
from gguf.quants import quantize
from safetensors.numpy import save_file

T = gguf.GGMLQuantizationType
rng = np.random.default_rng(7)
os.makedirs("fuzz/corpus/gguf", exist_ok=True)
os.makedirs("fuzz/corpus/safetensors", exist_ok=True)


def write_gguf(path, tensors, arch="llama"):
    w = gguf.GGUFWriter(path, arch)
    w.add_block_count(1)
    w.add_uint8("test.u8", 3)
    w.add_array("test.strings", ["a", "bc"])
    w.add_array("test.floats", [0.5, 1.5])
    w.add_bool("test.flag", True)
    for name, (arr, qtype) in tensors.items():
        w.add_tensor(name, arr, raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


x = rng.standard_normal((2, 64)).astype(np.float32)
write_gguf("fuzz/corpus/gguf/f32_f16_q8.gguf", {
    "a.weight": (x, T.F32),
    "b.weight": (x.astype(np.float16), T.F16),
    "c.weight": (quantize(x, T.Q8_0), T.Q8_0),
})
write_gguf("fuzz/corpus/gguf/q4.gguf", {
    "q40": (quantize(x, T.Q4_0), T.Q4_0),
    "q41": (quantize(x, T.Q4_1), T.Q4_1),
}, arch="qwen2")
kq = {}
for qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
    nbytes = gguf.constants.GGML_QUANT_SIZES[qtype][1]
    raw = rng.integers(0, 256, size=(1, nbytes), dtype=np.uint8)
    off = 208 if qtype == T.Q6_K else 0
    raw[0, off:off + 2] = np.array([0.01], dtype=np.float16).view(np.uint8)
    kq[qtype.name] = (raw, qtype)
write_gguf("fuzz/corpus/gguf/kquants.gguf", kq)

save_file({"w": x, "h": x.astype(np.float16), "i": np.arange(4, dtype=np.int64)},
          "fuzz/corpus/safetensors/mixed.safetensors", metadata={"format": "pt"})
save_file({"model.norm.weight": np.ones(8, dtype=np.float32)}, "fuzz/corpus/safetensors/one.safetensors")
