#include "model/architecture.h"

#include "util/check.h"

namespace selfens {
namespace {

const std::vector<Architecture> kArchitectures = {
    // hf_name, model_type, gguf_name, qkv_bias, gguf_permuted_qk, qk_norm
    {"LlamaForCausalLM", "llama", "llama", false, true, false},  // Llama 3.x, SmolLM2, R1-Distill-Llama
    {"Qwen2ForCausalLM", "qwen2", "qwen2", true, false, false},  // Qwen2, Qwen2.5, R1-Distill-Qwen
    {"Qwen3ForCausalLM", "qwen3", "qwen3", false, false, true},  // Qwen3 (dense)
};

std::string supported(const char* Architecture::*field) {
  std::string out;
  for (const Architecture& a : kArchitectures) out += (out.empty() ? "" : ", ") + std::string(a.*field);
  return out;
}

}  // namespace

const std::vector<Architecture>& architectures() { return kArchitectures; }

const Architecture& architecture_from_hf(const std::string& name, const std::string& file) {
  for (const Architecture& a : kArchitectures)
    if (name == a.hf_name || name == a.model_type) return a;
  throw InputError(file + ": unsupported architecture " + (name.empty() ? "(none given)" : name) +
                   " (supported: " + supported(&Architecture::hf_name) + ")");
}

const Architecture& architecture_from_gguf(const std::string& name, const std::string& file) {
  for (const Architecture& a : kArchitectures)
    if (name == a.gguf_name) return a;
  throw InputError(file + ": unsupported architecture " + name + " (supported: " +
                   supported(&Architecture::gguf_name) + ")");
}

}  // namespace selfens
