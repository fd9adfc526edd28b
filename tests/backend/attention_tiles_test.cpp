// The tiling of the CUDA attention (cascade, own and split tiles, merge) is
// exact: executing its tiles with a plain reference of the kernel's contract
// gives the CPU backend's attention, and every visible key is covered once.
#include "backend/attention_tiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "backend/backend.h"

namespace selfens {
namespace {

constexpr int kHeads = 4, kKvHeads = 2, kHeadDim = 8, kPageSize = 4;
constexpr int kQd = kHeads * kHeadDim, kKvd = kKvHeads * kHeadDim;

// A decode- or prefill-like plan: n_groups groups, each seeing the shared
// prefix span (pages 0..), maybe another shared span, then its own span
// with 1..max_rows new rows (causal). Groups and their entries in order, as
// the engine makes them; the prefix's pages are the same ids in every group.
struct TestPlan {
  AttentionBatch plan;
  int64_t n_rows = 0;
  int64_t n_pages = 0;
};

TestPlan make_plan(std::mt19937& rng, int n_groups, int max_rows, int prefix_len) {
  TestPlan t;
  int32_t next_page = 0;
  auto pages_for = [&](int32_t len) {
    std::vector<int32_t> p(size_t((len + kPageSize - 1) / kPageSize));
    for (int32_t& x : p) x = next_page++;
    return p;
  };
  const std::vector<int32_t> prefix = pages_for(prefix_len);
  const int32_t other_len = 1 + int32_t(rng() % 20);
  const std::vector<int32_t> other = pages_for(other_len);
  AttentionBatch& a = t.plan;
  a.scale = 1.0f / std::sqrt(float(kHeadDim));
  auto add_seg = [&](const std::vector<int32_t>& pages, int32_t len, float bias,
                     float scale = 1.0f) {
    a.segments.push_back({int32_t(a.pages.size()), len, bias, scale});
    a.pages.insert(a.pages.end(), pages.begin(), pages.end());
  };
  std::vector<int32_t> batch_rows;
  for (int g = 0; g < n_groups; ++g) {
    AttnGroup grp;
    grp.seg_begin = int32_t(a.segments.size());
    add_seg(prefix, prefix_len, 0.0f);
    if (rng() % 2)
      add_seg(other, other_len, -std::log(float(1 + rng() % 5)), 0.5f + float(rng() % 5) * 0.25f);
    const int rows = 1 + int(rng() % uint32_t(max_rows));
    const int32_t own_len = rows + int32_t(rng() % 40);
    add_seg(pages_for(own_len), own_len, 0.0f);
    grp.seg_end = int32_t(a.segments.size());
    grp.row_begin = int32_t(a.rows.size());
    for (int i = 0; i < rows; ++i) {
      a.rows.push_back(int32_t(t.n_rows++));
      a.self_limit.push_back(own_len - rows + 1 + i);
    }
    grp.row_end = int32_t(a.rows.size());
    a.groups.push_back(grp);
  }
  std::shuffle(a.rows.begin(), a.rows.end(), rng);  // entries name rows in any order
  t.n_pages = next_page;
  return t;
}

// K/V of every slot, [n_pages * page_size, kvd], as the kernel reads them.
struct Keys {
  std::vector<float> k, v;
};

// A visible key: its KV slot and its segment's score transform.
struct Key {
  int64_t slot;
  float bias, scale;
};

// The visible keys of `entry` among the tile's key range.
std::vector<Key> tile_keys(const AttentionBatch& p, const AttnTile& t,
                                                 int32_t entry) {
  const int32_t own = p.groups[size_t(t.group)].seg_end - 1;
  std::vector<Key> keys;
  int32_t index = 0;
  for (int32_t s = t.seg_begin; s < t.seg_end; ++s) {
    const AttnSegment& seg = p.segments[size_t(s)];
    for (int32_t i = 0; i < seg.n_tokens; ++i, ++index) {
      if (index < t.key_begin || index >= t.key_end) continue;
      if (s == own && i >= p.self_limit[size_t(entry)]) continue;
      const int64_t slot =
          int64_t(p.pages[size_t(seg.page_begin + i / kPageSize)]) * kPageSize + i % kPageSize;
      keys.push_back({slot, seg.bias, seg.scale});
    }
  }
  return keys;
}

// One head's attention state: normalised output and log-sum-exp.
struct State {
  std::vector<float> o = std::vector<float>(kHeadDim, 0.0f);
  double lse = -INFINITY;
};

State attend(const float* q, const Keys& kv, int kv_head, float scale,
             const std::vector<Key>& keys) {
  State st;
  if (keys.empty()) return st;
  std::vector<double> s(keys.size());
  double mx = -INFINITY;
  for (size_t j = 0; j < keys.size(); ++j) {
    const float* k = kv.k.data() + keys[j].slot * kKvd + kv_head * kHeadDim;
    double dot = 0;
    for (int d = 0; d < kHeadDim; ++d) dot += double(q[d]) * k[d];
    s[j] = dot * scale * keys[j].scale + keys[j].bias;
    mx = std::max(mx, s[j]);
  }
  double sum = 0;
  std::vector<double> o(kHeadDim, 0.0);
  for (size_t j = 0; j < keys.size(); ++j) {
    const double p = std::exp(s[j] - mx);
    sum += p;
    const float* v = kv.v.data() + keys[j].slot * kKvd + kv_head * kHeadDim;
    for (int d = 0; d < kHeadDim; ++d) o[size_t(d)] += p * v[d];
  }
  for (int d = 0; d < kHeadDim; ++d) st.o[size_t(d)] = float(o[size_t(d)] / sum);
  st.lse = mx + std::log(sum);
  return st;
}

State merge(const std::vector<State>& parts) {
  State m;
  double mx = -INFINITY;
  for (const State& p : parts) mx = std::max(mx, p.lse);
  if (mx == -INFINITY) return m;
  double sum = 0;
  std::vector<double> o(kHeadDim, 0.0);
  for (const State& p : parts) {
    const double w = std::exp(p.lse - mx);
    sum += w;
    for (int d = 0; d < kHeadDim; ++d) o[size_t(d)] += w * p.o[size_t(d)];
  }
  for (int d = 0; d < kHeadDim; ++d) m.o[size_t(d)] = float(o[size_t(d)] / sum);
  m.lse = mx + std::log(sum);
  return m;
}

// Runs the tiles in the kernel's order (cascade, own, merge) on the host.
std::vector<float> run_tiles(const TestPlan& tp, const AttnTiling& t, const std::vector<float>& q,
                             const Keys& kv) {
  const AttentionBatch& p = tp.plan;
  const size_t n_entries = p.rows.size();
  std::vector<State> cascade(n_entries * kHeads), out(n_entries * kHeads);
  std::vector<State> parts(size_t(t.n_parts) * kHeads);
  const int gsize = kHeads / kKvHeads;
  for (const AttnTile& tile : t.tiles)
    for (int32_t e = tile.entry_begin; e < tile.entry_begin + tile.n_rows; ++e) {
      const auto keys = tile_keys(p, tile, e);
      for (int h = 0; h < kHeads; ++h) {
        const float* qh = q.data() + int64_t(p.rows[size_t(e)]) * kQd + h * kHeadDim;
        State st = attend(qh, kv, h / gsize, p.scale, keys);
        const size_t at = size_t(e) * kHeads + size_t(h);
        if (tile.part == kTileToCascade) {
          cascade[at] = st;
        } else if (tile.part >= 0) {
          parts[size_t(t.entry_part_begin[size_t(e)] + tile.part) * kHeads + size_t(h)] = st;
        } else {
          out[at] = t.entry_cascaded[size_t(e)] ? merge({cascade[at], st}) : st;
        }
      }
    }
  for (size_t e = 0; e < n_entries; ++e) {
    if (t.entry_parts[e] == 0) continue;
    for (int h = 0; h < kHeads; ++h) {
      std::vector<State> all;
      if (t.entry_cascaded[e]) all.push_back(cascade[e * kHeads + size_t(h)]);
      for (int32_t c = 0; c < t.entry_parts[e]; ++c)
        all.push_back(parts[size_t(t.entry_part_begin[e] + c) * kHeads + size_t(h)]);
      out[e * kHeads + size_t(h)] = merge(all);
    }
  }
  std::vector<float> result(size_t(tp.n_rows) * kQd, 0.0f);
  for (size_t e = 0; e < n_entries; ++e)
    for (int h = 0; h < kHeads; ++h)
      std::copy(out[e * kHeads + size_t(h)].o.begin(), out[e * kHeads + size_t(h)].o.end(),
                result.begin() + int64_t(p.rows[e]) * kQd + h * kHeadDim);
  return result;
}

// Every visible key of every entry is in exactly one tile (cascade or own).
void expect_keys_covered_once(const AttentionBatch& p, const AttnTiling& t) {
  std::vector<std::vector<int64_t>> seen(p.rows.size());
  for (const AttnTile& tile : t.tiles)
    for (int32_t e = tile.entry_begin; e < tile.entry_begin + tile.n_rows; ++e) {
      ASSERT_TRUE(tile.part == kTileToCascade || p.groups[size_t(tile.group)].row_begin <= e)
          << "own tile entry outside its group";
      for (const auto& k : tile_keys(p, tile, e)) seen[size_t(e)].push_back(k.slot);
    }
  for (size_t g = 0; g < p.groups.size(); ++g)
    for (int32_t e = p.groups[g].row_begin; e < p.groups[g].row_end; ++e) {
      AttnTile whole{int32_t(g),          e, 1,       p.groups[g].seg_begin,
                     p.groups[g].seg_end, 0, 1 << 30, kTileToOutput};
      std::vector<int64_t> want;
      for (const auto& k : tile_keys(p, whole, e)) want.push_back(k.slot);
      std::vector<int64_t> got = seen[size_t(e)];
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << "entry " << e;
    }
}

struct Case {
  int n_groups, max_rows, prefix_len;
  AttnTilingOptions opt;
  bool expect_cascade = false, expect_split = false;  // the case must exercise them
};

void check(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const TestPlan tp = make_plan(rng, c.n_groups, c.max_rows, c.prefix_len);
  AttnTilingOptions opt = c.opt;
  opt.page_size = kPageSize;
  opt.n_kv_heads = kKvHeads;
  const AttnTiling t = plan_attention_tiles(tp.plan, opt);
  expect_keys_covered_once(tp.plan, t);
  EXPECT_TRUE(!c.expect_cascade || t.n_cascade_tiles > 0) << "no cascade tile";
  EXPECT_TRUE(!c.expect_split || t.n_parts > 0) << "no split tile";

  auto cpu = make_backend("cpu", 1);
  cpu->init_kv({1, kKvHeads, kHeadDim, kPageSize, tp.n_pages});
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  Keys kv;
  const int64_t slots_n = tp.n_pages * kPageSize;
  kv.k.resize(size_t(slots_n * kKvd));
  kv.v.resize(size_t(slots_n * kKvd));
  for (float& x : kv.k) x = u(rng);
  for (float& x : kv.v) x = u(rng);
  std::vector<KvSlot> slots(static_cast<size_t>(slots_n));
  for (int64_t i = 0; i < slots_n; ++i)
    slots[size_t(i)] = {int32_t(i / kPageSize), int32_t(i % kPageSize)};
  Tensor tk = cpu->alloc(slots_n, kKvd), tv = cpu->alloc(slots_n, kKvd);
  std::copy(kv.k.begin(), kv.k.end(), tk.f32());
  std::copy(kv.v.begin(), kv.v.end(), tv.f32());
  cpu->write_kv(0, tk, tv, slots);

  std::vector<float> q(size_t(tp.n_rows) * kQd);
  for (float& x : q) x = u(rng);
  Tensor tq = cpu->alloc(tp.n_rows, kQd), to = cpu->alloc(tp.n_rows, kQd);
  std::copy(q.begin(), q.end(), tq.f32());
  cpu->attention(0, tq, kHeads, tp.plan, to);
  const std::vector<float> got = run_tiles(tp, t, q, kv);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], to.f32()[i], 2e-5) << "element " << i;
  for (Tensor* x : {&tk, &tv, &tq, &to}) cpu->release(*x);
}

AttnTilingOptions options(int rows_per_tile, int cascade_min_entries, int split_target_blocks) {
  AttnTilingOptions o;
  o.rows_per_tile = rows_per_tile;
  o.cascade_min_entries = cascade_min_entries;
  o.cascade_min_keys = 8;
  o.split_target_blocks = split_target_blocks;
  o.split_min_keys = 8;
  o.key_quantum = 4;
  return o;
}

TEST(AttentionTiles, PlainTilesAreTheCpuAttention) {
  for (uint32_t seed = 0; seed < 6; ++seed)
    check({1 + int(seed) * 3, 9, 37, options(5, 0, 0)}, seed);
}

TEST(AttentionTiles, CascadeOverTheSharedPrefixIsExact) {
  for (uint32_t seed = 0; seed < 6; ++seed) {
    check({12, 1, 61, options(5, 2, 0), true}, 100 + seed);   // decode: one row per group
    check({7, 16, 29, options(21, 2, 0), true}, 200 + seed);  // prefill: many rows per group
    AttnTilingOptions few = options(21, 2, 0);
    few.cascade_max_group_rows = 4;  // groups of more entries keep the prefix in their own tiles
    check({9, 9, 29, few, true}, 600 + seed);
  }
}

TEST(AttentionTiles, SplitKeysMergeExactly) {
  for (uint32_t seed = 0; seed < 6; ++seed) {
    check({3, 1, 45, options(5, 0, 64), false, true}, 300 + seed);
    check({3, 1, 45, options(5, 2, 64), true, true}, 400 + seed);  // with the cascade
    check({2, 6, 9, options(3, 0, 1000), false, true}, 500 + seed);
  }
}

TEST(AttentionTiles, CascadeTilesSpanGroupsAndSplitsStayWithinCaps) {
  std::mt19937 rng(7);
  const TestPlan tp = make_plan(rng, 40, 1, 100);
  AttnTilingOptions o = options(16, 8, 0);
  o.page_size = kPageSize;
  const AttnTiling t = plan_attention_tiles(tp.plan, o);
  EXPECT_EQ(t.n_cascade_tiles, 3);  // 40 one-row groups, 16 entries per tile
  EXPECT_EQ(t.max_rows_cascade, 16);
  EXPECT_EQ(t.n_own_tiles(), 40);
  EXPECT_EQ(std::count(t.entry_cascaded.begin(), t.entry_cascaded.end(), 1), 40);

  o.cascade_min_entries = 41;  // the run is shorter: no cascade
  EXPECT_EQ(plan_attention_tiles(tp.plan, o).n_cascade_tiles, 0);
  o.cascade_min_entries = 8;
  o.cascade_max_group_rows = 1;  // one-row groups still join
  EXPECT_EQ(plan_attention_tiles(tp.plan, o).n_cascade_tiles, 3);

  o = options(1, 0, 1 << 20);
  o.page_size = kPageSize;
  o.n_kv_heads = kKvHeads;
  o.max_parts = 50;
  const AttnTiling s = plan_attention_tiles(tp.plan, o);
  EXPECT_LE(s.n_parts, 50);
  EXPECT_GT(s.n_parts, 0);
  for (const AttnTile& tile : s.tiles) {
    if (tile.part >= 0) {
      EXPECT_GE(tile.key_end - tile.key_begin, 1);
    }
  }
}

}  // namespace
}  // namespace selfens
