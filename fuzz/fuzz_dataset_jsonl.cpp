// libFuzzer target: the generic data set reader (JSONL of {uuid, question,
// paraphrases[], answers[]}). InputError is the only allowed failure; a set
// that loads must hold what load_dataset promises.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "data/dataset.h"
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
    try {
      (void)selfens::data::select_paraphrases(q, static_cast<int>(q.paraphrases.size()));
    } catch (const selfens::InputError&) {
      std::abort();  // every question has the paraphrases it lists
    }
  }
  if (ds.fingerprint.size() != 16) std::abort();
  return 0;
}
