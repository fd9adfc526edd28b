#pragma once
// RoPE inverse frequencies of a model, scaling applied (HF semantics).
#include <vector>

#include "model/model.h"

namespace selfens {

// [head_dim / 2]: 1 / theta^(2i / head_dim), divided per the `llama3`
// rope_scaling rule when the config has it. Throws InputError for an
// unsupported rope_scaling type.
std::vector<float> rope_inv_freq(const ModelConfig& config);

}  // namespace selfens
