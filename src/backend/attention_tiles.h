#pragma once
// How one forward call's attention is cut into blocks of GPU work: the
// host-side plan of the CUDA span-attention kernels (the "run" is in
// backend/cuda), kept free of CUDA so that CI tests it on the CPU against
// plain attention (tests/backend/attention_tiles_test.cpp).
//
// Three kinds of tile, run in this order:
//  1. Cascade tiles. A first segment (the shared few-shot prefix) seen by
//     many consecutive query entries of different groups is attended by
//     all of them together: one tile holds entries of several groups, so
//     the prefix's K/V is read once per rows_per_tile entries instead of
//     once per group tile. Each writes the entry's normalised partial
//     output and its log-sum-exp (the "cascade state").
//  2. Own tiles: entries of one group against the rest of their segments
//     (all of them when the entry is not cascaded), starting from the
//     cascade state when there is one. With the key range split (decode
//     steps of few rows: too few blocks to fill the GPU), each chunk writes
//     a partial result instead.
//  3. Merge: entries with partial results combine them (and their cascade
//     state) by log-sum-exp into the output.
// Plain C++17 (included by the CUDA sources).
#include <cstdint>
#include <vector>

namespace selfens {

struct AttentionBatch;

// Where a tile's result goes (AttnTile::part).
constexpr int32_t kTileToOutput = -1;   // the output (from the cascade state, if any)
constexpr int32_t kTileToCascade = -2;  // the cascade state (output rows + lse)

// One block of work: entries [entry_begin, entry_begin + n_rows) of
// AttentionBatch::rows (consecutive) against keys [key_begin, key_end) of
// segments [seg_begin, seg_end) laid end to end. The segments are those of
// `group` (the first entry's); a cascade tile's entries may belong to other
// groups, whose segment seg_begin - groups[group].seg_begin is the same span.
// A group's last segment is its own: its key i is visible to an entry only
// when i < self_limit (the kernel masks it).
struct AttnTile {
  int32_t group;
  int32_t entry_begin, n_rows;
  int32_t seg_begin, seg_end;
  int32_t key_begin, key_end;
  int32_t part;  // kTileToOutput, kTileToCascade, or the chunk index (>= 0)
};

struct AttnTilingOptions {
  int rows_per_tile = 1;  // entries per block (the kernel's query vectors / GQA ratio)
  // Cascade a first segment of at least cascade_min_keys keys shared by at
  // least cascade_min_entries consecutive entries (0: never).
  int cascade_min_entries = 0;
  int cascade_min_keys = 32;
  // Only groups of at most this many entries join a cascade (0: any). A
  // group with many entries (a prefill span) already reads the prefix once
  // for all of them in its own tiles; the cascade would only add a round
  // trip of its partial output through memory.
  int cascade_max_group_rows = 0;
  int page_size = 16;  // of the KV store (segments are compared page by page)
  // Split own tiles along their keys while own tiles x n_kv_heads is below
  // split_target_blocks (0: never), in chunks of at least split_min_keys
  // keys (rounded to key_quantum), with at most max_parts partial results.
  int split_target_blocks = 0;
  int n_kv_heads = 1;
  int split_min_keys = 64;
  int key_quantum = 32;
  int max_parts = 4096;
};

struct AttnTiling {
  std::vector<AttnTile> tiles;  // cascade tiles first, then own tiles
  int32_t n_cascade_tiles = 0;
  int32_t max_rows_cascade = 0, max_rows_own = 0;  // largest n_rows of each kind
  std::vector<int32_t> entry_cascaded;             // [n_entries] 1: has a cascade state
  std::vector<int32_t> entry_part_begin;           // [n_entries] its first partial row, or -1
  std::vector<int32_t> entry_parts;                // [n_entries] its partial results (chunks)
  int32_t n_parts = 0;                             // partial rows in all
  int32_t n_own_tiles() const { return int32_t(tiles.size()) - n_cascade_tiles; }
};

// The tiles of a plan that pack_attention has validated (group, segment and
// row ranges in bounds, self_limit within the own segment).
AttnTiling plan_attention_tiles(const AttentionBatch& plan, const AttnTilingOptions& opt);

}  // namespace selfens
