#pragma once
// The attention plan of a forward call, validated and packed for the
// device (private to backend/cuda): host-side only, no CUDA calls. The
// backend packs the plan once per forward call (prepare_step), uploads the
// bytes through its plan buffer, and every layer's attention call reads it.
//
// Packed layout: an AttnPlanDev header (its pointers filled in once the
// buffer's device address is known: write_plan_header), then the plan's
// arrays and its tiles, each 16-byte aligned.
#include <array>
#include <cstdint>
#include <vector>

#include "backend/attention_tiles.h"
#include "backend/backend.h"
#include "backend/cuda/cuda_kernels.h"

namespace selfens::cuda {

struct PackedAttention {
  const AttentionBatch* source = nullptr;  // the plan it was packed from
  std::array<size_t, 6> shape{};           // its sizes, q rows and heads
  const AttnPlanDev* dev = nullptr;        // device header (null: not uploaded yet)
  std::array<size_t, 9> offsets{};         // of the arrays in the packed bytes
  int32_t n_entries = 0;
  float scale = 1.0f;
  int n_tiles = 0;  // cascade tiles first, then own tiles
  int n_cascade_tiles = 0, max_rows_cascade = 1;
  int max_tile_rows = 1;  // of the own tiles
  int n_parts = 0;        // partial results (key chunks) to merge
};

// Appends `bytes` to `buf` at a 16-byte aligned offset; returns that offset
// (the packing of the plan, and of the token choices).
size_t append_aligned(std::vector<char>& buf, const void* data, size_t bytes);
template <typename T>
size_t append_vec(std::vector<char>& buf, const std::vector<T>& v) {
  return append_aligned(buf, v.data(), v.size() * sizeof(T));
}

// The sizes that identify a packed plan: an attention call reuses the
// packed plan when its plan has the same address and these sizes.
std::array<size_t, 6> attention_plan_shape(const AttentionBatch& plan, int64_t q_rows,
                                           int n_heads);

// Checks `plan` against a batch of q_rows rows and the KV store (throws on a
// malformed plan), plans its tiles into `tiling` (tensor-core layout when
// `mma`, with the cascade/split settings of `options`; the plain kernel's
// otherwise) and packs everything into `bytes`.
PackedAttention pack_attention_plan(const AttentionBatch& plan, int64_t q_rows, int n_heads,
                                    const KvShape& kv, bool mma, const AttnTilingOptions& options,
                                    AttnTiling& tiling, std::vector<char>& bytes);

// Writes the header for packed bytes that will live at device address `dev`.
void write_plan_header(const PackedAttention& pa, const char* dev, std::vector<char>& bytes);

}  // namespace selfens::cuda
