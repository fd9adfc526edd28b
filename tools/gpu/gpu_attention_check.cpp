// Span attention: CudaBackend against the CPU backend on random plans
// (shared ancestor spans with biases, own spans with a causal limit, pages
// scattered over the store), over head_dim x GQA ratio x rows x page size.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <cmath>
#include <numeric>

#include "backend/cuda/cuda_backend.h"
#include "gpu_check.h"

namespace selfens::gpucheck {

namespace {

struct SpanKeys {
  int32_t n_tokens = 0;
  std::vector<int32_t> pages;  // ceil(n_tokens / page_size) page ids
};

struct AttnCase {
  int H, KVH, hd, ps, n;
};

// A random plan for n query rows: up to 4 groups, each sees 0-3 of 4 shared
// ancestor spans (random bias and score scale) and its own span, whose last c rows are the
// new ones (self_limit = its length - c + 1 .. its length).
AttentionBatch random_plan(const AttnCase& c, std::mt19937& rng, int64_t* n_pages_needed) {
  // Enough pages for 4 shared spans (<= 500 tokens) and 4 own ones (<= 400).
  std::vector<int32_t> pool(size_t(4 * ((500 + c.ps - 1) / c.ps + (400 + c.ps - 1) / c.ps) + 8));
  std::iota(pool.begin(), pool.end(), 0);
  std::shuffle(pool.begin(), pool.end(), rng);
  size_t next_page = 0;
  auto make_span = [&](int32_t len) {
    SpanKeys s;
    s.n_tokens = len;
    for (int32_t i = 0; i < (len + c.ps - 1) / c.ps; ++i) s.pages.push_back(pool[next_page++]);
    return s;
  };
  std::vector<SpanKeys> shared;
  for (int i = 0; i < 4; ++i) shared.push_back(make_span(1 + int32_t(rng() % 500)));
  const int n_groups = std::min(c.n, 1 + int(rng() % 4));
  std::vector<int> counts(size_t(n_groups), 1);
  for (int i = n_groups; i < c.n; ++i) counts[rng() % size_t(n_groups)]++;
  std::vector<int32_t> batch_rows(size_t(c.n));
  std::iota(batch_rows.begin(), batch_rows.end(), 0);
  std::shuffle(batch_rows.begin(), batch_rows.end(), rng);

  AttentionBatch a;
  a.scale = 1.0f / std::sqrt(float(c.hd));
  size_t next_row = 0;
  for (int g = 0; g < n_groups; ++g) {
    AttnGroup grp;
    grp.seg_begin = int32_t(a.segments.size());
    auto add_seg = [&](const SpanKeys& s, float bias, float scale = 1.0f) {
      AttnSegment seg;
      seg.page_begin = int32_t(a.pages.size());
      seg.n_tokens = s.n_tokens;
      seg.bias = bias;
      seg.scale = scale;  // fusion temperature (1 / T) on ancestor keys
      a.pages.insert(a.pages.end(), s.pages.begin(), s.pages.end());
      a.segments.push_back(seg);
    };
    for (size_t i = 0; i < shared.size(); ++i)
      if (rng() % 2) {
        const float bias = (rng() % 2) ? -std::log(float(2 + rng() % 4)) : 0.0f;
        add_seg(shared[i], bias, (rng() % 3) ? 1.0f : 0.5f + float(rng() % 4) * 0.5f);
      }
    const int cnt = counts[size_t(g)];
    const SpanKeys own = make_span(cnt + int32_t(rng() % 100));
    add_seg(own, 0.0f);
    grp.seg_end = int32_t(a.segments.size());
    grp.row_begin = int32_t(a.rows.size());
    for (int i = 0; i < cnt; ++i) {
      a.rows.push_back(batch_rows[next_row++]);
      a.self_limit.push_back(own.n_tokens - cnt + 1 + i);
    }
    grp.row_end = int32_t(a.rows.size());
    a.groups.push_back(grp);
  }
  *n_pages_needed = int64_t(*std::max_element(pool.begin(), pool.begin() + long(next_page))) + 1;
  return a;
}

// Ends group `grp` of `a` with its own segment (already added, own_len
// keys) and its rows_per_group rows, the causal limits of the segment's last
// rows.
void close_group(AttentionBatch& a, AttnGroup& grp, int32_t own_len, int rows_per_group) {
  grp.seg_end = int32_t(a.segments.size());
  grp.row_begin = int32_t(a.rows.size());
  for (int i = 0; i < rows_per_group; ++i) {
    a.rows.push_back(int32_t(a.rows.size()));
    a.self_limit.push_back(own_len - rows_per_group + 1 + i);
  }
  grp.row_end = int32_t(a.rows.size());
  a.groups.push_back(grp);
}

// A plan whose groups all see one shared prefix span first (as the
// engine's: the few-shot block), then maybe a second shared span, then
// their own span with rows_per_group new rows: what the cascade and the key
// splits of the bf16 path act on.
AttentionBatch prefix_plan(const AttnCase& c, int n_groups, int rows_per_group, std::mt19937& rng,
                           int64_t* n_pages_needed) {
  int32_t next_page = 0;
  auto pages_for = [&](int32_t len) {
    std::vector<int32_t> p(size_t((len + c.ps - 1) / c.ps));
    for (int32_t& x : p) x = next_page++;
    return p;
  };
  const int32_t prefix_len = 100 + int32_t(rng() % 200), other_len = 1 + int32_t(rng() % 30);
  const std::vector<int32_t> prefix = pages_for(prefix_len), other = pages_for(other_len);
  AttentionBatch a;
  a.scale = 1.0f / std::sqrt(float(c.hd));
  auto add_seg = [&](const std::vector<int32_t>& pages, int32_t len, float bias) {
    a.segments.push_back({int32_t(a.pages.size()), len, bias});
    a.pages.insert(a.pages.end(), pages.begin(), pages.end());
  };
  for (int g = 0; g < n_groups; ++g) {
    AttnGroup grp;
    grp.seg_begin = int32_t(a.segments.size());
    add_seg(prefix, prefix_len, 0.0f);
    if (rng() % 2) add_seg(other, other_len, -std::log(float(2 + rng() % 4)));
    const int32_t own_len = rows_per_group + int32_t(rng() % 120);
    add_seg(pages_for(own_len), own_len, 0.0f);
    close_group(a, grp, own_len, rows_per_group);
  }
  *n_pages_needed = next_page;
  return a;
}

// A plan whose groups each see n_segs short shared segments (1 to 9 keys,
// some with a bias), then their own: more segments than the tensor-core
// kernel keeps in shared memory (16), and key tiles that cross many of them.
AttentionBatch many_segment_plan(const AttnCase& c, int n_groups, int rows_per_group, int n_segs,
                                 std::mt19937& rng, int64_t* n_pages_needed) {
  int32_t next_page = 0;
  AttentionBatch a;
  a.scale = 1.0f / std::sqrt(float(c.hd));
  auto add_seg = [&](int32_t len, float bias) {
    a.segments.push_back({int32_t(a.pages.size()), len, bias});
    for (int32_t i = 0; i < (len + c.ps - 1) / c.ps; ++i) a.pages.push_back(next_page++);
  };
  for (int g = 0; g < n_groups; ++g) {
    AttnGroup grp;
    grp.seg_begin = int32_t(a.segments.size());
    for (int i = 0; i < n_segs; ++i)
      add_seg(1 + int32_t(rng() % 9), rng() % 3 == 0 ? -std::log(float(2 + rng() % 4)) : 0.0f);
    const int32_t own_len = rows_per_group + int32_t(rng() % 40);
    add_seg(own_len, 0.0f);
    close_group(a, grp, own_len, rows_per_group);
  }
  *n_pages_needed = next_page;
  return a;
}

// Fills every slot of pages [0, n_pages) of `layer` with the same random K/V
// on both backends.
void fill_kv(Backend& cpu, Backend& gpu, int layer, int64_t n_pages, int kvd, int ps,
             std::mt19937& rng) {
  const int64_t n = n_pages * ps;
  std::vector<KvSlot> slots(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) slots[size_t(i)] = {int32_t(i / ps), int32_t(i % ps)};
  const std::vector<float> k = randv(rng, size_t(n) * kvd, 1.5f), v = randv(rng, size_t(n) * kvd);
  for (Backend* b : {&cpu, &gpu}) {
    Tensor tk = to_backend(*b, k, n, kvd), tv = to_backend(*b, v, n, kvd);
    b->write_kv(layer, tk, tv, slots);
    b->release(tk);
    b->release(tv);
  }
}

// fp32: the CUDA-core kernel, within 1e-4 of the CPU. bf16: the tensor-core
// kernel over a bf16 K/V store (q, K, V and the softmax weights rounded to
// bf16, 8 significant bits): within 2% of the output's largest magnitude.
void check_plan(Report& r, const AttnCase& c, const AttentionBatch& plan, int64_t n_pages,
                std::mt19937& rng, DType dtype, const std::string& what);

void check_case(Report& r, const AttnCase& c, std::mt19937& rng, DType dtype = DType::kF32) {
  int64_t n_pages = 0;
  const AttentionBatch plan = random_plan(c, rng, &n_pages);
  check_plan(r, c, plan, n_pages, rng, dtype, "");
}

void check_plan(Report& r, const AttnCase& c, const AttentionBatch& plan, int64_t n_pages,
                std::mt19937& rng, DType dtype, const std::string& what) {
  auto cpu = make_backend("cpu", 0);
  auto gpu = make_cuda_backend(dtype);
  const int kvd = c.KVH * c.hd, qd = c.H * c.hd, layer = 1;
  for (Backend* b : {cpu.get(), gpu.get()}) b->init_kv({2, c.KVH, c.hd, c.ps, n_pages});
  fill_kv(*cpu, *gpu, layer, n_pages, kvd, c.ps, rng);
  const std::vector<float> q = randv(rng, size_t(c.n) * qd, 1.5f);
  Tensor cq = to_backend(*cpu, q, c.n, qd), gq = to_backend(*gpu, q, c.n, qd);
  Tensor co = cpu->alloc(c.n, qd), go = gpu->alloc(c.n, qd);
  cpu->attention(layer, cq, c.H, plan, co);
  gpu->attention(layer, gq, c.H, plan, go);
  gpu->attention(layer, gq, c.H, plan, go);  // again: the cached plan upload
  int64_t keys = 0;
  for (const AttnSegment& s : plan.segments) keys += s.n_tokens;
  const std::vector<float> want = to_host(*cpu, co);
  double scale = 0;
  for (float x : want) scale = std::max(scale, double(std::fabs(x)));
  const bool bf16 = dtype != DType::kF32;
  r.check(std::string(bf16 ? "attention " + dtype_name(dtype) + " (tensor cores)" : "attention") + " hd=" +
              std::to_string(c.hd) + " H=" + std::to_string(c.H) + " KVH=" +
              std::to_string(c.KVH) + " ps=" + std::to_string(c.ps) + " n=" +
              std::to_string(c.n) + " groups=" + std::to_string(plan.groups.size()) +
              " segs=" + std::to_string(plan.segments.size()) + what,
          max_abs_diff(want, to_host(*gpu, go)), bf16 ? 0.02 * std::max(scale, 1e-3) : 1e-4,
          {{"segment_keys", keys}, {"max_abs_output", scale}});
}

// The bf16 path's cascade over a shared prefix and its key splits (merged
// by log-sum-exp), forced on (SELFENS_CUDA_CASCADE=2: any two entries;
// SELFENS_CUDA_SPLIT: many blocks wanted) and off, against the CPU.
void run_cascade_checks(Report& r, std::mt19937& rng) {
  // decode "1": one-row tiles (shapes x 1) on the CUDA-core decode kernel
  // (SELFENS_CUDA_DECODE_ATTN=1), "0": on the tensor-core kernel (the
  // default). Both 16-bit types; GQA groups 3, 7, 4 and 8 (the decode
  // kernel's two instantiations, filled and not).
  struct Setting {
    const char *cascade, *split, *decode, *name;
  };
  const Setting settings[] = {{"2", "0", "1", " cascade"},
                              {"0", "100000", "1", " split"},
                              {"2", "100000", "1", " cascade+split"},
                              {"0", "0", "1", " plain"},
                              {"2", "100000", "0", " cascade+split, tensor-core decode"},
                              {"0", "0", "0", " plain, tensor-core decode"}};
  const int shapes[][2] = {{64, 1}, {5, 1}, {20, 16}, {3, 7}};  // groups x rows per group
  for (const Setting& st : settings) {
    setenv("SELFENS_CUDA_CASCADE", st.cascade, 1);
    setenv("SELFENS_CUDA_SPLIT", st.split, 1);
    setenv("SELFENS_CUDA_DECODE_ATTN", st.decode, 1);
    for (DType dt : {DType::kBF16, DType::kF16})
      for (const auto& h : {std::array<int, 2>{24, 8}, std::array<int, 2>{28, 4},
                            std::array<int, 2>{32, 8}, std::array<int, 2>{32, 4}})
        for (int hd : {128, 64})
          for (const auto& sh : shapes) {
            if (hd == 64 && sh[1] != 1) continue;  // head_dim 64: the decode shapes
            if (dt == DType::kF16 && (sh[1] != 1 || h[0] != 32)) continue;  // fp16: decode, 4 and 8
            const AttnCase c{h[0], h[1], hd, 16, sh[0] * sh[1]};
            int64_t n_pages = 0;
            const AttentionBatch plan = prefix_plan(c, sh[0], sh[1], rng, &n_pages);
            check_plan(r, c, plan, n_pages, rng, dt, st.name);
          }
  }
  unsetenv("SELFENS_CUDA_CASCADE");
  unsetenv("SELFENS_CUDA_SPLIT");
  unsetenv("SELFENS_CUDA_DECODE_ATTN");
}

}  // namespace

void run_attention_checks(Report& r) {
  std::mt19937 rng(99);
  const int heads[][2] = {{4, 4}, {9, 3}, {8, 1}, {32, 8}};
  for (int hd : {64, 128})
    for (const auto& h : heads)
      for (int n : {1, 5, 64, 300})
        for (int ps : {16, 5}) {
          if (ps == 5 && n != 64) continue;  // odd page size: one row count is enough
          check_case(r, {h[0], h[1], hd, ps, n}, rng);
        }
  for (int hd : {16, 32, 96, 256})  // the other compiled head sizes (tiny test models: 16)
    for (int n : {1, 64}) check_case(r, {4, 2, hd, 16, n}, rng);
  // 16-bit modes: the tensor-core kernel (head_dim <= 128; 256 keeps fp32 K/V).
  for (DType dt : {DType::kBF16, DType::kF16}) {
    for (int hd : {64, 128})
      for (const auto& h : heads)
        for (int n : {1, 5, 64, 300})
          for (int ps : {16, 5}) {
            if (ps == 5 && n != 64 && n != 1) continue;  // n 1: a decode row over odd pages
            check_case(r, {h[0], h[1], hd, ps, n}, rng, dt);
          }
    for (int hd : {16, 32, 96, 256})
      for (int n : {1, 64}) check_case(r, {4, 2, hd, 16, n}, rng, dt);
  }
  run_cascade_checks(r, rng);
  // Many segments (past the kernels' shared-memory cache) against the CPU.
  for (DType dt : {DType::kBF16, DType::kF16})
    for (const auto& sh : {std::array<int, 3>{6, 1, 24}, std::array<int, 3>{4, 9, 20}}) {
      const AttnCase c{24, 8, 128, 16, sh[0] * sh[1]};
      int64_t n_pages = 0;
      const AttentionBatch plan = many_segment_plan(c, sh[0], sh[1], sh[2], rng, &n_pages);
      check_plan(r, c, plan, n_pages, rng, dt, " many segments");
    }
}

}  // namespace selfens::gpucheck
