// Validation and packing of an attention plan (see cuda_attention_plan.h).
#include "backend/cuda/cuda_attention_plan.h"

#include <algorithm>
#include <cstring>

#include "util/check.h"

namespace selfens::cuda {

size_t append_aligned(std::vector<char>& buf, const void* data, size_t bytes) {
  const size_t at = (buf.size() + 15) / 16 * 16;
  buf.resize(at + bytes);
  if (bytes > 0) std::memcpy(buf.data() + at, data, bytes);
  return at;
}

namespace {

// The kernels trust the plan: every index is checked here, once per call.
void check_plan(const AttentionBatch& plan, int64_t q_rows, const KvShape& kv) {
  SELFENS_CHECK(plan.rows.size() == plan.self_limit.size(), "attention plan rows/self_limit");
  // Entry -> group, to validate each entry against its group's last segment.
  std::vector<int32_t> entry_group(plan.rows.size(), -1);
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const AttnGroup& gr = plan.groups[g];
    SELFENS_CHECK(gr.seg_begin < gr.seg_end && gr.seg_end <= int32_t(plan.segments.size()) &&
                      gr.row_begin <= gr.row_end && gr.row_end <= int32_t(plan.rows.size()),
                  "attention plan group ranges");
    for (int32_t e = gr.row_begin; e < gr.row_end; ++e) entry_group[size_t(e)] = int32_t(g);
  }
  for (size_t e = 0; e < plan.rows.size(); ++e)
    SELFENS_CHECK(
        entry_group[e] >= 0 && plan.rows[e] >= 0 && plan.rows[e] < q_rows &&
            plan.self_limit[e] >= 1 &&
            plan.self_limit[e] <=
                plan.segments[size_t(plan.groups[size_t(entry_group[e])].seg_end - 1)].n_tokens,
        "attention plan entry");
  for (const AttnSegment& s : plan.segments)
    SELFENS_CHECK(s.n_tokens >= 0 && s.page_begin >= 0 &&
                      size_t(s.page_begin) +
                              size_t((s.n_tokens + kv.page_size - 1) / kv.page_size) <=
                          plan.pages.size(),
                  "attention plan segment pages");
  for (int32_t p : plan.pages) SELFENS_CHECK(p >= 0 && p < kv.n_pages, "attention plan page id");
}

}  // namespace

std::array<size_t, 6> attention_plan_shape(const AttentionBatch& plan, int64_t q_rows,
                                           int n_heads) {
  return {plan.groups.size(), plan.segments.size(), plan.pages.size(),
          plan.rows.size(),   size_t(q_rows),       size_t(n_heads)};
}

PackedAttention pack_attention_plan(const AttentionBatch& plan, int64_t q_rows, int n_heads,
                                    const KvShape& kv, bool mma, const AttnTilingOptions& options,
                                    AttnTiling& tiling, std::vector<char>& bytes) {
  check_plan(plan, q_rows, kv);
  // Tiles (attention_tiles.h): cascade and key splits on the tensor-core path.
  AttnTilingOptions opt = mma ? options : AttnTilingOptions{};
  opt.rows_per_tile = mma ? attention_mma_rows_per_tile(n_heads, kv.n_kv_heads)
                          : attention_rows_per_tile(n_heads, kv.n_kv_heads);
  opt.page_size = kv.page_size;
  opt.n_kv_heads = kv.n_kv_heads;
  tiling = plan_attention_tiles(plan, opt);
  const AttnTiling& t = tiling;

  bytes.assign(sizeof(AttnPlanDev), 0);  // the header, written by write_plan_header
  PackedAttention pa;
  pa.offsets = {append_vec(bytes, plan.groups),      append_vec(bytes, plan.segments),
                append_vec(bytes, plan.pages),       append_vec(bytes, plan.rows),
                append_vec(bytes, plan.self_limit),  append_vec(bytes, t.tiles),
                append_vec(bytes, t.entry_cascaded), append_vec(bytes, t.entry_part_begin),
                append_vec(bytes, t.entry_parts)};
  pa.source = &plan;
  pa.shape = attention_plan_shape(plan, q_rows, n_heads);
  pa.n_entries = int32_t(plan.rows.size());
  pa.scale = plan.scale;
  pa.n_tiles = int(t.tiles.size());
  pa.n_cascade_tiles = t.n_cascade_tiles;
  pa.max_rows_cascade = std::max(1, t.max_rows_cascade);
  pa.max_tile_rows = std::max(1, t.max_rows_own);
  pa.n_parts = t.n_parts;
  return pa;
}

void write_plan_header(const PackedAttention& pa, const char* dev, std::vector<char>& bytes) {
  SELFENS_CHECK(bytes.size() >= sizeof(AttnPlanDev), "attention plan header");
  AttnPlanDev d{};
  d.groups = reinterpret_cast<const GroupDev*>(dev + pa.offsets[0]);
  d.segments = reinterpret_cast<const SegDev*>(dev + pa.offsets[1]);
  d.pages = reinterpret_cast<const int32_t*>(dev + pa.offsets[2]);
  d.rows = reinterpret_cast<const int32_t*>(dev + pa.offsets[3]);
  d.self_limit = reinterpret_cast<const int32_t*>(dev + pa.offsets[4]);
  d.tiles = reinterpret_cast<const AttnTile*>(dev + pa.offsets[5]);
  d.entry_cascaded = reinterpret_cast<const int32_t*>(dev + pa.offsets[6]);
  d.entry_part_begin = reinterpret_cast<const int32_t*>(dev + pa.offsets[7]);
  d.entry_parts = reinterpret_cast<const int32_t*>(dev + pa.offsets[8]);
  d.n_entries = pa.n_entries;
  d.scale = pa.scale;
  std::memcpy(bytes.data(), &d, sizeof d);
}

}  // namespace selfens::cuda
