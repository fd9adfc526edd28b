#!/usr/bin/env python3
"""Writes tests/fixtures/dequant_golden.json, the reference for the C++ GGUF
dequantization and llama Q/K unpermutation tests.

Two parts:
  * "model": statistics (sum, sum of squares, first 16 values) of tensors of
    the SmolLM2-135M-Instruct Q4_1 GGUF, dequantized by gguf-py and put in HF
    layout (llama Q/K unpermuted), keyed by HF names. When torch and
    transformers are present, each is also checked against
    transformers' own GGUF loading (AutoModelForCausalLM(..., gguf_file=)).
  * "blocks": small raw blocks of every supported ggml type (made with
    gguf-py's quantizers, or random bytes with sane scales where gguf-py has
    no quantizer) with gguf-py's dequantized fp32 values.

Usage: python3 tools/reference/make_dequant_golden.py [--gguf PATH] [--out PATH]
"""
import argparse
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

# GGUF name -> HF name, for the tensors recorded.
MODEL_TENSORS = {
    "token_embd.weight": "model.embed_tokens.weight",
    "blk.0.attn_q.weight": "model.layers.0.self_attn.q_proj.weight",
    "blk.0.attn_k.weight": "model.layers.0.self_attn.k_proj.weight",
    "blk.0.attn_v.weight": "model.layers.0.self_attn.v_proj.weight",
    "blk.0.attn_output.weight": "model.layers.0.self_attn.o_proj.weight",
    "blk.0.ffn_down.weight": "model.layers.0.mlp.down_proj.weight",
    "blk.0.attn_norm.weight": "model.layers.0.input_layernorm.weight",
    "blk.29.attn_q.weight": "model.layers.29.self_attn.q_proj.weight",
    "blk.29.attn_k.weight": "model.layers.29.self_attn.k_proj.weight",
    "blk.29.ffn_gate.weight": "model.layers.29.mlp.gate_proj.weight",
    "blk.29.ffn_up.weight": "model.layers.29.mlp.up_proj.weight",
    "blk.29.ffn_norm.weight": "model.layers.29.post_attention_layernorm.weight",
    "output_norm.weight": "model.norm.weight",
}


def unpermute(w, n_head):
    """Inverse of llama.cpp's permute(): rows (head, j, pair) -> (head, pair, j)."""
    rows = w.shape[0]
    return w.reshape(n_head, rows // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def stats(name, a):
    a = np.asarray(a, dtype=np.float32)
    a64 = a.astype(np.float64)
    return {"name": name, "shape": list(a.shape), "sum": float(a64.sum()),
            "sum_sq": float((a64 * a64).sum()), "first": [float(x) for x in a.reshape(-1)[:16]]}


def model_part(path):
    r = gguf.GGUFReader(path)
    field = lambda k: r.fields[k].parts[r.fields[k].data[0]][0]
    n_head, n_kv = int(field("llama.attention.head_count")), int(field("llama.attention.head_count_kv"))
    tensors, arrays = [], {}
    for t in r.tensors:
        if t.name not in MODEL_TENSORS:
            continue
        a = dequantize(t.data, t.tensor_type).astype(np.float32)  # shape = reversed ne
        if ".attn_q." in t.name:
            a = unpermute(a, n_head)
        elif ".attn_k." in t.name:
            a = unpermute(a, n_kv)
        hf = MODEL_TENSORS[t.name]
        arrays[hf] = a
        entry = stats(hf, a)
        entry["ggml_type"] = t.tensor_type.name
        tensors.append(entry)
    check_against_transformers(path, arrays)
    return {"file": os.path.basename(path), "tensors": tensors}


def check_against_transformers(path, arrays):
    try:
        import torch  # noqa: F401
        from transformers import AutoModelForCausalLM
    except ImportError:
        print("torch/transformers missing: skipped the transformers cross-check", file=sys.stderr)
        return
    m = AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                             dtype="float32")
    sd = m.state_dict()
    for name, a in arrays.items():
        b = sd[name].float().numpy()
        assert b.shape == a.shape, (name, b.shape, a.shape)
        err = float(np.abs(a - b).max())
        assert err <= 1e-6 * max(1.0, float(np.abs(b).max())), (name, err)
        print(f"transformers agrees on {name} {a.shape} (max abs diff {err:g})", file=sys.stderr)


def random_kquant_blocks(qtype, rng, n_blocks):
    """Random block bytes with finite, moderate f16 scales at their offsets."""
    _, nbytes = gguf.constants.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, nbytes), dtype=np.uint8)
    scale_offsets = {T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}[qtype]
    for off in scale_offsets:
        scales = rng.uniform(1e-3, 5e-2, size=n_blocks).astype(np.float16)
        raw[:, off:off + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(-1)


def blocks_part(seed=1234):
    rng = np.random.default_rng(seed)
    out = []
    n = 512  # elements per case: 2 K-quant super-blocks, 16 32-element blocks
    for qtype in (T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q8_0):
        x = (rng.standard_normal(n) * 0.7).astype(np.float32)
        raw = quantize(x.reshape(1, n), qtype).reshape(-1).view(np.uint8)
        out.append(block_case(qtype, raw, n))
    for qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
        out.append(block_case(qtype, random_kquant_blocks(qtype, rng, n // 256), n))
    for qtype in (T.Q5_0, T.Q5_1):  # after the others: their cases keep their bytes
        x = (rng.standard_normal(n) * 0.7).astype(np.float32)
        raw = quantize(x.reshape(1, n), qtype).reshape(-1).view(np.uint8)
        out.append(block_case(qtype, raw, n))
    return out


def block_case(qtype, raw, n):
    raw = np.ascontiguousarray(raw, dtype=np.uint8)
    y = dequantize(raw.reshape(1, -1), qtype).astype(np.float32).reshape(-1)
    assert y.size == n and np.isfinite(y).all()
    return {"type": qtype.name, "type_id": int(qtype), "n": n, "hex": raw.tobytes().hex(),
            "values": [float(v) for v in y]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    models_dir = os.environ.get("SELFENS_MODELS_DIR", os.path.expanduser("~/.cache/selfens/models"))
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", default=os.path.join(models_dir, "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "tests", "fixtures", "dequant_golden.json"))
    args = ap.parse_args()
    doc = {"generator": "tools/reference/make_dequant_golden.py", "gguf_py_version": gguf_version(),
           "model": model_part(args.gguf), "blocks": blocks_part()}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)", file=sys.stderr)


def gguf_version():
    try:
        from importlib.metadata import version
        return version("gguf")
    except Exception:
        return "unknown"


if __name__ == "__main__":
    main()
