// `selfens run` and `selfens tokenize`: the model and tokenizer on their own.
#include <cstdio>
#include <iostream>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/job_options.h"
#include "engine/engine.h"
#include "methods/session.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {

int cmd_run(int argc, char** argv) {
  Args a("run", argc, argv, 2, {"model", "prompt", "max_new_tokens", "threads", "device"},
         {"quiet", "help", "stop_at_newline"});
  if (a.flag("help")) {
    std::puts("usage: selfens run --model M --prompt TEXT [--max-new-tokens N] [--threads T]\n"
              "                   [--device auto|cpu|cuda|cuda-fp16|cuda-fp8|cuda-f32]\n"
              "                   [--stop-at-newline] [--quiet]\n"
              "Greedy continuation of TEXT; prints the continuation on stdout.");
    return 0;
  }
  if (a.flag("quiet")) log::set_level(log::Level::kWarn);
  SELFENS_REQUIRE(a.has("prompt"), "run: --prompt TEXT is required");
  const int max_new = a.integer("max_new_tokens", 32, 1, 1 << 20);
  EngineOptions eo;
  eo.threads = a.integer("threads", 0, 1, 4096);
  eo.backend = device_option(a);
  Session s = open_session(a.str("model", "smollm2_135m_it"), load_options_for(eo.backend));
  std::vector<int32_t> ids = s.tokenizer->encode(a.str("prompt", ""), true);
  SELFENS_REQUIRE(!ids.empty(), "run: the prompt is empty");
  require_within_context(s.model->config, "run: the prompt", static_cast<int64_t>(ids.size()),
                         max_new);
  eo.kv_pages = 0;  // generate_greedy sizes the pool
  Engine engine(s.model, eo);
  const bool at_newline = a.flag("stop_at_newline");
  const Tokenizer& tok = *s.tokenizer;
  auto out = engine.generate_greedy(ids, max_new, [&](int32_t t, const std::vector<int32_t>&) {
    return at_newline && tok.token_text(t).find('\n') != std::string::npos;
  });
  std::cout << tok.decode(out, true) << std::endl;
  return 0;
}

int cmd_tokenize(int argc, char** argv) {
  Args a("tokenize", argc, argv, 2, {"model"}, {"help", "no_special"});
  if (a.flag("help") || a.positional().size() != 1) {
    std::puts("usage: selfens tokenize [--model M] [--no-special] TEXT\n"
              "Prints the token ids of TEXT on one line (BOS included when the model adds it).");
    return a.flag("help") ? 0 : 2;
  }
  auto tok = open_tokenizer(a.str("model", "smollm2_135m_it"));
  auto ids = tok->encode(a.positional()[0], !a.flag("no_special"));
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
  std::cout << line << std::endl;
  return 0;
}

}  // namespace selfens::cli
