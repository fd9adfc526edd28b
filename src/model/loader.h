#pragma once
// Loading a Model from the files it ships in: a GGUF file, a Hugging Face
// directory, or a name resolved through the models table / HF cache.
// Every loader returns weights in the HF layout of model/model.h, validated
// against the config; bad files throw InputError naming file and field.
#include <string>

#include "model/footprint.h"
#include "model/gguf.h"
#include "model/model.h"

namespace selfens {

struct LoadOptions {
  // 2-D weights stored as BF16 in safetensors stay the mapped file's bytes
  // (HostTensor::bf16): for bf16 devices, which need no fp32 copy. GGUF
  // files and other dtypes load as fp32 either way.
  bool bf16_views = false;
  // Where the weights go: load_model refuses a model whose weights cannot
  // fit it (model/footprint.h) before reading them. bytes 0: no check.
  DeviceMemory device{};
};

// A name from the models table (see model/resolve.h), a path to a .gguf file
// or an HF directory, or an HF repo id found in the HF cache.
Model load_model(const std::string& name_or_path, const LoadOptions& options = {});

// A llama / qwen2 GGUF file; Q/K of the llama architecture are unpermuted.
Model load_gguf_model(const std::string& path);

// An HF directory: config.json, model.safetensors (or shards with
// model.safetensors.index.json), tokenizer.json, generation_config.json.
Model load_hf_model(const std::string& dir, const LoadOptions& options = {});

// The ModelConfig described by a GGUF file's metadata (and rope_freqs tensor).
ModelConfig gguf_model_config(const GgufFile& file);
// The ModelConfig of an HF directory's config.json.
ModelConfig hf_model_config(const std::string& config_json);

// Undoes llama.cpp's Q/K row permutation for interleaved RoPE: within each of
// n_head heads, row 2*j + p moves to p * head_dim/2 + j (HF rotate_half order).
// w: [n_head * head_dim, cols] or a bias [n_head * head_dim].
void unpermute_qk_rows(HostTensor& w, int n_head);

// llama3 RoPE frequency divisor for rotary pair i of head_dim (HF semantics):
// 1 for high frequencies, `factor` for low ones, smooth in between.
double llama3_rope_divisor(const ModelConfig& config, int i);

}  // namespace selfens
