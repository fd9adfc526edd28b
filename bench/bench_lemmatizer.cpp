// Lemmatizer throughput on one core: the lemma oracle's texts (model answers
// and gold answers), repeated until about 2 s have passed; words = tokens out.
// Usage: bench_lemmatizer [ORACLE_JSONL] [LEMMA_DIR]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/lemmatizer.h"
#include "eval/tokenize_en.h"

namespace {

std::vector<std::string> read_texts(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);) {
    texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  }
  return texts;
}

template <typename Fn>
void measure(const char* name, const std::vector<std::string>& texts, Fn fn) {
  using Clock = std::chrono::steady_clock;
  size_t words = 0, rounds = 0;
  const auto start = Clock::now();
  double secs = 0;
  while (secs < 2.0) {
    for (const auto& t : texts) words += fn(t);
    ++rounds;
    secs = std::chrono::duration<double>(Clock::now() - start).count();
  }
  std::printf("%-10s %8zu texts x %3zu rounds  %10.0f words/s  %8.2f us/text\n", name, texts.size(),
              rounds, words / secs, secs * 1e6 / (texts.size() * rounds));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string oracle = argc > 1 ? argv[1] : SELFENS_SOURCE_DIR "/../shared/data/lemma-oracle/dev.jsonl";
    const auto lem = argc > 2 ? selfens::eval::Lemmatizer::load(argv[2])
                              : selfens::eval::Lemmatizer::load_default();
    const auto texts = read_texts(oracle);
    measure("tokenize", texts, [](const std::string& t) { return selfens::eval::tokenize_en(t).size(); });
    measure("lemmatize", texts, [&](const std::string& t) { return lem.lemmas(t).size(); });
  } catch (const std::exception& e) {
    std::cerr << "bench_lemmatizer: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
