// Tiles of one forward call's attention: cascade, own and split tiles (see
// attention_tiles.h).
#include "backend/attention_tiles.h"

#include <algorithm>
#include <cstring>

#include "backend/backend.h"

namespace selfens {

namespace {

int32_t ceil_div(int32_t a, int32_t b) { return (a + b - 1) / b; }

// Whether two segments are the same keys: same pages, length and bias.
bool same_keys(const AttentionBatch& plan, const AttnSegment& a, const AttnSegment& b,
               int page_size) {
  if (a.n_tokens != b.n_tokens || std::memcmp(&a.bias, &b.bias, sizeof a.bias) != 0 ||
      std::memcmp(&a.scale, &b.scale, sizeof a.scale) != 0)
    return false;
  if (a.page_begin == b.page_begin) return true;
  const int32_t n_pages = ceil_div(a.n_tokens, std::max(1, page_size));
  return std::equal(plan.pages.begin() + a.page_begin, plan.pages.begin() + a.page_begin + n_pages,
                    plan.pages.begin() + b.page_begin);
}

struct GroupRun {
  size_t begin, end;  // groups [begin, end)
};

// Runs of consecutive groups (their entries consecutive too) whose first,
// non-own segment is the same shared span, long enough to cascade.
std::vector<GroupRun> cascade_runs(const AttentionBatch& plan, const AttnTilingOptions& opt) {
  std::vector<GroupRun> runs;
  if (opt.cascade_min_entries <= 0) return runs;
  auto eligible = [&](size_t g) {
    const AttnGroup& gr = plan.groups[g];
    return gr.seg_end - gr.seg_begin >= 2 && gr.row_end > gr.row_begin &&
           (opt.cascade_max_group_rows <= 0 ||
            gr.row_end - gr.row_begin <= opt.cascade_max_group_rows) &&
           plan.segments[size_t(gr.seg_begin)].n_tokens >= opt.cascade_min_keys;
  };
  size_t g = 0;
  while (g < plan.groups.size()) {
    if (!eligible(g)) {
      ++g;
      continue;
    }
    const AttnSegment& first = plan.segments[size_t(plan.groups[g].seg_begin)];
    size_t end = g + 1;
    while (end < plan.groups.size() && eligible(end) &&
           plan.groups[end].row_begin == plan.groups[end - 1].row_end &&
           same_keys(plan, first, plan.segments[size_t(plan.groups[end].seg_begin)], opt.page_size))
      ++end;
    if (plan.groups[end - 1].row_end - plan.groups[g].row_begin >= opt.cascade_min_entries)
      runs.push_back({g, end});
    g = end;
  }
  return runs;
}

// Cascade tiles over each run's entries; marks the runs' groups.
void add_cascade_tiles(const AttentionBatch& plan, const std::vector<GroupRun>& runs,
                       const AttnTilingOptions& opt, std::vector<char>& cascaded, AttnTiling& t) {
  const int32_t per_tile = std::max(1, opt.rows_per_tile);
  for (const GroupRun& run : runs) {
    size_t g = run.begin;  // group of entry e
    const int32_t e_end = plan.groups[run.end - 1].row_end;
    for (int32_t e = plan.groups[g].row_begin; e < e_end; e += per_tile) {
      while (e >= plan.groups[g].row_end) ++g;
      const int32_t seg = plan.groups[g].seg_begin;
      const int32_t rows = std::min(per_tile, e_end - e);
      t.tiles.push_back({int32_t(g), e, rows, seg, seg + 1, 0, plan.segments[size_t(seg)].n_tokens,
                         kTileToCascade});
      t.max_rows_cascade = std::max(t.max_rows_cascade, rows);
      for (int32_t i = e; i < e + rows; ++i) t.entry_cascaded[size_t(i)] = 1;
    }
    std::fill(cascaded.begin() + long(run.begin), cascaded.begin() + long(run.end), 1);
  }
  t.n_cascade_tiles = int32_t(t.tiles.size());
}

// Own tiles: each group's entries against its remaining segments.
void add_own_tiles(const AttentionBatch& plan, const std::vector<char>& cascaded,
                   const AttnTilingOptions& opt, AttnTiling& t) {
  const int32_t per_tile = std::max(1, opt.rows_per_tile);
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const AttnGroup& gr = plan.groups[g];
    const int32_t seg_begin = gr.seg_begin + (cascaded[g] ? 1 : 0);
    int32_t before_own = 0;
    for (int32_t s = seg_begin; s + 1 < gr.seg_end; ++s)
      before_own += plan.segments[size_t(s)].n_tokens;
    for (int32_t e = gr.row_begin; e < gr.row_end; e += per_tile) {
      const int32_t rows = std::min(per_tile, gr.row_end - e);
      int32_t max_limit = 0;
      for (int32_t i = e; i < e + rows; ++i)
        max_limit = std::max(max_limit, plan.self_limit[size_t(i)]);
      t.tiles.push_back(
          {int32_t(g), e, rows, seg_begin, gr.seg_end, 0, before_own + max_limit, kTileToOutput});
      t.max_rows_own = std::max(t.max_rows_own, rows);
    }
  }
}

// Splits own tiles along their keys until there are enough blocks.
void split_own_tiles(const AttnTilingOptions& opt, AttnTiling& t) {
  const int64_t blocks = int64_t(t.n_own_tiles()) * std::max(1, opt.n_kv_heads);
  if (opt.split_target_blocks <= 0 || blocks == 0 || blocks >= opt.split_target_blocks) return;
  const int32_t factor = int32_t((opt.split_target_blocks + blocks - 1) / blocks);
  const int32_t min_keys = std::max(1, opt.split_min_keys);
  const int32_t quantum = std::max(1, opt.key_quantum);
  std::vector<AttnTile> out(t.tiles.begin(), t.tiles.begin() + t.n_cascade_tiles);
  for (size_t i = size_t(t.n_cascade_tiles); i < t.tiles.size(); ++i) {
    const AttnTile tile = t.tiles[i];
    const int32_t keys = tile.key_end - tile.key_begin;
    int32_t chunks = std::min(factor, keys / min_keys);
    int32_t chunk = chunks >= 2 ? ceil_div(ceil_div(keys, chunks), quantum) * quantum : keys;
    chunks = chunks >= 2 ? ceil_div(keys, chunk) : 1;
    if (chunks < 2 || t.n_parts + int64_t(chunks) * tile.n_rows > opt.max_parts) {
      out.push_back(tile);
      continue;
    }
    for (int32_t c = 0; c < chunks; ++c) {
      AttnTile piece = tile;
      piece.key_begin = tile.key_begin + c * chunk;
      piece.key_end = std::min(tile.key_end, piece.key_begin + chunk);
      piece.part = c;
      out.push_back(piece);
    }
    for (int32_t e = tile.entry_begin; e < tile.entry_begin + tile.n_rows; ++e) {
      t.entry_part_begin[size_t(e)] = t.n_parts;
      t.entry_parts[size_t(e)] = chunks;
      t.n_parts += chunks;
    }
  }
  t.tiles = std::move(out);
}

}  // namespace

AttnTiling plan_attention_tiles(const AttentionBatch& plan, const AttnTilingOptions& opt) {
  AttnTiling t;
  const size_t n_entries = plan.rows.size();
  t.entry_cascaded.assign(n_entries, 0);
  t.entry_part_begin.assign(n_entries, -1);
  t.entry_parts.assign(n_entries, 0);
  std::vector<char> cascaded(plan.groups.size(), 0);
  add_cascade_tiles(plan, cascade_runs(plan, opt), opt, cascaded, t);
  add_own_tiles(plan, cascaded, opt, t);
  split_own_tiles(opt, t);
  return t;
}

}  // namespace selfens
