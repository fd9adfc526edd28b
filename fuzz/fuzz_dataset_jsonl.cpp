// libFuzzer target: the generic data set reader (JSONL of {uuid, question,
// paraphrases[], answers[]}). InputError is the only allowed failure; a set
// that loads must hold what load_dataset promises.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "data/dataset.h"
#include "data/paraphrase_selection.h"
#include "util/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  selfens::data::Dataset ds;
  try {
    ds = selfens::data::parse_generic_jsonl(text, "fuzz.jsonl", "fuzz", "block");
  } catch (const selfens::InputError&) {
    return 0;
  }
  std::set<std::string> uuids;
  for (const auto& q : ds.questions) {
    if (q.uuid.empty() || !uuids.insert(q.uuid).second) std::abort();
    if (q.paraphrases.empty() || q.paraphrases[0] != q.question || q.question.empty()) std::abort();
    if (q.answers.empty()) std::abort();
    selfens::data::ParaphraseSelection all;
    all.n = static_cast<int>(q.paraphrases.size());
    try {
      (void)selfens::data::asks_of(q, all);
    } catch (const selfens::InputError&) {
      std::abort();  // every question has the paraphrases it lists
    }
    // Synced samples of 2: distinct ordered pairs of valid indices.
    selfens::data::ParaphraseSelection pairs;
    pairs.n = 2;
    pairs.synced = selfens::data::SyncedSpec{3, false};
    if (q.paraphrases.size() >= 2) {
      std::set<std::vector<int>> seen;
      for (const auto& a : selfens::data::asks_of(q, pairs)) {
        if (a.indices.size() != 2 || a.indices[0] == a.indices[1]) std::abort();
        for (int i : a.indices)
          if (i < 0 || size_t(i) >= q.paraphrases.size()) std::abort();
        if (!seen.insert(a.indices).second) std::abort();
      }
    }
  }
  if (ds.fingerprint.size() != 16) std::abort();
  return 0;
}
