#include "cli/cli.h"

#include "cli/commands.h"

#include <cstdio>
#include <exception>
#include <string>

#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {
namespace {

int usage(std::FILE* out) {
  std::fprintf(out,
               "usage: selfens <command> [options]\n"
               "commands:\n"
               "  generate   run a method over a data set (the main job)\n"
               "  confidence sampled answers per paraphrase -> confidence.feather\n"
               "  paraphrase generate WebQA paraphrases (the original's 5 rounds)\n"
               "  analyze    accuracy report of a data set's result files (text, JSON, HTML)\n"
               "  mask       picture of a method's attention plan (ascii, svg, png)\n"
               "  merge      join the shard files of --shard K/N runs\n"
               "  run        continue a prompt with greedy decoding\n"
               "  tokenize   print the token ids of a text\n"
               "  lemmatize  add lemma columns to result files\n"
               "  match      score predictions against answers (JSONL on stdin)\n"
               "  version    print the version\n");
  return out == stdout ? 0 : 2;
}

int dispatch(int argc, char** argv) {
  if (argc < 2) return usage(stderr);
  std::string cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") return usage(stdout);
  if (cmd == "version" || cmd == "--version") {
    std::printf("selfens %s\n", SELFENS_VERSION);
    return 0;
  }
  if (cmd == "run") return cmd_run(argc, argv);
  if (cmd == "tokenize") return cmd_tokenize(argc, argv);
  if (cmd == "generate") return cmd_generate(argc, argv);
  if (cmd == "lemmatize") return cmd_lemmatize(argc, argv);
  if (cmd == "match") return cmd_match(argc, argv);
  if (cmd == "confidence") return cmd_confidence(argc, argv);
  if (cmd == "paraphrase") return cmd_paraphrase(argc, argv);
  if (cmd == "analyze") return cmd_analyze(argc, argv);
  if (cmd == "mask") return cmd_mask(argc, argv);
  if (cmd == "merge") return cmd_merge(argc, argv);
  throw InputError("unknown command '" + cmd + "' (see selfens --help)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const InputError& e) {
    log::error(e.what());
    return static_cast<int>(ExitCode::kBadInput);
  } catch (const std::exception& e) {
    log::error(std::string("internal error: ") + e.what());
    return static_cast<int>(ExitCode::kInternal);
  }
}

}  // namespace selfens::cli
