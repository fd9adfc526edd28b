#include "model/footprint.h"

#include <cstdio>
#include <filesystem>

#include "model/gguf.h"
#include "model/loader.h"
#include "util/check.h"

namespace selfens {

ModelConfig peek_model_config(const std::string& path) {
  if (std::filesystem::is_directory(path))
    return hf_model_config((std::filesystem::path(path) / "config.json").string());
  return gguf_model_config(GgufFile(path));
}

int64_t layer_parameter_count(const ModelConfig& c) {
  const int64_t d = c.hidden_size, q = int64_t{c.num_heads} * c.head_dim,
                kv = int64_t{c.num_kv_heads} * c.head_dim, ff = c.intermediate_size;
  int64_t layer = d * q + 2 * d * kv + q * d + 3 * d * ff + 2 * d;
  if (c.attention_bias) layer += q + 2 * kv;
  if (c.qk_norm) layer += 2 * int64_t{c.head_dim};
  return layer;
}

int64_t parameter_count(const ModelConfig& c) {
  const int64_t embeddings = int64_t{c.vocab_size} * c.hidden_size;
  return embeddings * (c.tie_word_embeddings ? 1 : 2) + c.num_layers * layer_parameter_count(c) +
         c.hidden_size;
}

void require_fits(const std::string& model_path, const ModelConfig& config,
                  const DeviceMemory& device) {
  if (device.bytes <= 0) return;
  const int64_t params = parameter_count(config);
  const double need = double(params) * device.bytes_per_parameter;
  const double have = double(device.bytes);
  if (need <= kWeightShareOfDevice * have) return;
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  char msg[512];
  std::snprintf(msg, sizeof msg,
                "%s: %.1f B parameters need %.1f GiB as %s weights on --device %s%s, but %s "
                "has %.1f GiB (weights may take at most %.0f%%)",
                model_path.c_str(), double(params) / 1e9, need / kGiB,
                device.weight_type.c_str(), device.device.c_str(),
                device.split_parts > 0 ? " --split layers" : "", device.description.c_str(),
                have / kGiB, 100 * kWeightShareOfDevice);
  std::string fix;
  char split[160] = "";
  if (device.split_parts == 0 && device.gpus > 1 &&
      need <= kWeightShareOfDevice * double(device.all_gpus_bytes))
    std::snprintf(split, sizeof split, "--split layers --devices all (its %d GPUs: %.1f GiB)",
                  device.gpus, double(device.all_gpus_bytes) / kGiB);
  if (device.bytes_per_parameter == 4 && double(params) * 2 <= kWeightShareOfDevice * have && device.device != "cpu")
    fix = "; --device cuda (bf16) would fit it";
  else if (split[0] != '\0')
    fix = std::string("; ") + split + " would fit it";
  else
    fix = "; use a smaller model, or more or larger GPUs (--split layers --devices ...)";
  throw InputError(msg + fix);
}

}  // namespace selfens
