// `selfens lemmatize` and `selfens match`: the scoring primitives.
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "eval/lemmatizer.h"
#include "eval/match.h"
#include "io/feather.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {
namespace {

eval::Lemmatizer load_lemmatizer(const Args& a) {
  auto dir = a.maybe("lemma_dir");
  return dir ? eval::Lemmatizer::load(*dir) : eval::Lemmatizer::load_default();
}

}  // namespace

int cmd_lemmatize(int argc, char** argv) {
  Args a("lemmatize", argc, argv, 2, {"lemma_dir"}, {"help", "quiet"});
  if (a.flag("help") || a.positional().empty()) {
    std::puts("usage: selfens lemmatize [--lemma-dir DIR] FILE.feather...\n"
              "Adds predict_lemma (list<utf8>) and answer_lemmas (list<list<utf8>>) columns\n"
              "to result files in place (atomically), as the original's --lemmaize did.");
    return a.flag("help") ? 0 : 2;
  }
  eval::Lemmatizer lem = load_lemmatizer(a);
  for (const auto& path : a.positional()) {
    io::Table t = io::read_feather(path);
    // A null prediction or answer list is read as empty: it cannot match.
    for (const char* col : {"prediction", "answers"})
      if (const size_t n = t.null_count(col); n > 0)
        log::warn(path + ": column '" + col + "' has " + std::to_string(n) +
                  " null values; they are lemmatized as empty (" +
                  (std::string(col) == "prediction" ? "no lemmas" : "no answers") +
                  ") and count as wrong");
    eval::add_lemma_columns(t, lem);
    io::write_feather(path, t);
    if (!a.flag("quiet")) log::info("lemmatized " + path + " (" + std::to_string(t.num_rows()) + " rows)");
  }
  return 0;
}

int cmd_match(int argc, char** argv) {
  Args a("match", argc, argv, 2, {"lemma_dir"}, {"help"});
  if (a.flag("help")) {
    std::puts("usage: selfens match [--lemma-dir DIR] < lines.jsonl\n"
              "Each input line {\"prediction\": str, \"answers\": [str]} gives one output line\n"
              "{\"predict_lemma\": [...], \"answer_lemmas\": [[...]], \"match\": bool}.");
    return 0;
  }
  eval::Lemmatizer lem = load_lemmatizer(a);
  std::string line;
  for (int n = 1; std::getline(std::cin, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json in;
    try {
      in = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw InputError("stdin:" + std::to_string(n) + ": invalid JSON: " + e.what());
    }
    SELFENS_REQUIRE(in.is_object() && in.contains("prediction") && in["prediction"].is_string(),
                    "stdin:" + std::to_string(n) + ": field 'prediction' missing or not a string");
    SELFENS_REQUIRE(in.contains("answers") && in["answers"].is_array(),
                    "stdin:" + std::to_string(n) + ": field 'answers' missing or not a list");
    nlohmann::json out;
    auto pred = lem.lemmas(in["prediction"].get<std::string>());
    std::vector<eval::LemmaSeq> answers;
    for (const auto& s : in["answers"]) {
      SELFENS_REQUIRE(s.is_string(), "stdin:" + std::to_string(n) + ": 'answers' must hold strings");
      answers.push_back(lem.lemmas(s.get<std::string>()));
    }
    out["predict_lemma"] = pred;
    out["answer_lemmas"] = answers;
    out["match"] = eval::is_correct(pred, answers);
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  return 0;
}

}  // namespace selfens::cli
