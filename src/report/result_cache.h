#pragma once
// Result files read once per report, with each row's correctness and its
// prediction's lemmas (report/accuracy.h rules), shared by every analysis
// of one `selfens analyze`.
#include <filesystem>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "eval/match.h"
#include "io/feather.h"
#include "report/accuracy.h"

namespace selfens::report {

struct LoadedResult {
  io::Table table;
  std::vector<bool> correct;                  // [rows]
  std::vector<eval::LemmaSeq> predict_lemmas;  // [rows]
};

class ResultCache {
 public:
  explicit ResultCache(std::filesystem::path lemma_dir) : lemmas_(std::move(lemma_dir)) {}
  const LoadedResult& get(const std::filesystem::path& path);

 private:
  LemmaSource lemmas_;
  std::unordered_map<std::string, LoadedResult> loaded_;
};

using UuidSet = std::unordered_set<std::string>;

// uuid -> row (the first row of each uuid).
std::unordered_map<std::string, size_t> uuid_index(const io::Table& t);

// The questions (uuids) every one of `files` answers.
UuidSet shared_uuids(const std::vector<const LoadedResult*>& files);

}  // namespace selfens::report
