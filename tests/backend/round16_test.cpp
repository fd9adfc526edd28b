// SELFENS_CPU_ROUND16 (backend/round16.h): the CPU backend rounding where the
// CUDA 16-bit modes do. Each part rounds exactly what it names: a product
// or an attention with a part on equals the plain one on values rounded
// beforehand, and a run records the rounding in its precision.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/backend.h"
#include "backend/round16.h"
#include "common/error_of.h"
#include "common/random_values.h"
#include "model/dequant.h"

namespace selfens {
namespace {

using test::random_values;

std::vector<float> rounded(const Round16& r, std::vector<float> v) {
  r.apply(v.data(), v.size(), "test values");
  return v;
}

std::unique_ptr<Backend> cpu_backend(const std::string& type, const std::string& parts) {
  BackendOptions o;
  o.threads = 2;
  o.cpu_round16 = parse_round16(type, parts);
  return make_backend("cpu", o);
}

std::vector<float> host(Backend& be, const Tensor& t) {
  std::vector<float> v(size_t(t.rows * t.cols));
  be.download(t, v);
  return v;
}

TEST(Round16, ParsesTypesAndPartsAndNamesWhatIsWrong) {
  EXPECT_FALSE(parse_round16("", "kv").active());
  const Round16 all = parse_round16("bf16", "");
  EXPECT_EQ(all.describe(), "bf16 at weights,table,inputs,head,kv,q,p");
  EXPECT_EQ(parse_round16("fp16", "all").describe(), "fp16 at weights,table,inputs,head,kv,q,p");
  EXPECT_EQ(parse_round16("bf16", "q+p").describe(), "bf16 at q,p");
  const Round16 some = parse_round16("bf16", "kv,weights");
  EXPECT_TRUE(some.kv && some.weights && !some.inputs && !some.p);
  EXPECT_EQ(some.describe(), "bf16 at weights,kv");
  EXPECT_EQ(parse_round16("bf16", "none").describe(), "bf16 at nothing");
  std::string e = test::error_of([] { parse_round16("bf17", ""); });
  EXPECT_NE(e.find("SELFENS_CPU_ROUND16: expected bf16 or fp16, got 'bf17'"), std::string::npos)
      << e;
  e = test::error_of([] { parse_round16("bf16", "kv,wieghts"); });
  EXPECT_NE(e.find("SELFENS_CPU_ROUND16_AT: unknown part 'wieghts'"), std::string::npos) << e;
}

TEST(Round16, RoundsToNearestEvenInEachType) {
  const float x = 1.0f + 1.0f / 256.0f;  // halfway between two bf16 values; exact in fp16
  EXPECT_EQ(parse_round16("bf16", "")(x), 1.0f);
  EXPECT_EQ(parse_round16("fp16", "")(x), x);
  EXPECT_EQ(parse_round16("", "")(x), x);
  EXPECT_EQ(parse_round16("bf16", "")(3.0f + 1.0f / 32.0f), 3.0f + 1.0f / 64.0f * 2.0f);
}

// weights, table, inputs and head: a layer's product and the output head's,
// each against the plain backend's product of values rounded beforehand.
TEST(Round16, ProductsReadRoundedWeightsAndInputs) {
  std::mt19937 rng(5);
  const int n = 3, d = 16, out = 24;
  const std::vector<float> w = random_values(rng, size_t(out) * d), xv = random_values(rng, size_t(n) * d, 3.0f);
  const Round16 bf16 = parse_round16("bf16", "");
  struct Case {
    std::string parts;
    bool linear;          // upload_linear_weight (a layer's matrix) or upload_weight (the head)
    bool round_w, round_x;
  };
  for (const Case& c : {Case{"weights", true, true, false}, Case{"inputs", true, false, true},
                        Case{"weights,inputs", true, true, true}, Case{"table", false, true, false},
                        Case{"head", false, false, true}, Case{"inputs,weights", false, false, false},
                        Case{"table,head", true, false, false}}) {
    auto be = cpu_backend("bf16", c.parts);
    auto plain = cpu_backend("", "");
    const HostTensor hw{{out, d}, w};
    const HostTensor hw_ref{{out, d}, c.round_w ? rounded(bf16, w) : w};
    Tensor wt = c.linear ? be->upload_linear_weight(hw) : be->upload_weight(hw);
    Tensor wr = plain->upload_weight(hw_ref);
    Tensor x = be->alloc(n, d), xr = plain->alloc(n, d), y = be->alloc(n, out),
           yr = plain->alloc(n, out);
    be->upload(xv, x);
    plain->upload(c.round_x ? rounded(bf16, xv) : xv, xr);
    be->matmul(x, wt, nullptr, y);
    plain->matmul(xr, wr, nullptr, yr);
    EXPECT_EQ(host(*be, y), host(*plain, yr)) << c.parts << (c.linear ? " layer" : " head");
    EXPECT_EQ(host(*be, x), xv) << "the input tensor itself stays as it was";
    for (Tensor* t : {&x, &y}) be->release(*t);
    for (Tensor* t : {&xr, &yr}) plain->release(*t);
  }
}

// kv and q: one query over 10 keys equals the plain attention over K/V
// rounded before they were written and the scaled query rounded (scale 1);
// p moves the output by at most the 16-bit type's rounding of the weights.
TEST(Round16, AttentionReadsRoundedKvQueryAndWeights) {
  const int H = 2, KVH = 1, hd = 8, ps = 4, len = 10;
  std::mt19937 rng(9);
  const std::vector<float> K = random_values(rng, size_t(len) * KVH * hd, 2.0f),
                           V = random_values(rng, size_t(len) * KVH * hd),
                           Q = random_values(rng, size_t(H) * hd, 2.0f);
  const float scale = 1.0f / std::sqrt(float(hd));
  const Round16 bf16 = parse_round16("bf16", "");
  auto attend = [&](Backend& be, const std::vector<float>& k, const std::vector<float>& v,
                    const std::vector<float>& q, float plan_scale) {
    be.init_kv({1, KVH, hd, ps, 4});
    Tensor kt = be.alloc(len, KVH * hd), vt = be.alloc(len, KVH * hd);
    be.upload(k, kt);
    be.upload(v, vt);
    std::vector<KvSlot> slots;
    for (int i = 0; i < len; ++i) slots.push_back({int32_t(i / ps), i % ps});
    be.write_kv(0, kt, vt, slots);
    AttentionBatch plan;
    plan.scale = plan_scale;
    plan.segments.push_back({0, len, 0.0f});
    plan.pages = {0, 1, 2};
    plan.groups.push_back({0, 1, 0, 1});
    plan.rows = {0};
    plan.self_limit = {len};
    Tensor qt = be.alloc(1, H * hd), out = be.alloc(1, H * hd);
    be.upload(q, qt);
    be.attention(0, qt, H, plan, out);
    std::vector<float> got = host(be, out);
    for (Tensor* t : {&kt, &vt, &qt, &out}) be.release(*t);
    return got;
  };
  std::vector<float> q_scaled = Q;
  for (float& x : q_scaled) x *= scale;
  auto plain = cpu_backend("", "");
  const std::vector<float> exact = attend(*plain, K, V, Q, scale);
  auto kvq = cpu_backend("bf16", "kv,q");
  EXPECT_EQ(attend(*kvq, K, V, Q, scale),
            attend(*plain, rounded(bf16, K), rounded(bf16, V), rounded(bf16, q_scaled), 1.0f));
  auto kv = cpu_backend("bf16", "kv");
  EXPECT_EQ(attend(*kv, K, V, Q, scale), attend(*plain, rounded(bf16, K), rounded(bf16, V), Q, scale));
  auto p = cpu_backend("bf16", "p");
  const std::vector<float> with_p = attend(*p, K, V, Q, scale);
  EXPECT_NE(with_p, exact);
  for (size_t i = 0; i < exact.size(); ++i) EXPECT_NEAR(with_p[i], exact[i], 1.0f / 128) << i;
}

// fp16 stops where the CUDA fp16 mode stops: at a value beyond its range.
TEST(Round16, Fp16OverflowIsAnErrorNamingThePart) {
  std::vector<float> v = {1.0f, 65504.0f, -65519.0f};  // all round to finite fp16 values
  parse_round16("fp16", "").apply(v.data(), v.size(), "K");
  EXPECT_EQ(v[2], -65504.0f);
  v = {1.0f, 70000.0f};
  const std::string e = test::error_of([&] { parse_round16("fp16", "").apply(v.data(), 2, "K"); });
  EXPECT_NE(e.find("SELFENS_CPU_ROUND16=fp16: a value of K (70000"), std::string::npos) << e;
  EXPECT_NO_THROW(parse_round16("bf16", "").apply(v.data(), 2, "K")) << "bf16 has fp32's range";
  auto be = cpu_backend("fp16", "inputs");
  Tensor w = be->upload_linear_weight(HostTensor{{2, 2}, {1, 0, 0, 1}});
  Tensor x = be->alloc(1, 2), y = be->alloc(1, 2);
  be->upload(std::vector<float>{3.0f, 1e6f}, x);
  const std::string m = test::error_of([&] { be->matmul(x, w, nullptr, y); });
  EXPECT_NE(m.find("a value of the layers' product inputs (1000000"), std::string::npos) << m;
  be->release(x);
  be->release(y);
}

TEST(Round16, ARunRecordsTheRoundingAndTheOtherSwitchesInItsPrecision) {
  BackendOptions o;
  EXPECT_EQ(backend_precision("cpu", o), "fp32");
  o.cpu_round16 = parse_round16("bf16", "kv,p");
  EXPECT_EQ(backend_precision("cpu", o), "fp32, bf16 at kv,p");
  o.cpu_int8 = true;
  EXPECT_EQ(backend_precision("cpu", o), "fp32, int8 few-row activations, bf16 at kv,p");
  EXPECT_EQ(backend_precision("cuda", o), "bf16") << "CPU switches do not touch a GPU run";
  o.cuda_kv_f32 = true;
  EXPECT_EQ(backend_precision("cuda", o), "bf16, fp32 K/V");
  EXPECT_EQ(backend_precision("cuda-f32", o), "fp32");
  o.cuda_kv_f32 = false;
  o.cuda_bf16_ffn = 2;
  o.cuda_decode_attention = true;
  o.cuda_add_in_products = true;  // reorders a sum only: not named
  o.cuda_fp8_fast_accum = true;
  EXPECT_EQ(backend_precision("cuda-fp16", o),
            "fp16, fp32 decode attention, 16-bit gate/up in prefill");
  EXPECT_EQ(backend_precision("cuda-fp8", o),
            "fp8, fp32 decode attention, 16-bit gate/up in prefill, fast fp8 accumulation");
}

}  // namespace
}  // namespace selfens
