#pragma once
// How much memory a model's weights take on a device, known before loading
// them (config.json or GGUF metadata only), so a model that cannot fit is
// refused in a line instead of failing (or swapping) halfway through a load.
#include <cstdint>
#include <string>

#include "model/model.h"

namespace selfens {

// The config of a .gguf file or HF directory, read without any weights.
ModelConfig peek_model_config(const std::string& path);

// Parameters of a Llama-like decoder with this config (embeddings, layers,
// final norm, an untied lm_head).
int64_t parameter_count(const ModelConfig& config);
// Parameters of one decoder layer of it (attention, feed-forward, norms, biases).
int64_t layer_parameter_count(const ModelConfig& config);

// Where the weights will live: the device's name and memory, and the bytes
// one parameter takes there (4 for fp32 devices, 2 for bf16 ones).
struct DeviceMemory {
  std::string device;        // "cpu", "cuda" ...
  std::string description;   // "this machine's RAM", "NVIDIA H100 ..., 79.1 GiB"
  int64_t bytes = 0;         // 0: unknown, no check
  int bytes_per_parameter = 4;
  std::string weight_type = "fp32";  // "fp32", "bf16", "fp16": for messages
  // --split layers: the weights go over `split_parts` devices and `bytes`
  // is their sum (each part's own fit is checked when the layers are
  // placed, engine/layer_split.h). 0: one device.
  int split_parts = 0;
  // GPUs of this machine and their memory in all, for the hint that a model
  // too large for one would fit split over them (0: no such hint).
  int gpus = 0;
  int64_t all_gpus_bytes = 0;
};

// The share of a device's memory weights may take (the rest: activations,
// KV, runtime): the fit check below and the layer split (engine/layer_split.h).
inline constexpr double kWeightShareOfDevice = 0.9;

// InputError naming the model, its parameter count and weight size at the
// device's precision, the device's memory and what would fit, when the
// weights need more than kWeightShareOfDevice of it.
void require_fits(const std::string& model_path, const ModelConfig& config,
                  const DeviceMemory& device);

}  // namespace selfens
