// End-to-end: one model on a CPU Engine and a CUDA Engine; the same prompt,
// then greedy steps teacher-forced with the CPU's tokens (logits compared at
// every step), a batch of several spans (shared prefix, two children, a fused
// child with -log 2 biases), and free-running greedy generation.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "engine/engine.h"
#include "gpu_check.h"
#include "model/gguf.h"
#include "model/loader.h"
#include "tokenizer/tokenizer.h"

namespace selfens::gpucheck {

namespace {

HostTensor rand_tensor(std::mt19937& rng, std::vector<int64_t> shape, float a) {
  HostTensor h;
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  h.shape = std::move(shape);
  h.data = randv(rng, size_t(n), a);
  return h;
}

HostTensor ones_ish(std::mt19937& rng, int64_t n) {
  HostTensor h = rand_tensor(rng, {n}, 0.1f);
  for (float& x : h.data) x += 1.0f;
  return h;
}

// Random weights in the shape of SmolLM2-135M (head_dim 64, GQA 3) or of a
// small head_dim-128 model (GQA 4).
std::shared_ptr<Model> synthetic_model(const std::string& kind) {
  auto m = std::make_shared<Model>();
  ModelConfig& c = m->config;
  c.architecture = "LlamaForCausalLM";
  if (kind == "smollm2") {
    c.vocab_size = 49152, c.hidden_size = 576, c.intermediate_size = 1536, c.num_layers = 30;
    c.num_heads = 9, c.num_kv_heads = 3, c.head_dim = 64, c.rope_theta = 100000.0f;
  } else {
    c.vocab_size = 32000, c.hidden_size = 1024, c.intermediate_size = 2816, c.num_layers = 4;
    c.num_heads = 8, c.num_kv_heads = 2, c.head_dim = 128, c.rope_theta = 500000.0f;
  }
  c.max_position_embeddings = 8192;
  c.tie_word_embeddings = true;
  c.eos_token_ids = {};
  m->name = m->path = "synthetic:" + kind;
  std::mt19937 rng(7);
  const int64_t d = c.hidden_size, qd = int64_t(c.num_heads) * c.head_dim;
  const int64_t kvd = int64_t(c.num_kv_heads) * c.head_dim, f = c.intermediate_size;
  ModelWeights& w = m->weights;
  w.tok_embeddings = rand_tensor(rng, {c.vocab_size, d}, 0.5f);
  w.final_norm = ones_ish(rng, d);
  for (int l = 0; l < c.num_layers; ++l) {
    LayerWeights L;
    const float s = 1.0f / std::sqrt(float(d)), sf = 1.0f / std::sqrt(float(f));
    L.attn_norm = ones_ish(rng, d);
    L.wq = rand_tensor(rng, {qd, d}, 2 * s);
    L.wk = rand_tensor(rng, {kvd, d}, 2 * s);
    L.wv = rand_tensor(rng, {kvd, d}, s);
    L.wo = rand_tensor(rng, {d, qd}, s);
    L.ffn_norm = ones_ish(rng, d);
    L.w_gate = rand_tensor(rng, {f, d}, s);
    L.w_up = rand_tensor(rng, {f, d}, s);
    L.w_down = rand_tensor(rng, {d, f}, sf);
    w.layers.push_back(std::move(L));
  }
  return m;
}

std::vector<int32_t> prompt_tokens(const Model& m) {
  const std::string text =
      "Answer the question based on general world knowledge.\n\nQ: what is the capital of "
      "France?\nA: Paris\n\nQ: who wrote Hamlet?\nA:";
  std::unique_ptr<Tokenizer> tok;
  if (!m.tokenizer_json.empty()) tok = Tokenizer::from_tokenizer_json(m.tokenizer_json);
  if (!m.gguf_path.empty()) tok = Tokenizer::from_gguf(GgufFile(m.gguf_path));
  if (tok) return tok->encode(text);
  std::mt19937 rng(11);
  std::vector<int32_t> ids(48);
  for (int32_t& t : ids) t = int32_t(rng() % uint32_t(m.config.vocab_size));
  return ids;
}

int32_t argmax(std::span<const float> v) {
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

double diff(std::span<const float> a, std::span<const float> b) {
  double m = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    m = std::isnan(d) ? INFINITY : std::max(m, d);
  }
  return m;
}

struct Compare {
  double max_diff = 0.0;
  int agree = 0, total = 0;
  void add(const Logits& a, const Logits& b) {
    for (int32_t r = 0; r < a.rows; ++r) {
      max_diff = std::max(max_diff, diff(a.row(r), b.row(r)));
      agree += argmax(a.row(r)) == argmax(b.row(r));
      ++total;
    }
  }
};

// Prompt + `steps` greedy steps with the CPU's tokens fed to both engines.
Compare teacher_forced(Engine& cpu, Engine& gpu, const std::vector<int32_t>& prompt, int steps) {
  Compare c;
  const SpanId sc = cpu.create_span({}, 0), sg = gpu.create_span({}, 0);
  StepBatch bc, bg;
  bc.add_tokens(prompt, sc, true);
  bg.add_tokens(prompt, sg, true);
  for (int i = 0; i <= steps; ++i) {
    const Logits lc = cpu.forward(bc), lg = gpu.forward(bg);
    c.add(lc, lg);
    const int32_t next = argmax(lc.row(0));
    bc.clear();
    bg.clear();
    bc.add(next, sc, true);
    bg.add(next, sg, true);
  }
  cpu.free_span(sc);
  gpu.free_span(sg);
  return c;
}

// P -> {Q1, Q2} -> G (biases -log 2): prefill of all in one batch, then two
// decode steps of Q1, Q2 and G together.
Compare span_batch(Engine& cpu, Engine& gpu, const std::vector<int32_t>& prompt) {
  Compare c;
  const size_t half = prompt.size() / 2;
  const std::vector<int32_t> p(prompt.begin(), prompt.begin() + long(half));
  const std::vector<int32_t> q1(prompt.begin() + long(half), prompt.end());
  const std::vector<int32_t> q2(q1.rbegin(), q1.rend());
  std::vector<Logits> outs;
  for (Engine* e : {&cpu, &gpu}) {
    const SpanId sp = e->create_span({}, 0);
    const std::array<SpanId, 1> par{sp};
    const SpanId s1 = e->create_span(par, int32_t(half)), s2 = e->create_span(par, int32_t(half));
    const std::array<SpanId, 2> qs{s1, s2};
    const std::array<KeyBias, 2> bias{KeyBias{s1, -std::log(2.0f)}, KeyBias{s2, -std::log(2.0f)}};
    const SpanId g = e->create_span(qs, int32_t(half + q1.size()), bias);
    StepBatch b;
    b.add_tokens(p, sp, false);
    b.add_tokens(q1, s1, true);
    b.add_tokens(q2, s2, true);
    b.add(prompt[0], g, true);
    outs.push_back(e->forward(b));
    for (int step = 0; step < 2; ++step) {
      b.clear();
      b.add(int32_t(7 + step), s1, true);
      b.add(int32_t(9 + step), s2, true);
      b.add(int32_t(11 + step), g, true);
      outs.push_back(e->forward(b));
    }
    for (SpanId s : {g, s1, s2, sp}) e->free_span(s);
  }
  for (size_t i = 0; i < outs.size() / 2; ++i) c.add(outs[i], outs[i + outs.size() / 2]);
  return c;
}

// A BF16 safetensors model loaded as the file's bytes (what `selfens` does
// for --device cuda) must give the logits of its fp32 load exactly.
void check_bf16_views(Report& r, const std::string& model, const EngineOptions& options, const std::string& tag,
                      const std::vector<int32_t>& prompt, int steps, Engine& fp32_engine) {
  if (model.rfind("synthetic:", 0) == 0 || !std::filesystem::is_directory(model)) return;
  auto views = std::make_shared<const Model>(load_model(model, LoadOptions{.bf16_views = true}));
  if (!views->weights.tok_embeddings.data.empty()) return;  // not a BF16 file
  Engine e(views, options);
  const Compare c = teacher_forced(fp32_engine, e, prompt, steps);
  r.check(tag + "bf16 file bytes vs fp32 load: logits", c.max_diff, 0.0,
          {{"rows", c.total}, {"token_agreement", c.agree}});
}

}  // namespace

void run_e2e_checks(Report& r, const std::string& model, DType gpu_dtype, int steps) {
  std::shared_ptr<const Model> m;
  if (model.rfind("synthetic:", 0) == 0)
    m = synthetic_model(model.substr(10));
  else
    m = std::make_shared<Model>(load_model(model));
  const std::vector<int32_t> prompt = prompt_tokens(*m);
  EngineOptions oc, og;
  oc.backend = "cpu";
  og.backend = cuda_device_kind(gpu_dtype);
  for (EngineOptions* o : {&oc, &og}) o->kv_pages = 256;
  Engine cpu(m, oc), gpu(m, og);
  const std::string tag = "e2e/" + dtype_name(gpu_dtype) + " " +
                          model + " ";
  const bool exact = gpu_dtype == DType::kF32;
  auto report = [&](const std::string& what, const Compare& c) {
    const nlohmann::json extra = {{"token_agreement", c.agree}, {"rows", c.total},
                                  {"prompt_tokens", prompt.size()}};
    if (exact) {
      r.check(tag + what + " logits", c.max_diff, 1e-3, extra);
      r.check(tag + what + " argmax agreement", double(c.total - c.agree), 0.0, extra);
    } else {
      nlohmann::json v = extra;
      v["max_logit_diff"] = c.max_diff;
      r.info(tag + what, v);
      r.check(tag + what + " finite", std::isfinite(c.max_diff) ? 0.0 : INFINITY, 0.0);
      // bf16 weights, activations and K/V move logits by ~0.2-0.4 on these
      // models; a wrong kernel or a stale bf16 copy moves them by far more.
      // fp8 products (3 mantissa bits to bf16's 8) move them ~10-15x as far:
      // 3.5-5.9 on these models on an H100 (2026-12-07), so a bound of 8.
      const bool fp8 = gpu_dtype == DType::kFp8;
      r.check(tag + what + " logits near the CPU's (" + (fp8 ? "fp8" : "16-bit") + ")", c.max_diff,
              fp8 ? 8.0 : 1.5, extra);
    }
  };
  report("teacher-forced " + std::to_string(steps) + " steps", teacher_forced(cpu, gpu, prompt, steps));
  report("span batch", span_batch(cpu, gpu, prompt));
  const std::vector<int32_t> tc = cpu.generate_greedy(prompt, steps);
  const std::vector<int32_t> tg = gpu.generate_greedy(prompt, steps);
  int same = 0;
  while (same < int(std::min(tc.size(), tg.size())) && tc[size_t(same)] == tg[size_t(same)]) ++same;
  const nlohmann::json g = {{"cpu_tokens", tc}, {"gpu_tokens", tg}, {"common_prefix", same}};
  if (exact)
    r.check(tag + "greedy tokens identical", tc == tg ? 0.0 : 1.0, 0.0, g);
  else
    r.info(tag + "greedy common prefix", g);
  check_bf16_views(r, model, og, tag, prompt, steps, gpu);
}

}  // namespace selfens::gpucheck
