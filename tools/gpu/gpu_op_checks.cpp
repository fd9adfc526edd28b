// Op-level checks: every CudaBackend op except attention against the CPU
// backend on random data, over grids of shapes.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "gpu_check.h"
#include "util/check.h"

namespace selfens::gpucheck {

namespace {


HostTensor host_tensor(std::vector<int64_t> shape, std::vector<float> data) {
  HostTensor h;
  h.shape = std::move(shape);
  h.data = std::move(data);
  return h;
}

// x [n, in] W^T (+ b): with bf16 weights the CPU gets the same bf16-rounded
// weights and inputs, so both sides compute the same products in fp32.
void check_matmul(Report& r, Backend& cpu, Backend& gpu, DType dt, std::mt19937& rng) {
  const int pairs[][2] = {{576, 192}, {576, 1536}, {1536, 576}, {4096, 128}, {64, 49152}};
  for (const auto& pr : pairs) {
    const int in = pr[0], out = pr[1];
    std::vector<float> w = randv(rng, size_t(in) * out, 1.0f / std::sqrt(float(in)));
    std::vector<float> b = randv(rng, size_t(out), 0.5f);
    round_half(w, dt);
    const HostTensor hw = host_tensor({out, in}, w), hb = host_tensor({out}, b);
    Tensor cw = cpu.upload_weight(hw), cb = cpu.upload_weight(hb);
    Tensor gw = gpu.upload_weight(hw), gb = gpu.upload_weight(hb);
    for (int n : {1, 7, 64, 300}) {
      if (out == 49152 && n > 7) continue;  // the lm_head shape: decode sizes only
      std::vector<float> x = randv(rng, size_t(n) * in);
      round_half(x, dt);
      for (bool with_bias : {false, true}) {
        Tensor cx = to_backend(cpu, x, n, in), gx = to_backend(gpu, x, n, in);
        Tensor co = cpu.alloc(n, out), go = gpu.alloc(n, out);
        cpu.matmul(cx, cw, with_bias ? &cb : nullptr, co);
        gpu.matmul(gx, gw, with_bias ? &gb : nullptr, go);
        r.check("matmul/" + dtype_name(dt) + " n=" + std::to_string(n) + " in=" + std::to_string(in) +
                    " out=" + std::to_string(out) + (with_bias ? " +bias" : ""),
                max_abs_diff(to_host(cpu, co), to_host(gpu, go)), 1e-4);
        for (Tensor* t : {&cx, &co}) cpu.release(*t);
        for (Tensor* t : {&gx, &go}) gpu.release(*t);
      }
      // out += x W^T (the residual add in the product's epilogue), out
      // holding a residual stream's values; scratch the default's product.
      const std::vector<float> resid = randv(rng, size_t(n) * out, 4.0f);
      Tensor cx = to_backend(cpu, x, n, in), gx = to_backend(gpu, x, n, in);
      Tensor co = to_backend(cpu, resid, n, out), go = to_backend(gpu, resid, n, out);
      Tensor cs = cpu.alloc(n, out), gs = gpu.alloc(n, out);
      cpu.matmul_add(cx, cw, co, cs);
      gpu.matmul_add(gx, gw, go, gs);
      r.check("matmul_add/" + dtype_name(dt) + " n=" + std::to_string(n) + " in=" +
                  std::to_string(in) + " out=" + std::to_string(out),
              max_abs_diff(to_host(cpu, co), to_host(gpu, go)), 1e-4);
      for (Tensor* t : {&cx, &co, &cs}) cpu.release(*t);
      for (Tensor* t : {&gx, &go, &gs}) gpu.release(*t);
    }
  }
}

// --device cuda-fp8's products (upload_linear_weight): against a host
// reference that quantizes W's and x's bf16 rows as the device does, so
// only the summation order differs (relative 1e-3; 2e-2 with
// SELFENS_CUDA_FP8_FAST_ACCUM=1, whose accumulation is not promoted to fp32:
// 0.7% measured at in=8192). A shape cuBLAS's fp8 products do not take
// stays bf16.
void check_matmul_fp8(Report& r, Backend& gpu, std::mt19937& rng) {
  const double rel = backend_options_from_environment().cuda_fp8_fast_accum ? 2e-2 : 1e-3;
  const int pairs[][2] = {{576, 192}, {576, 1536}, {1536, 576}, {3072, 1024}, {8192, 3072}};
  for (const auto& pr : pairs) {
    const int in = pr[0], out = pr[1];
    std::vector<float> w = randv(rng, size_t(in) * out, 1.0f / std::sqrt(float(in)));
    std::vector<float> b = randv(rng, size_t(out), 0.5f);
    round_half(w, DType::kBF16);
    Tensor gw = gpu.upload_linear_weight(host_tensor({out, in}, w));
    Tensor gb = gpu.upload_weight(host_tensor({out}, b));
    r.check("upload_linear_weight/fp8 in=" + std::to_string(in) + " out=" + std::to_string(out) +
                " is fp8", gw.dtype == DType::kFp8 ? 0.0 : 1.0, 0.0);
    const std::vector<float> ws = quantize_rows_e4m3(w, out, in);
    for (int n : {1, 7, 64, 300}) {
      std::vector<float> x = randv(rng, size_t(n) * in, 2.0f);
      Tensor gx = to_backend(gpu, x, n, in), go = gpu.alloc(n, out);
      // Rounds: no bias, bias (the cached fp8 rows reused), then new values
      // written into the same tensor (its cached rows must not be reused).
      // A fourth adds the product to the third's output (matmul_add).
      std::vector<float> before;
      for (int round = 0; round < 4; ++round) {
        const bool with_bias = round == 1, add = round == 3;
        if (round == 2) {
          x = randv(rng, size_t(n) * in, 0.5f);
          gpu.upload(x, gx);
        }
        if (add) {
          before = to_host(gpu, go);
          Tensor scratch = gpu.alloc(n, out);
          gpu.matmul_add(gx, gw, go, scratch);
          gpu.release(scratch);
        } else {
          gpu.matmul(gx, gw, with_bias ? &gb : nullptr, go);
        }
        std::vector<float> x8 = x;  // what the device multiplies: bf16, then fp8 rows
        round_half(x8, DType::kBF16);
        const std::vector<float> xs = quantize_rows_e4m3(x8, n, in);
        std::vector<float> want(size_t(n) * out);
        double size = 0.0;
        for (int i = 0; i < n; ++i)
          for (int o = 0; o < out; ++o) {
            double acc = 0.0;
            for (int k = 0; k < in; ++k)
              acc += double(x8[size_t(i) * in + k]) * double(w[size_t(o) * in + k]);
            const double v = acc * xs[size_t(i)] * ws[size_t(o)] + (with_bias ? b[size_t(o)] : 0.0f) +
                             (add ? before[size_t(i) * out + o] : 0.0f);
            want[size_t(i) * out + o] = float(v);
            size = std::max(size, std::fabs(v));
          }
        r.check("matmul/fp8 n=" + std::to_string(n) + " in=" + std::to_string(in) +
                    " out=" + std::to_string(out) + (with_bias ? " +bias" : "") +
                    (round == 2 ? " new input" : "") + (add ? " matmul_add" : ""),
                max_abs_diff(want, to_host(gpu, go)), rel * size);
      }
      for (Tensor* t : {&gx, &go}) gpu.release(*t);
    }
  }
  // 100 rows: not a multiple of 16, so bf16 (its products: the bf16 checks).
  std::vector<float> w = randv(rng, size_t(100) * 64, 0.125f);
  round_half(w, DType::kBF16);
  Tensor gw = gpu.upload_linear_weight(host_tensor({100, 64}, w));
  r.check("upload_linear_weight/fp8 out=100 stays bf16", gw.dtype == DType::kBF16 ? 0.0 : 1.0, 0.0);
}

void check_embed(Report& r, Backend& cpu, Backend& gpu, DType dt, std::mt19937& rng) {
  const int vocab = 1000, d = 576;
  std::vector<float> table = randv(rng, size_t(vocab) * d);
  round_half(table, dt);
  const HostTensor ht = host_tensor({vocab, d}, table);
  Tensor ct = cpu.upload_weight(ht), gt = gpu.upload_weight(ht);
  for (int n : {1, 13, 300}) {
    std::vector<int32_t> tok(static_cast<size_t>(n));
    for (int32_t& t : tok) t = int32_t(rng() % vocab);
    Tensor co = cpu.alloc(n, d), go = gpu.alloc(n, d);
    cpu.embed(ct, tok, co);
    gpu.embed(gt, tok, go);
    r.check("embed/" + dtype_name(dt) + " n=" + std::to_string(n),
            max_abs_diff(to_host(cpu, co), to_host(gpu, go)), 0.0);
    cpu.release(co);
    gpu.release(go);
  }
}

void check_rmsnorm(Report& r, Backend& cpu, Backend& gpu, DType dt, std::mt19937& rng) {
  for (int d : {575, 576, 4096})
    for (int n : {1, 7, 300}) {
      const std::vector<float> x = randv(rng, size_t(n) * d, 3.0f);
      const HostTensor hw = host_tensor({d}, randv(rng, size_t(d)));
      Tensor cw = cpu.upload_weight(hw), gw = gpu.upload_weight(hw);
      Tensor cx = to_backend(cpu, x, n, d), gx = to_backend(gpu, x, n, d);
      Tensor co = cpu.alloc(n, d), go = gpu.alloc(n, d);
      cpu.rmsnorm(cx, cw, 1e-5f, co);
      gpu.rmsnorm(gx, gw, 1e-5f, go);
      r.check("rmsnorm n=" + std::to_string(n) + " d=" + std::to_string(d),
              max_abs_diff(to_host(cpu, co), to_host(gpu, go)), 1e-5);
      gpu.rmsnorm(gx, gw, 1e-5f, gx);  // in place, as the engine's final norm
      r.check("rmsnorm in-place n=" + std::to_string(n) + " d=" + std::to_string(d),
              max_abs_diff(to_host(cpu, co), to_host(gpu, gx)), 1e-5);
      for (Tensor* t : {&cx, &co}) cpu.release(*t);
      for (Tensor* t : {&gx, &go}) gpu.release(*t);
    }
  // A products-only output (Tensor::products_only): a 16-bit backend writes
  // only the copy products read, and refuses to hand out the fp32 values.
  const int n = 3, d = 576;
  Tensor gx = to_backend(gpu, randv(rng, size_t(n) * d, 3.0f), n, d), go = gpu.alloc(n, d);
  Tensor gw = gpu.upload_weight(host_tensor({d}, randv(rng, size_t(d))));
  Tensor gp = go.for_products();
  gpu.rmsnorm(gx, gw, 1e-5f, gp);
  std::string error;
  try {
    to_host(gpu, go);
  } catch (const std::exception& e) {
    error = e.what();
  }
  const bool sixteen = dt != DType::kF32;
  const bool refused = error.find("products-only") != std::string::npos;
  r.check(std::string("rmsnorm products-only output: its fp32 read ") +
              (sixteen ? "refused" : "allowed (fp32 weights)"),
          refused == sixteen ? 0.0 : 1.0, 0.0);
  for (Tensor* t : {&gx, &go}) gpu.release(*t);
}

// The fused residual add and norm against the CPU's add then rmsnorm, with
// out apart from y and (as the engine calls it) out == y; rows of a
// multiple of 4 floats and not (the kernel's float4 and scalar paths).
void check_add_rmsnorm(Report& r, Backend& cpu, Backend& gpu, std::mt19937& rng) {
  for (int d : {575, 576, 3072})
    for (int n : {1, 7, 300})
      for (bool alias : {false, true}) {
        const std::vector<float> x = randv(rng, size_t(n) * d, 3.0f), y = randv(rng, size_t(n) * d);
        const HostTensor hw = host_tensor({d}, randv(rng, size_t(d)));
        Tensor cw = cpu.upload_weight(hw), gw = gpu.upload_weight(hw);
        Tensor cx = to_backend(cpu, x, n, d), gx = to_backend(gpu, x, n, d);
        Tensor cy = to_backend(cpu, y, n, d), gy = to_backend(gpu, y, n, d);
        Tensor co = cpu.alloc(n, d), go = alias ? gy : gpu.alloc(n, d);
        cpu.add(cx, cy);
        cpu.rmsnorm(cx, cw, 1e-5f, co);
        gpu.add_rmsnorm(gx, gy, gw, 1e-5f, go);
        const std::string name =
            " n=" + std::to_string(n) + " d=" + std::to_string(d) + (alias ? " out=y" : "");
        r.check("add_rmsnorm sum" + name, max_abs_diff(to_host(cpu, cx), to_host(gpu, gx)), 1e-6);
        r.check("add_rmsnorm norm" + name, max_abs_diff(to_host(cpu, co), to_host(gpu, go)), 1e-5);
        for (Tensor* t : {&cx, &cy, &co}) cpu.release(*t);
        for (Tensor* t : {&gx, &gy}) gpu.release(*t);
        if (!alias) gpu.release(go);
      }
}

// The SwiGLU block. fp32 weights: the CPU's matmul, silu_mul, matmul. bf16
// weights: the CPU gets the same bf16 weights and input and the roundings
// the CUDA block makes (gate and up to bf16, silu(gate) * up to bf16), so
// only the products' summation order differs; tolerance relative to the
// output's size.
void check_feed_forward(Report& r, Backend& cpu, Backend& gpu, DType dt, std::mt19937& rng) {
  auto rounded = [&](Backend& b, const Tensor& t) {
    std::vector<float> v = to_host(b, t);
    round_half(v, dt);
    return v;
  };
  // ffn 1538: with n = 1 and 7, element counts not a multiple of 8
  // (silu_mul_bf16's narrow path).
  for (const int ffn : {1536, 1538}) {
    const int d = 576;
    std::vector<float> wg = randv(rng, size_t(ffn) * d, 1.0f / std::sqrt(float(d)));
    std::vector<float> wu = randv(rng, size_t(ffn) * d, 1.0f / std::sqrt(float(d)));
    std::vector<float> wd = randv(rng, size_t(d) * ffn, 1.0f / std::sqrt(float(ffn)));
    for (auto* w : {&wg, &wu, &wd}) round_half(*w, dt);
    const HostTensor hg = host_tensor({ffn, d}, wg), hu = host_tensor({ffn, d}, wu),
                     hd = host_tensor({d, ffn}, wd);
    Tensor cg = cpu.upload_weight(hg), cu = cpu.upload_weight(hu), cd = cpu.upload_weight(hd);
    Tensor gg = gpu.upload_weight(hg), gu = gpu.upload_weight(hu), gd = gpu.upload_weight(hd);
    for (int n : {1, 7, 300, 1100}) {  // 1100: a prefill call (SELFENS_CUDA_BF16_FFN=2)
      if (n == 1100 && ffn != 1536) continue;
      std::vector<float> h = randv(rng, size_t(n) * d, 2.0f);
      round_half(h, dt);
      Tensor ch = to_backend(cpu, h, n, d), gh = to_backend(gpu, h, n, d);
      Tensor c1 = cpu.alloc(n, ffn), c2 = cpu.alloc(n, ffn), co = cpu.alloc(n, d);
      cpu.matmul(ch, cg, nullptr, c1);
      cpu.matmul(ch, cu, nullptr, c2);
      Tensor gate = to_backend(cpu, rounded(cpu, c1), n, ffn),
             up = to_backend(cpu, rounded(cpu, c2), n, ffn);
      cpu.silu_mul(gate, up);
      Tensor act = to_backend(cpu, rounded(cpu, gate), n, ffn);
      cpu.matmul(act, cd, nullptr, co);
      Tensor g1 = gpu.alloc(n, ffn), g2 = gpu.alloc(n, ffn);
      // The engine's two calls: out == h (the result replaces the normed
      // input), or out += the result (out the residual stream; accumulate).
      const std::vector<float> resid = randv(rng, size_t(n) * d, 4.0f);
      Tensor gr = to_backend(gpu, resid, n, d);
      gpu.feed_forward(gh, gg, gu, gd, g1, g2, gr, true);
      gpu.feed_forward(gh, gg, gu, gd, g1, g2, gh, false);
      const std::vector<float> want = to_host(cpu, co);
      std::vector<float> want_sum = want;
      for (size_t i = 0; i < want_sum.size(); ++i) want_sum[i] += resid[i];
      float size = 0.0f;
      for (float v : want) size = std::max(size, std::fabs(v));
      const double tol = (dt != DType::kF32 ? 1e-2 : 1e-4) * size;
      const std::string name =
          "feed_forward/" + dtype_name(dt) + " ffn=" + std::to_string(ffn) + " n=" + std::to_string(n);
      r.check(name, max_abs_diff(want, to_host(gpu, gh)), tol);
      r.check(name + " accumulate", max_abs_diff(want_sum, to_host(gpu, gr)), tol);
      for (Tensor* t : {&ch, &c1, &c2, &co, &gate, &up, &act}) cpu.release(*t);
      for (Tensor* t : {&gh, &g1, &g2, &gr}) gpu.release(*t);
    }
  }
}

void check_rope(Report& r, Backend& cpu, Backend& gpu, std::mt19937& rng) {
  const int heads[][2] = {{9, 3}, {32, 8}, {4, 4}};
  for (int hd : {64, 128})
    for (const auto& h : heads)
      for (int n : {1, 300}) {
        const int H = h[0], KVH = h[1], half = hd / 2;
        std::vector<float> inv_freq(static_cast<size_t>(half));
        for (int i = 0; i < half; ++i)
          inv_freq[size_t(i)] = float(1.0 / std::pow(100000.0, 2.0 * i / hd));
        std::vector<int32_t> pos(static_cast<size_t>(n));
        for (int32_t& p : pos) p = int32_t(rng() % 5000);
        const std::vector<float> q = randv(rng, size_t(n) * H * hd);
        const std::vector<float> k = randv(rng, size_t(n) * KVH * hd);
        Tensor cq = to_backend(cpu, q, n, H * hd), ck = to_backend(cpu, k, n, KVH * hd);
        Tensor gq = to_backend(gpu, q, n, H * hd), gk = to_backend(gpu, k, n, KVH * hd);
        cpu.rope(cq, ck, H, KVH, inv_freq, pos);
        gpu.rope(gq, gk, H, KVH, inv_freq, pos);
        const std::string name = "rope hd=" + std::to_string(hd) + " H=" + std::to_string(H) +
                                 " KVH=" + std::to_string(KVH) + " n=" + std::to_string(n);
        // Angles up to 5000 rad: sin/cos of the same fp32 angle differ by ulps.
        r.check(name + " q", max_abs_diff(to_host(cpu, cq), to_host(gpu, gq)), 1e-5);
        r.check(name + " k", max_abs_diff(to_host(cpu, ck), to_host(gpu, gk)), 1e-5);
        for (Tensor* t : {&cq, &ck}) cpu.release(*t);
        for (Tensor* t : {&gq, &gk}) gpu.release(*t);
      }
}

void check_elementwise(Report& r, Backend& cpu, Backend& gpu, std::mt19937& rng) {
  for (int n : {1, 300})
    for (int d : {1535, 1536}) {  // scalar and float4 kernels
      const std::vector<float> a = randv(rng, size_t(n) * d, 6.0f), b = randv(rng, size_t(n) * d);
      Tensor ca = to_backend(cpu, a, n, d), cb = to_backend(cpu, b, n, d);
      Tensor ga = to_backend(gpu, a, n, d), gb = to_backend(gpu, b, n, d);
      cpu.silu_mul(ca, cb);
      gpu.silu_mul(ga, gb);
      const std::string shape = " n=" + std::to_string(n) + " d=" + std::to_string(d);
      r.check("silu_mul" + shape, max_abs_diff(to_host(cpu, ca), to_host(gpu, ga)), 1e-6);
      cpu.add(ca, cb);
      gpu.add(ga, gb);
      r.check("add" + shape, max_abs_diff(to_host(cpu, ca), to_host(gpu, ga)), 1e-6);
      std::vector<int32_t> rows(static_cast<size_t>(std::min(n, 17)));
      for (int32_t& x : rows) x = int32_t(rng() % n);
      const int64_t m = int64_t(rows.size());
      Tensor co = cpu.alloc(m, d), go = gpu.alloc(m, d);
      cpu.gather_rows(ca, rows, co);
      gpu.gather_rows(ga, rows, go);
      r.check("gather_rows" + shape, max_abs_diff(to_host(cpu, co), to_host(gpu, go)), 1e-6);
      for (Tensor* t : {&ca, &cb, &co}) cpu.release(*t);
      for (Tensor* t : {&ga, &gb, &go}) gpu.release(*t);
    }
}

// write_kv then read_kv gives back what was written, in any order: exactly
// with fp32 K/V; rounded to bf16 (relative error <= 2^-9) in the bf16 mode.
void check_kv(Report& r, Backend& gpu, DType gpu_dtype, std::mt19937& rng) {
  const int KVH = 3, hd = 64, ps = 16, n_pages = 40, kvd = KVH * hd;
  gpu.init_kv({2, KVH, hd, ps, n_pages});
  std::vector<int32_t> all(size_t(n_pages) * ps);
  std::iota(all.begin(), all.end(), 0);
  std::shuffle(all.begin(), all.end(), rng);
  const int n = 300;
  std::vector<KvSlot> slots(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) slots[size_t(i)] = {all[size_t(i)] / ps, all[size_t(i)] % ps};
  const std::vector<float> k = randv(rng, size_t(n) * kvd), v = randv(rng, size_t(n) * kvd);
  Tensor gk = to_backend(gpu, k, n, kvd), gv = to_backend(gpu, v, n, kvd);
  gpu.write_kv(1, gk, gv, slots);
  std::vector<float> rk(k.size()), rv(v.size());
  gpu.read_kv(1, slots, rk, rv);
  double big = 0;
  for (float x : k) big = std::max(big, double(std::fabs(x)));
  for (float x : v) big = std::max(big, double(std::fabs(x)));
  const double tol = gpu_dtype == DType::kF32 ? 0.0 : big / 256.0;
  r.check("write_kv/read_kv roundtrip k", max_abs_diff(k, rk), tol);
  r.check("write_kv/read_kv roundtrip v", max_abs_diff(v, rv), tol);
  gpu.release(gk);
  gpu.release(gv);
}

// choose_tokens on the device picks the ids of the host reference: greedy
// rows, avg, max, weighted sums, over a vocabulary with planted ties.
void check_choose(Report& r, Backend& gpu, std::mt19937& rng) {
  const int rows = 40, vocab = 49152;
  std::vector<float> logits = randv(rng, size_t(rows) * vocab, 8.0f);
  for (int i = 0; i < rows; i += 3) {  // a tie at the top: the lower id must win
    float* row = logits.data() + size_t(i) * vocab;
    const float top = *std::max_element(row, row + vocab) + 1.0f;
    row[size_t(rng() % vocab)] = top;
    row[size_t(rng() % vocab)] = top;
  }
  ChoicePlan plan;
  for (int i = 0; i < 10; ++i) plan.choices.push_back({i, 1, ChoiceKind::kWeightedSum, -1});
  plan.choices.push_back({10, 5, ChoiceKind::kWeightedSum, -1});
  plan.choices.push_back({15, 5, ChoiceKind::kMaxProb, -1});
  plan.choices.push_back({20, 5, ChoiceKind::kWeightedSum, 0});
  plan.weights = {0.4f, 0.1f, 0.2f, 0.05f, 0.25f};
  plan.choices.push_back({25, 15, ChoiceKind::kMaxProb, -1});
  const std::vector<int32_t> want = choose_tokens_host(logits, vocab, plan);
  Tensor t = to_backend(gpu, logits, rows, vocab);
  const std::vector<int32_t> got = gpu.choose_tokens(t, plan);
  size_t differ = 0;
  for (size_t i = 0; i < want.size(); ++i) differ += i >= got.size() || got[i] != want[i];
  r.check("choose_tokens (greedy, avg, max, weighted; ties)", double(differ), 0.0,
          {{"choices", want.size()}});

  // Sampled choices: the host Sampler's draws (token_sampler.h), with top-k,
  // top-p, temperatures and ties; then a plan where one choice keeps more
  // tokens than a block holds (top-k off, flat): the host draws that call.
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  const SampleDraw kinds[] = {{1.0f, 1.0f, 50, 0, 0},  {0.7f, 0.9f, 50, 0, 0},
                              {1.3f, 0.5f, 200, 0, 0}, {0.05f, 1.0f, 3, 0, 0},
                              {1.0f, 0.95f, 1, 0, 0},  {2.0f, 0.8f, 2000, 0, 0}};
  for (bool with_fallback : {false, true}) {
    ChoicePlan sp;
    for (int i = 0; i < rows; ++i)
      for (const SampleDraw& k : kinds) {
        SampleDraw d = k;
        d.u = uni(rng);
        sp.draws.push_back(d);
        sp.choices.push_back({i, 1, ChoiceKind::kSample, int32_t(sp.draws.size() - 1)});
      }
    if (with_fallback) {
      sp.draws.push_back({1.5f, 0.9f, 0, 0, uni(rng)});
      sp.choices.push_back({3, 1, ChoiceKind::kSample, int32_t(sp.draws.size() - 1)});
    }
    const std::vector<int32_t> want_s = choose_tokens_host(logits, vocab, sp);
    const std::vector<int32_t> got_s = gpu.choose_tokens(t, sp);
    size_t diff_s = 0;
    for (size_t i = 0; i < want_s.size(); ++i) diff_s += i >= got_s.size() || got_s[i] != want_s[i];
    r.check(std::string("choose_tokens sampled (top-k, top-p, temperature)") +
                (with_fallback ? " with a host-drawn choice" : ""),
            double(diff_s), 0.0, {{"choices", want_s.size()}});
  }
  // A non-finite score (fp16 overflow) is an error naming the device, not
  // a token: one infinity in row 2, chosen greedily and fused with row 3.
  std::vector<float> bad(logits.begin(), logits.begin() + 4 * vocab);
  bad[size_t(2) * vocab + 7] = std::numeric_limits<float>::infinity();
  Tensor tb = to_backend(gpu, bad, 4, vocab);
  for (const TokenChoice& c : {TokenChoice{2, 1, ChoiceKind::kWeightedSum, -1},
                               TokenChoice{2, 2, ChoiceKind::kMaxProb, -1}}) {
    ChoicePlan bp;
    bp.choices = {{0, 1, ChoiceKind::kWeightedSum, -1}, c};
    std::string error;
    try {
      gpu.choose_tokens(tb, bp);
    } catch (const InputError& e) {
      error = e.what();
    }
    r.check(std::string("choose_tokens: a non-finite score is an error (") +
                (c.kind == ChoiceKind::kMaxProb ? "max" : "greedy") + ")",
            error.find("not all finite") == std::string::npos ? 1.0 : 0.0, 0.0);
  }
  gpu.release(tb);
  gpu.release(t);
}

}  // namespace

void run_op_checks(Report& r, Backend& cpu, Backend& gpu, DType gpu_dtype) {
  std::mt19937 rng(1234);
  check_matmul(r, cpu, gpu, gpu_dtype, rng);
  if (gpu_dtype == DType::kFp8) check_matmul_fp8(r, gpu, rng);
  check_embed(r, cpu, gpu, gpu_dtype, rng);
  check_rmsnorm(r, cpu, gpu, gpu_dtype, rng);
  check_add_rmsnorm(r, cpu, gpu, rng);
  check_feed_forward(r, cpu, gpu, gpu_dtype, rng);
  check_rope(r, cpu, gpu, rng);
  check_elementwise(r, cpu, gpu, rng);
  check_kv(r, gpu, gpu_dtype, rng);
  check_choose(r, gpu, rng);
}

}  // namespace selfens::gpucheck
