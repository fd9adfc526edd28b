#include "engine/rope.h"

#include <cmath>
#include <numbers>

#include "util/check.h"

namespace selfens {

namespace {

// HF `_compute_llama3_parameters`: keep high frequencies, divide low ones by
// `factor`, interpolate smoothly in between.
float llama3_scale(float inv_freq, const RopeScaling& s) {
  const double old_ctx = s.original_max_position_embeddings;
  const double low_wavelen = old_ctx / s.low_freq_factor;
  const double high_wavelen = old_ctx / s.high_freq_factor;
  const double wavelen = 2.0 * std::numbers::pi / double(inv_freq);
  if (wavelen < high_wavelen) return inv_freq;
  if (wavelen > low_wavelen) return float(inv_freq / s.factor);
  const double smooth = (old_ctx / wavelen - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
  return float((1.0 - smooth) * inv_freq / s.factor + smooth * inv_freq);
}

}  // namespace

std::vector<float> rope_inv_freq(const ModelConfig& config) {
  const int hd = config.head_dim;
  SELFENS_REQUIRE(hd > 0 && hd % 2 == 0,
                  "model config: head_dim must be even and > 0, got " + std::to_string(hd));
  const std::string& type = config.rope_scaling.type;
  SELFENS_REQUIRE(type.empty() || type == "llama3" || type == "default",
                  "model config: rope_scaling type '" + type +
                      "' is not supported (supported: none, llama3)");
  std::vector<float> inv(size_t(hd / 2));
  for (int i = 0; i < hd / 2; ++i) {
    // As HF: base ** (arange(0, d, 2).float() / d), in float32.
    const float expo = float(2 * i) / float(hd);
    float f = 1.0f / std::pow(config.rope_theta, expo);
    if (type == "llama3") f = llama3_scale(f, config.rope_scaling);
    inv[size_t(i)] = f;
  }
  return inv;
}

}  // namespace selfens
