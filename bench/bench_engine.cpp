// Engine throughput on the CPU, the workload of bench/llamacpp_peer.py:
// prefill of one P-token prompt (logits for its last row), then decode at
// batch 1 and batch B (B sequences of 32 context tokens, one token each per
// step, logits for every row). Prints one JSON line.
//
//   bench_engine MODEL [--threads T] [--prompt-tokens P] [--decode-steps S] [--batch B]
#include <chrono>
#include <cstdlib>
#include <exception>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/quant_matvec.h"
#include "engine/engine.h"
#include "model/loader.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<int32_t> tokens(int n) {
  std::vector<int32_t> t(n);
  for (int i = 0; i < n; ++i) t[i] = (i * 7919 + 13) % 40000 + 100;  // as the peer
  return t;
}

double prefill_rate(selfens::Engine& e, int n) {
  auto toks = tokens(n);
  selfens::SpanId s = e.create_span({}, 0);
  selfens::StepBatch b;
  b.add_tokens(toks, s, true);
  auto t = Clock::now();
  e.forward(b);
  double rate = n / seconds_since(t);
  e.free_span(s);
  return rate;
}

double decode_rate(selfens::Engine& e, int nseq, int steps) {
  auto toks = tokens(32 + steps);
  std::vector<selfens::SpanId> spans;
  selfens::StepBatch b;
  for (int s = 0; s < nseq; ++s) {
    spans.push_back(e.create_span({}, 0));
    b.add_tokens(std::vector<int32_t>(toks.begin(), toks.begin() + 32), spans.back(), true);
  }
  e.forward(b);
  auto t = Clock::now();
  for (int step = 0; step < steps; ++step) {
    b.clear();
    for (auto s : spans) b.add(toks[step], s, true);
    e.forward(b);
  }
  double rate = double(nseq) * steps / seconds_since(t);
  for (auto s : spans) e.free_span(s);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: bench_engine MODEL [--threads T] [--prompt-tokens P] "
                      "[--decode-steps S] [--batch B]\n";
  if (argc < 2 || argv[1][0] == '-') {
    std::fputs(usage, stderr);
    return 2;
  }
  int threads = 2, prompt = 128, steps = 32, batch = 32;
  for (int i = 2; i < argc; i += 2) {
    const std::string k = argv[i];
    int* target = k == "--threads" ? &threads : k == "--prompt-tokens" ? &prompt
                : k == "--decode-steps" ? &steps : k == "--batch" ? &batch : nullptr;
    char* end = nullptr;
    const long v = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : 0;
    if (target == nullptr || end == nullptr || *end != '\0' || v < 1) {
      std::fprintf(stderr, "bench_engine: bad option '%s'\n%s", argv[i], usage);
      return 2;
    }
    *target = int(v);
  }
  std::shared_ptr<selfens::Model> model;
  try {
    model = std::make_shared<selfens::Model>(selfens::load_model(argv[1]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_engine: %s\n", e.what());
    return 2;
  }
  selfens::EngineOptions eo;
  eo.threads = threads;
  eo.kv_pages = 4096;
  selfens::Engine engine(model, eo);
  prefill_rate(engine, 16);  // warm-up
  double prefill = prefill_rate(engine, prompt);
  double d1 = decode_rate(engine, 1, steps);
  double dn = decode_rate(engine, batch, steps);
  std::printf("{\"engine\": \"selfens cpu\", \"threads\": %d, \"cpu_isa\": \"%s\", "
              "\"int8_activations\": %s, \"prefill_tok_s\": %.2f, \"decode_b1_tok_s\": %.2f, "
              "\"decode_b%d_tok_s\": %.2f}\n",
              threads, selfens::cpu::quant_isa_name(selfens::cpu::parse_quant_isa(eo.tuning.cpu_isa)),
              eo.tuning.cpu_int8 ? "true" : "false", prefill, d1, batch, dn);
  return 0;
}
