#pragma once
// The model as the engine sees it: a configuration and fp32 host weights in
// Hugging Face layout, whatever file they came from (GGUF or safetensors);
// loaded for a bf16 device, the 2-D weights of a BF16 safetensors file stay
// the file's bf16 bytes instead (LoadOptions in model/loader.h).
//
// Layout contract (all loaders must produce it):
//  * Linear weights are row-major [out_features, in_features], as in HF
//    `nn.Linear.weight`; y = W x.
//  * Q and K projections are in HF order: RoPE rotates pairs (i, i + d/2)
//    ("rotate_half"). GGUF files of the llama architecture store Q/K permuted
//    for interleaved RoPE; the GGUF loader undoes that permutation.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace selfens {

struct HostTensor {
  std::vector<int64_t> shape;  // row-major, outermost first
  std::vector<float> data;     // fp32, size = product of shape; empty when bf16 holds the values
  // The values as bf16 (2 little-endian bytes each, not necessarily 2-byte
  // aligned) in a mapped safetensors file that `keep` holds open: a bf16
  // device uploads them as they are, without an fp32 copy on the host.
  std::span<const uint8_t> bf16{};
  std::shared_ptr<const void> keep{};
  // A 2-D GGUF tensor stored as Q4_1 (3) or Q8_0 (8) also keeps its blocks
  // (rows x cols/32, row-major): the CPU backend's few-row products read
  // them instead of `data` (4-6x fewer bytes per decode step).
  uint32_t block_type = 0;
  std::vector<uint8_t> blocks{};
  bool empty() const { return data.empty() && bf16.empty(); }
  int64_t numel() const {
    return static_cast<int64_t>(data.empty() ? bf16.size() / 2 : data.size());
  }
};

// The values as fp32: `data`, or the bf16 bytes widened.
std::vector<float> fp32_values(const HostTensor& t);

struct RopeScaling {
  std::string type;                  // "" (none) or "llama3"
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string architecture;   // model/architecture.h hf_name, e.g. "LlamaForCausalLM"
  int vocab_size = 0;
  int hidden_size = 0;        // d_model
  int intermediate_size = 0;  // FFN width
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;       // GQA: num_heads % num_kv_heads == 0
  int head_dim = 0;           // usually hidden_size / num_heads
  int max_position_embeddings = 0;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;     // q/k/v biases (Qwen2)
  bool qk_norm = false;            // per-head RMSNorm on q and k (Qwen3)
  // Token ids from the model's files (config / generation_config / GGUF).
  int bos_token_id = -1;
  std::vector<int> eos_token_ids;
};

struct LayerWeights {
  HostTensor attn_norm;  // [hidden]
  HostTensor wq;         // [num_heads * head_dim, hidden]
  HostTensor wk;         // [num_kv_heads * head_dim, hidden]
  HostTensor wv;         // [num_kv_heads * head_dim, hidden]
  HostTensor bq, bk, bv; // [out] or empty
  HostTensor q_norm, k_norm;  // [head_dim] when config.qk_norm, else empty
  HostTensor wo;         // [hidden, num_heads * head_dim]
  HostTensor ffn_norm;   // [hidden]
  HostTensor w_gate;     // [intermediate, hidden]
  HostTensor w_up;       // [intermediate, hidden]
  HostTensor w_down;     // [hidden, intermediate]
};

struct ModelWeights {
  HostTensor tok_embeddings;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  HostTensor final_norm;      // [hidden]
  HostTensor lm_head;         // [vocab, hidden]; empty when tied to tok_embeddings
  const HostTensor& output() const { return lm_head.empty() ? tok_embeddings : lm_head; }
};

// Generation defaults from generation_config.json or GGUF metadata.
struct GenerationDefaults {
  float temperature = 1.0f;
  float top_p = 1.0f;
  int top_k = 0;
  bool do_sample = false;
};

// A loaded model: config, weights, and where its tokenizer comes from.
struct Model {
  std::string name;          // as the user named it
  std::string path;          // the file or directory it was read from
  ModelConfig config;
  ModelWeights weights;
  GenerationDefaults generation;
  // Tokenizer source: a tokenizer.json path, or the GGUF file itself.
  std::string tokenizer_json;  // non-empty for HF directories
  std::string gguf_path;       // non-empty for GGUF files
};

// Validates config against weight shapes; throws InputError naming `origin`
// and the field at fault.
void validate_model(const ModelConfig& config, const ModelWeights& weights,
                    const std::string& origin);

// Checks that `prompt_positions` positions of a prompt plus `new_tokens`
// generated ones fit the model's context (max_position_embeddings; no check
// when the model's files give none). InputError naming `what` (e.g.
// "question uuid 'X'"), the lengths and the limit.
void require_within_context(const ModelConfig& config, const std::string& what,
                            int64_t prompt_positions, int64_t new_tokens);

}  // namespace selfens
