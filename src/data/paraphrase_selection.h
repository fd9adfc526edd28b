#pragma once
// Which paraphrases a question is asked with, and how many times ("asks"):
//
//   first N (default)   one ask: paraphrases 0..N-1
//   --indexs 0,2,4      one ask: those indices (repeats allowed)
//   pool mMaAsS         one ask, the original's generate_original.py grid:
//                       M of the manual slots, A of the auto ones, then S of
//                       that pool, in draw order (--num_manual/--num_auto/
//                       --num_samples). The manual slots are the first
//                       kManualSlots positions of the question's list, as the
//                       original's `range(5)`: a MyriadLAMA record's manual
//                       templates, and for the records with four, the first
//                       auto template in the run's order. The auto slots are
//                       the positions after them.
//   synced samples      S asks, the original's g_ori_sample_sync_xzhao.py:
//                       random.seed(uuid); random.sample(P, S) over the
//                       ordered selections P of N of the question's
//                       paraphrases (itertools.permutations order), or over
//                       [[i]*N for i] with --repeat_paras.
//
// Pool draws (PoolOrder::kDraw) are CPython's, so a user can repeat them:
//   random.seed(f"{uuid}:{seed}")
//   manual = random.sample(range(5), M)
//   auto = [5 + i for i in random.sample(range(len(list) - 5), A)]
//   indices = random.sample(manual + auto, S)
// (the original drew with unseeded numpy, so its runs never repeated).
// PoolOrder::kFirst takes manual 0..M-1, auto 5..5+A-1 and the first S of
// that pool: m5a0sN is then today's first-N run.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace selfens::data {

enum class PoolOrder { kDraw, kFirst };
PoolOrder parse_pool_order(const std::string& s);  // InputError naming the values
std::string pool_order_name(PoolOrder o);

struct PoolSpec {
  int manual = 5, autos = 5, samples = 5;  // M, A, S as the original's defaults
  PoolOrder order = PoolOrder::kDraw;
  uint64_t seed = 0;
  // A question with fewer auto templates than A takes what it has (and S
  // shrinks to the pool) instead of failing.
  bool allow_short = false;
};

struct SyncedSpec {
  int samples = 5;           // S asks per question (fewer when fewer selections exist)
  bool repeat = false;       // [[i]*N for i] instead of permutations
};

struct ParaphraseSelection {
  int n = 1;                 // first N; synced: paraphrases per ask
  std::vector<int> indexs;   // explicit indices
  std::optional<PoolSpec> pool;
  std::optional<SyncedSpec> synced;

  // Paraphrases per ask as named in files: S for pools, else N or |indexs|.
  int views() const;
  // The file name's tag after the method stem: "m5a5s3",
  // "5paras-5samples[-repeat]" ("" for first N and indexs, which the output
  // paths name as before).
  std::string file_tag() const;
  // Every setting that shapes the asks, for a run's identity ("" for first N).
  std::string identity() const;
};

// The manual slots of the original's pools (its `range(5)`).
constexpr int kManualSlots = 5;

// One ask: the indices into Question::paraphrases, and for synced samples
// which sample it is (-1 otherwise).
struct Ask {
  std::vector<int> indices;
  int sample = -1;
};

// Checks the selection's sizes and that `ds` has manual/auto templates when
// pools are asked for (InputError naming the option); returns it with M
// capped at the manual slots (a warning on stderr when capped).
ParaphraseSelection checked_selection(ParaphraseSelection s, const Dataset& ds);

// The asks of question q (InputError naming its uuid when it has too few
// paraphrases). Deterministic: the same for every batch size, thread count,
// device and resumed run.
std::vector<Ask> asks_of(const Question& q, const ParaphraseSelection& s);

// The paraphrase texts of an ask.
std::vector<std::string> ask_paraphrases(const Question& q, const Ask& a);

}  // namespace selfens::data
