#pragma once
// The decoder families selfens runs, each one entry that both loaders
// (hf_model.cpp, gguf_model.cpp) and the forward pass read. Every family
// here is a Llama-like block: RMSNorm, attention with rotate-half RoPE
// (optionally llama3-scaled) and grouped KV heads, a SwiGLU MLP (silu),
// residuals, tied or untied embeddings; the entry states what differs.
// A new Llama-like family is one entry in architecture.cpp (docs/extending.md).
#include <string>
#include <vector>

namespace selfens {

struct Architecture {
  const char* hf_name;     // config.json "architectures"[0], e.g. "Qwen2ForCausalLM"
  const char* model_type;  // config.json "model_type" (used when "architectures" is absent)
  const char* gguf_name;   // GGUF general.architecture, e.g. "qwen2"
  // q/k/v projections always carry biases (Qwen2); otherwise config.json's
  // attention_bias (or, in GGUF, the presence of blk.0.attn_q.bias) decides.
  bool qkv_bias;
  // llama.cpp's converter permuted the Q/K rows of this family for its
  // interleaved RoPE; the GGUF loader undoes it.
  bool gguf_permuted_qk;
  // Per-head RMSNorm on q and k (over head_dim, after the projections,
  // before RoPE; Qwen3): HF self_attn.{q,k}_norm, GGUF attn_{q,k}_norm.
  bool qk_norm;
};

const std::vector<Architecture>& architectures();
// By config.json's architecture name or model_type; InputError naming
// `file` and the supported names otherwise.
const Architecture& architecture_from_hf(const std::string& name, const std::string& file);
// By GGUF general.architecture; InputError naming `file` otherwise.
const Architecture& architecture_from_gguf(const std::string& name, const std::string& file);

}  // namespace selfens
