// CPU backend ops against plain loops.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>

#include "backend/backend.h"
#include "backend/cpu/thread_pool.h"
#include "common/random_values.h"

namespace selfens {
namespace {

using test::random_values;

TEST(ThreadPool, CoversEveryIndexOnce) {
  cpu::ThreadPool pool(3);
  for (int64_t n : {0, 1, 2, 5, 1000}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[size_t(i)]++;
    });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

// A KV cache beyond the machine's memory is the user's to fix: a clear
// InputError naming what to lower, not std::bad_alloc.
TEST(CpuBackend, KvCacheTooLargeSaysWhatToLower) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan aborts on an allocation this size instead of throwing";
#else
  auto be = make_backend("cpu", 1);
  KvShape s;
  s.n_layers = 64;
  s.n_kv_heads = 8;
  s.head_dim = 128;
  s.page_size = 16;
  s.n_pages = int64_t{1} << 30;  // 8 PiB
  try {
    be->init_kv(s);
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("--batch_size or --max_new_tokens"), std::string::npos)
        << e.what();
  }
#endif
}

TEST(CpuBackend, MatmulWithBias) {
  auto be = make_backend("cpu", 2);
  std::mt19937 rng(1);
  HostTensor w{{7, 5}, random_values(rng, 35)}, b{{7}, random_values(rng, 7)};
  const std::vector<float> xh = random_values(rng, 3 * 5);
  for (int n : {1, 3}) {
    Tensor W = be->upload_weight(w), B = be->upload_weight(b);
    Tensor x = be->alloc(n, 5), y = be->alloc(n, 7);
    std::copy(xh.begin(), xh.begin() + n * 5, x.f32());
    be->matmul(x, W, &B, y);
    std::vector<float> got(size_t(n) * 7);
    be->download(y, got);
    for (int r = 0; r < n; ++r)
      for (int o = 0; o < 7; ++o) {
        double s = b.data[size_t(o)];
        for (int i = 0; i < 5; ++i) s += double(w.data[size_t(o * 5 + i)]) * xh[size_t(r * 5 + i)];
        EXPECT_NEAR(got[size_t(r * 7 + o)], s, 1e-5);
      }
    be->release(x);
    be->release(y);
  }
  EXPECT_THROW(make_backend("tpu", 1), InputError);
}

// The residual add inside a product (Backend::matmul_add, and the
// feed-forward block's accumulate mode built on it): out += x W^T, the same
// floats as the product written apart and then added.
TEST(CpuBackend, MatmulAddAndAccumulatingFeedForwardAddToTheirOutput) {
  auto be = make_backend("cpu", 2);
  std::mt19937 rng(3);
  const int n = 3, d = 8, ffn = 12;
  auto tensor = [&](int rows, int cols, float a) {
    Tensor t = be->alloc(rows, cols);
    const std::vector<float> v = random_values(rng, size_t(rows) * cols, a);
    std::copy(v.begin(), v.end(), t.f32());
    return t;
  };
  auto host = [&](const Tensor& t) {
    std::vector<float> v(size_t(t.rows * t.cols));
    be->download(t, v);
    return v;
  };
  Tensor wg = be->upload_weight(HostTensor{{ffn, d}, random_values(rng, ffn * d)});
  Tensor wu = be->upload_weight(HostTensor{{ffn, d}, random_values(rng, ffn * d)});
  Tensor wd = be->upload_weight(HostTensor{{d, ffn}, random_values(rng, d * ffn)});
  Tensor x = tensor(n, ffn, 1.0f), resid = tensor(n, d, 4.0f), scratch = be->alloc(n, d);
  const std::vector<float> r0 = host(resid);
  Tensor product = be->alloc(n, d);
  be->matmul(x, wd, nullptr, product);
  const std::vector<float> p = host(product);
  be->matmul_add(x, wd, resid, scratch);
  std::vector<float> got = host(resid);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], r0[i] + p[i]) << i;

  Tensor h = tensor(n, d, 1.0f), gate = be->alloc(n, ffn), up = be->alloc(n, ffn);
  Tensor out = be->alloc(n, d), acc = tensor(n, d, 4.0f);
  const std::vector<float> a0 = host(acc);
  be->feed_forward(h, wg, wu, wd, gate, up, out, false);
  be->feed_forward(h, wg, wu, wd, gate, up, acc, true);
  const std::vector<float> f = host(out);
  got = host(acc);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], a0[i] + f[i]) << i;
  EXPECT_FALSE(be->adds_in_products());  // the engine keeps the CPU's fused add_rmsnorm
  for (Tensor* t : {&x, &resid, &scratch, &product, &h, &gate, &up, &out, &acc}) be->release(*t);
}

// Attention over three segments (an ancestor with a bias, another one, and
// the query's own span, causal), GQA 4:2, pages of 4 tokens.
TEST(CpuBackend, SpanAttentionMatchesNaive) {
  const int H = 4, KVH = 2, hd = 8, ps = 4, layer = 1;
  auto be = make_backend("cpu", 2);
  be->init_kv({2, KVH, hd, ps, 16});
  std::mt19937 rng(2);
  // Segment token counts and their pages.
  const std::vector<int> lens = {6, 3, 5};
  const std::vector<std::vector<int32_t>> pages = {{9, 2}, {5}, {0, 11}};
  const std::vector<float> bias = {0.0f, -0.7f, 0.0f};
  std::vector<std::vector<float>> K(3), V(3);  // per segment [len, KVH*hd]
  for (int s = 0; s < 3; ++s) {
    K[size_t(s)] = random_values(rng, size_t(lens[size_t(s)]) * KVH * hd, 2.0f);
    V[size_t(s)] = random_values(rng, size_t(lens[size_t(s)]) * KVH * hd);
    Tensor k = be->alloc(lens[size_t(s)], KVH * hd), v = be->alloc(lens[size_t(s)], KVH * hd);
    std::copy(K[size_t(s)].begin(), K[size_t(s)].end(), k.f32());
    std::copy(V[size_t(s)].begin(), V[size_t(s)].end(), v.f32());
    std::vector<KvSlot> slots;
    for (int i = 0; i < lens[size_t(s)]; ++i) slots.push_back({pages[size_t(s)][size_t(i / ps)], i % ps});
    be->write_kv(layer, k, v, slots);
    std::vector<float> kb(K[size_t(s)].size()), vb(kb.size());
    be->read_kv(layer, slots, kb, vb);
    EXPECT_EQ(kb, K[size_t(s)]);
    EXPECT_EQ(vb, V[size_t(s)]);
    be->release(k);
    be->release(v);
  }
  AttentionBatch plan;
  plan.scale = 1.0f / std::sqrt(float(hd));
  for (int s = 0; s < 3; ++s) {
    plan.segments.push_back({int32_t(plan.pages.size()), lens[size_t(s)], bias[size_t(s)]});
    plan.pages.insert(plan.pages.end(), pages[size_t(s)].begin(), pages[size_t(s)].end());
  }
  // Queries: batch rows 2, 0, 1 are own-span tokens 2, 3, 4.
  plan.groups.push_back({0, 3, 0, 3});
  plan.rows = {2, 0, 1};
  plan.self_limit = {3, 4, 5};
  const int n = 3;
  const std::vector<float> qh = random_values(rng, size_t(n) * H * hd, 2.0f);
  Tensor q = be->alloc(n, H * hd), out = be->alloc(n, H * hd);
  std::copy(qh.begin(), qh.end(), q.f32());
  be->attention(layer, q, H, plan, out);
  std::vector<float> got(size_t(n) * H * hd);
  be->download(out, got);
  for (int e = 0; e < 3; ++e) {
    const int row = plan.rows[size_t(e)];
    for (int h = 0; h < H; ++h) {
      const int kh = h / (H / KVH);
      std::vector<double> sc, vals;
      std::vector<const float*> vrows;
      for (int s = 0; s < 3; ++s) {
        const int lim = s == 2 ? plan.self_limit[size_t(e)] : lens[size_t(s)];
        for (int j = 0; j < lim; ++j) {
          double dot = 0;
          for (int d = 0; d < hd; ++d)
            dot += double(qh[size_t((row * H + h) * hd + d)]) *
                   K[size_t(s)][size_t((j * KVH + kh) * hd + d)];
          sc.push_back(dot * plan.scale + bias[size_t(s)]);
          vrows.push_back(&V[size_t(s)][size_t((j * KVH + kh) * hd)]);
        }
      }
      const double mx = *std::max_element(sc.begin(), sc.end());
      double z = 0;
      for (double s : sc) z += std::exp(s - mx);
      for (int d = 0; d < hd; ++d) {
        double acc = 0;
        for (size_t j = 0; j < sc.size(); ++j) acc += std::exp(sc[j] - mx) / z * vrows[j][d];
        EXPECT_NEAR(got[size_t((row * H + h) * hd + d)], acc, 1e-5) << e << " " << h << " " << d;
      }
    }
  }
  be->release(q);
  be->release(out);
}

TEST(CpuBackend, RopeRotatesHalves) {
  auto be = make_backend("cpu", 1);
  const int hd = 4;
  Tensor q = be->alloc(2, hd), k = be->alloc(2, hd);
  const std::vector<float> x = {1, 2, 3, 4, 1, 2, 3, 4};
  std::copy(x.begin(), x.end(), q.f32());
  std::copy(x.begin(), x.end(), k.f32());
  const std::vector<float> inv = {1.0f, 0.01f};
  const std::vector<int32_t> pos = {0, 7};
  be->rope(q, k, 1, 1, inv, pos);
  for (int i = 0; i < 4; ++i) EXPECT_FLOAT_EQ(q.f32()[i], x[size_t(i)]);  // position 0
  for (int i = 0; i < 2; ++i) {
    const double a = 7.0 * inv[size_t(i)];
    EXPECT_NEAR(q.f32()[4 + i], x[size_t(i)] * std::cos(a) - x[size_t(i + 2)] * std::sin(a), 1e-5);
    EXPECT_NEAR(q.f32()[6 + i], x[size_t(i + 2)] * std::cos(a) + x[size_t(i)] * std::sin(a), 1e-5);
    EXPECT_FLOAT_EQ(k.f32()[4 + i], q.f32()[4 + i]);
  }
  be->release(q);
  be->release(k);
}

}  // namespace
}  // namespace selfens
