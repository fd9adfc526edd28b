#pragma once
// Where a span-attention tile's result for one (entry, head) goes
// (attention_tiles.h): the output row, or with its log-sum-exp the cascade
// state (kTileToCascade) or a key chunk's partial row (part >= 0). Shared by
// the tensor-core and the decode kernels.
#if defined(__CUDACC__)

#include "backend/cuda/cuda_kernels.h"

namespace selfens::cuda {

struct TileDest {
  float* o;    // the head's head_dim outputs
  float* lse;  // where its log-sum-exp goes, or null (final output)
};

// out_head: the head's outputs in `out` (row * n_heads + head) * head_dim.
__device__ __forceinline__ TileDest tile_destination(const AttnPlanDev& plan,
                                                     const AttnStateDev& state, const AttnTile& tile,
                                                     int entry, int head, int n_heads, int head_dim,
                                                     float* out_head) {
  if (tile.part == kTileToCascade) return {out_head, state.lse + int64_t(entry) * n_heads + head};
  if (tile.part >= 0) {
    const int64_t prow = plan.entry_part_begin[entry] + tile.part;
    return {state.part_o + (prow * n_heads + head) * head_dim, state.part_lse + prow * n_heads + head};
  }
  return {out_head, nullptr};
}

}  // namespace selfens::cuda

#endif  // __CUDACC__
