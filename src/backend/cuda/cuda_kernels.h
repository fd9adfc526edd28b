#pragma once
// Launchers of the CUDA backend's kernels (cuda_kernels.cu, cuda_attention.cu).
// Plain C++17 (nvcc compiles the .cu files in its default dialect); every
// pointer is a device pointer, every launch goes on `stream` and is checked.
// Shapes are row-major; n = rows.
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/attention_tiles.h"
#include "backend/cuda/cuda_half.h"

namespace selfens::cuda {

// Device copy of one AttnSegment (same layout: memcpy'd from the host plan).
struct SegDev {
  int32_t page_begin;  // index into the pages array
  int32_t n_tokens;    // keys of this segment
  float bias;          // added to the scaled scores
  float scale;         // multiplies them first
};
// Device copy of one AttnGroup (same layout).
struct GroupDev {
  int32_t seg_begin, seg_end;
  int32_t row_begin, row_end;
};

// The attention plan on the device: this header and the arrays it points to
// live in one uploaded buffer, and kernels take the header's device address
// (not the header by value): a recorded CUDA graph then stays valid when the
// next step's plan, of other sizes, is uploaded to the same buffer.
struct AttnPlanDev {
  const GroupDev* groups;      // [n_groups]
  const SegDev* segments;      // [n_segments]
  const int32_t* pages;        // [n_pages] page ids
  const int32_t* rows;         // [n_entries] batch row of each query entry
  const int32_t* self_limit;   // [n_entries] visible tokens of the own (last) segment
  const AttnTile* tiles;       // [n_tiles] (attention_tiles.h; a launch takes a range)
  const int32_t* entry_cascaded;    // [n_entries] 1: a cascade tile wrote its state
  const int32_t* entry_part_begin;  // [n_entries] first partial row, or -1
  const int32_t* entry_parts;       // [n_entries] partial results to merge
  int32_t n_entries;
  float scale;  // 1 / sqrt(head_dim)
};

// Buffers named *_bf16 and caches with cache_bf16 hold the 16-bit type that
// `half` names (cuda_half.h).
// out[i] = table[tokens[i]]; table [vocab, d] fp32 or 16-bit (table_bf16), out [n, d] fp32.
void launch_embed(const void* table, bool table_bf16, const int32_t* tokens, int64_t n, int64_t d,
                  float* out, Half16 half, cudaStream_t stream);
// out = x / rms(x) * w; x, out [n, d] (may alias); w [d].
// out_bf16 (may be null): a bf16 copy of out [n, d], the next GEMM's input.
// write_f32 false: out_bf16 only (out not written: Tensor::products_only).
void launch_rmsnorm(const float* x, const float* w, float eps, int64_t n, int64_t d, float* out,
                    void* out_bf16, Half16 half, cudaStream_t stream, bool write_f32 = true);
// x += y, then out = x / rms(x) * w; x, y, out [n, d] (y and out may alias);
// out_bf16 (may be null) as for launch_rmsnorm.
void launch_add_rmsnorm(float* x, const float* y, const float* w, float eps, int64_t n, int64_t d,
                        float* out, void* out_bf16, Half16 half, cudaStream_t stream,
                        bool write_f32 = true);
// dst[i] = 16-bit(src[i]) for i < count, rounded to nearest even.
void launch_f32_to_bf16(const float* src, void* dst, int64_t count, Half16 half,
                        cudaStream_t stream);
// fp8 E4M3 rows, one fp32 scale each: dst[r, c] = e4m3(src[r, c] / scales[r]),
// scales[r] = max_c |src[r, c]| / 448 (1 for a row of zeros, or of values
// all below 448 * FLT_MIN, which round to zeros); src [rows, cols]
// 16-bit, dst [rows, cols] bytes; cols % 16 == 0. The fp8 weights at load
// and every fp8 product's input rows.
void launch_quantize_rows_fp8(const void* src, int64_t rows, int64_t cols, void* dst,
                              float* scales, Half16 half, cudaStream_t stream);
// out[r, o] += bias[o]; out [n, d], bias [d].
void launch_add_bias(float* out, const float* bias, int64_t n, int64_t d, cudaStream_t stream);
// rotate_half RoPE in place: q [n, n_heads * 2*half], k [n, n_kv_heads * 2*half],
// inv_freq [half], positions [n].
void launch_rope(float* q, float* k, int n_heads, int n_kv_heads, int half, const float* inv_freq,
                 const int32_t* positions, int64_t n, cudaStream_t stream);
// gate = silu(gate) * up; both [count] (the first n rows, contiguous).
// gate_bf16 (may be null): a bf16 copy of the result.
void launch_silu_mul(float* gate, const float* up, int64_t count, void* gate_bf16, Half16 half,
                     cudaStream_t stream, bool write_f32 = true);
// x += y; both [count].
// out = bf16(silu(gate) * up); gate, up, out bf16 [count] (count even; out may be gate).
void launch_silu_mul_bf16(const void* gate, const void* up, int64_t count, void* out, Half16 half,
                          cudaStream_t stream);
void launch_add(float* x, const float* y, int64_t count, cudaStream_t stream);
// out[i] = x[rows[i]]; x [*, d], rows [n], out [n, d].
void launch_gather_rows(const float* x, const int32_t* rows, int64_t n, int64_t d, float* out,
                        cudaStream_t stream);
// KV store of one layer: k_cache, v_cache [n_pages, page_size, kvd], fp32
// or (cache_bf16) bf16. Write: row i of k, v [n, kvd] goes to slot
// (pages[i], offsets[i]). slots [n, 2] int32 (page, offset) pairs, as KvSlot.
void launch_kv_write(const float* k, const float* v, const int32_t* slots, int64_t n, int kvd,
                     int page_size, void* k_cache, void* v_cache, bool cache_bf16,
                     Half16 half, cudaStream_t stream);
// Read: k, v [n, kvd] fp32 from the slots (the inverse of launch_kv_write).
void launch_kv_read(const void* k_cache, const void* v_cache, bool cache_bf16, const int32_t* slots,
                    int64_t n, int kvd, int page_size, float* k, float* v, Half16 half,
                    cudaStream_t stream);

// Device copy of one TokenChoice (same layout; kind 0 weighted sum, 1 max prob).
struct ChoiceDev {
  int32_t row_begin, n_rows, kind, weight_begin;
};
constexpr int kMaxChoiceRows = 64;  // rows fused by one choice on the device
// Device copy of one SampleDraw (same layout).
struct DrawDev {
  float temperature, top_p;
  int32_t top_k, unused;
  double u;
};
// Kept tokens a sampled choice handles on the device; a choice that keeps
// more (top-k off over a flat distribution) gets id -1: the host draws it.
constexpr int kMaxSampleKept = 2048;
// The id of a fused or greedy choice whose scores are not all finite (the
// host reports it: in the fp16 mode, a value beyond fp16's range).
constexpr int32_t kNotFinite = -2;
// out[c] = argmax of choice c's fused rows, or (kind 2) its sampled token
// (cuda_choose.cu); logits [*, vocab], weights as ChoicePlan::weights, draws
// as ChoicePlan::draws.
void launch_choose_tokens(const float* logits, int vocab, const ChoiceDev* choices, int n_choices,
                          const float* weights, const DrawDev* draws, int32_t* out,
                          cudaStream_t stream);

// Entries per tile for this GQA shape (at most 32 query vectors per block).
int attention_rows_per_tile(int n_heads, int n_kv_heads);

// Span attention of one layer (cuda_attention.cu): for every query entry and
// head, softmax(q k^T * scale + bias) v over the entry's visible keys.
// q, out [n, n_heads * head_dim]; k_cache, v_cache [n_pages, page_size,
// n_kv_heads * head_dim]; head_dim 16, 32, 64, 96, 128 or 256; tiles cover
// every entry of every group once, none more than max_tile_rows entries,
// each over all its group's segments (plain tiles: no cascade, no chunks).
void launch_span_attention(const float* q, const float* k_cache, const float* v_cache,
                           const AttnPlanDev* plan, int n_tiles, int max_tile_rows, int n_heads,
                           int n_kv_heads, int head_dim, int page_size, float* out,
                           cudaStream_t stream);

// Where cascade tiles and key chunks leave their partial results
// (attention_tiles.h): the cascade state is the entry's output rows
// (normalised) plus lse; chunks go to part_o / part_lse.
struct AttnStateDev {
  float* lse;       // [n_entries, n_heads] log-sum-exp of the cascade state
  float* part_o;    // [n_parts, n_heads * head_dim] normalised partial outputs
  float* part_lse;  // [n_parts, n_heads]
};

// Tensor-core span attention over a bf16 KV store (cuda_attention_mma.cu):
// the same plan and result as launch_span_attention, bf16 products with
// fp32 accumulation, for tiles [tile_begin, tile_begin + n_tiles) of the
// plan (at most attention_mma_rows_per_tile entries each; any kind of
// attention_tiles.h: cascade tiles, then own tiles, then
// launch_attention_merge when there are partial results).
bool attention_mma_supported(int head_dim);  // 16, 32, 64, 96, 128
int attention_mma_rows_per_tile(int n_heads, int n_kv_heads);
constexpr int kMmaDecodeKeyTile = 32;  // keys per shared-memory tile of one-warp (decode) blocks
constexpr int kDecodeWarps = 4;        // (tile, kv head) items per block of the decode kernel
void launch_span_attention_mma(const float* q, const void* k_cache, const void* v_cache,
                               const AttnPlanDev* plan, int tile_begin, int n_tiles,
                               int max_tile_rows, int n_heads, int n_kv_heads, int head_dim,
                               int page_size, float* out, void* out_bf16, AttnStateDev state,
                               Half16 half, cudaStream_t stream, int min_blocks = 0,
                               bool out_f32 = true);
// (min_blocks 3: the several-warp kernel built for three blocks per
// multiprocessor, its registers capped; 0: as the compiler chooses.
// out_f32 false: the final output goes to out_bf16 only; cascade states
// still pass through out.)
// Decode steps' own tiles (one row each) on the CUDA cores
// (cuda_attention_decode.cu): the same tiles and results as
// launch_span_attention_mma's, fp32 arithmetic; head_dim 64 or 128, at most
// 8 query heads per kv head.
bool attention_decode_supported(int head_dim, int n_heads, int n_kv_heads);
void launch_span_attention_decode(const float* q, const void* k_cache, const void* v_cache,
                                  const AttnPlanDev* plan, int tile_begin, int n_tiles,
                                  int n_heads, int n_kv_heads, int head_dim, int page_size,
                                  float* out, void* out_bf16, AttnStateDev state, Half16 half,
                                  cudaStream_t stream, bool out_f32 = true);
// out (and out_bf16, if not null) of every entry with partial results: the
// log-sum-exp merge of its chunks and its cascade state.
void launch_attention_merge(const AttnPlanDev* plan, int n_entries, int n_heads, int head_dim,
                            float* out, void* out_bf16, AttnStateDev state, Half16 half,
                            cudaStream_t stream, bool out_f32 = true);

}  // namespace selfens::cuda
