// Paraphrase selections: first N, explicit indices, the original's pools and
// synced samples. Expected draws were computed with CPython 3.11:
//   pools:  random.seed(f"{uuid}:{seed}"); m = random.sample(range(5), M);
//           a = [5 + i for i in random.sample(range(L - 5), A)];
//           random.sample(m + a, S)
//   synced: random.seed(uuid); random.sample(list(itertools.permutations(
//           range(L), N)), S)   (or [[i]*N for i in range(L)] with repeat)
#include "data/paraphrase_selection.h"

#include <gtest/gtest.h>

#include "data/test_util.h"
#include "util/check.h"

namespace selfens::data {
namespace {

using test::error_of;

const char* kUuid = "q-000000000000001-aaaaaaaaaaaaaaa";

Question question_with(int paraphrases, const std::string& uuid = kUuid) {
  Question q;
  q.uuid = uuid;
  for (int i = 0; i < paraphrases; ++i) q.paraphrases.push_back("p" + std::to_string(i));
  q.question = q.paraphrases[0];
  q.answers = {"a"};
  return q;
}

Dataset myriadlama_like() {
  Dataset ds;
  ds.name = "myriadlama";
  ds.manual_slots = kManualSlots;
  return ds;
}

ParaphraseSelection first(int n, std::vector<int> indexs = {}) {
  ParaphraseSelection sel;
  sel.n = n;
  sel.indexs = std::move(indexs);
  return sel;
}

ParaphraseSelection synced(int n, int samples, bool repeat = false) {
  ParaphraseSelection sel = first(n);
  sel.synced = SyncedSpec{samples, repeat};
  return sel;
}

ParaphraseSelection pool(int m, int a, int s, uint64_t seed = 0, PoolOrder order = PoolOrder::kDraw,
                         bool allow_short = false) {
  ParaphraseSelection sel;
  sel.pool = PoolSpec{m, a, s, order, seed, allow_short};
  return sel;
}

std::vector<int> one_ask(const Question& q, const ParaphraseSelection& s) {
  auto asks = asks_of(q, s);
  EXPECT_EQ(asks.size(), 1u);
  EXPECT_EQ(asks[0].sample, -1);
  return asks[0].indices;
}

TEST(ParaphraseSelection, FirstNAndIndices) {
  const Question q{"u1", "p0", {"p0", "p1", "p2"}, {"a"}};
  EXPECT_EQ(ask_paraphrases(q, asks_of(q, first(2))[0]),
            (std::vector<std::string>{"p0", "p1"}));
  EXPECT_EQ(one_ask(q, first(3)), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(one_ask(q, first(99, {0, 0, 0})), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(error_of([&] { asks_of(q, first(4)); }),
            "question u1 has only 3 paraphrases, 4 requested");
  EXPECT_EQ(error_of([&] { asks_of(q, first(0)); }),
            "number of paraphrases must be at least 1, got 0");
  EXPECT_EQ(error_of([&] { asks_of(q, first(1, {1, 3})); }),
            "question u1: paraphrase index 3 out of range (3 paraphrases)");
  EXPECT_THROW(asks_of(q, first(1, {-1})), InputError);
  EXPECT_EQ(first(5).file_tag(), "");
  EXPECT_EQ(first(5).identity(), "");
}

TEST(ParaphraseSelection, PoolDrawsAsCPython) {
  const Question q = question_with(15);
  EXPECT_EQ(one_ask(q, pool(5, 5, 3)), (std::vector<int>{10, 4, 5}));
  EXPECT_EQ(one_ask(q, pool(2, 3, 4, 7)), (std::vector<int>{1, 0, 8, 5}));
  EXPECT_EQ(one_ask(q, pool(5, 10, 15)),
            (std::vector<int>{14, 4, 12, 6, 1, 5, 0, 13, 10, 8, 7, 3, 9, 2, 11}));
  // Another seed draws another pool; the same seed the same one, every time.
  EXPECT_NE(one_ask(q, pool(5, 5, 3, 1)), one_ask(q, pool(5, 5, 3, 0)));
  EXPECT_EQ(one_ask(q, pool(5, 5, 3, 1)), one_ask(q, pool(5, 5, 3, 1)));
  EXPECT_EQ(pool(5, 5, 3).file_tag(), "m5a5s3");
  EXPECT_EQ(pool(5, 5, 3, 2).identity(), "pool m5a5s3 order=draw seed=2");
}

TEST(ParaphraseSelection, FirstOrderIsTemplateOrder) {
  const Question q = question_with(15);
  // m5a0sN in template order is today's first-N selection.
  for (int n = 1; n <= 5; ++n)
    EXPECT_EQ(one_ask(q, pool(5, 0, n, 0, PoolOrder::kFirst)), one_ask(q, first(n)));
  EXPECT_EQ(one_ask(q, pool(2, 3, 4, 0, PoolOrder::kFirst)), (std::vector<int>{0, 1, 5, 6}));
  EXPECT_EQ(one_ask(q, pool(0, 3, 2, 0, PoolOrder::kFirst)), (std::vector<int>{5, 6}));
}

TEST(ParaphraseSelection, ShortPools) {
  const Question q = question_with(12);  // 5 manual slots, 7 auto
  EXPECT_EQ(error_of([&] { asks_of(q, pool(0, 15, 1)); }),
            std::string("question ") + kUuid +
                " has 5 manual and 7 auto templates; the pool m0a15 needs more "
                "(--allow_short_pools takes what it has)");
  // Takes the 7 it has, S shrinks to the pool: random.sample(range(7), 7) after m5.
  EXPECT_EQ(one_ask(q, pool(5, 15, 5, 0, PoolOrder::kDraw, true)),
            (std::vector<int>{4, 11, 0, 1, 8}));
  EXPECT_EQ(one_ask(q, pool(0, 15, 15, 0, PoolOrder::kFirst, true)),
            (std::vector<int>{5, 6, 7, 8, 9, 10, 11}));
}

TEST(ParaphraseSelection, SyncedSamplesAsCPython) {
  const ParaphraseSelection s = synced(5, 5);
  const auto asks = asks_of(question_with(15), s);
  const std::vector<std::vector<int>> want = {
      {9, 7, 5, 6, 3}, {0, 9, 6, 13, 1}, {11, 5, 13, 6, 10}, {14, 11, 12, 13, 0}, {8, 7, 14, 1, 13}};
  ASSERT_EQ(asks.size(), want.size());
  for (size_t i = 0; i < asks.size(); ++i) {
    EXPECT_EQ(asks[i].indices, want[i]);
    EXPECT_EQ(asks[i].sample, int(i));
  }
  EXPECT_EQ(s.file_tag(), "5paras-5samples");

  const ParaphraseSelection rep = synced(2, 3, true);
  const auto r = asks_of(question_with(15), rep);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].indices, (std::vector<int>{6, 6}));
  EXPECT_EQ(r[1].indices, (std::vector<int>{0, 0}));
  EXPECT_EQ(r[2].indices, (std::vector<int>{8, 8}));
  EXPECT_EQ(rep.file_tag(), "2paras-3samples-repeat");

  // Fewer selections than samples: all of them, in draw order.
  const ParaphraseSelection all = synced(3, 10);
  const auto a = asks_of(question_with(3), all);
  const std::vector<std::vector<int>> perms = {{1, 2, 0}, {0, 1, 2}, {2, 1, 0},
                                               {2, 0, 1}, {1, 0, 2}, {0, 2, 1}};
  ASSERT_EQ(a.size(), perms.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].indices, perms[i]);

  // A population of 1,235,520 permutations (the set algorithm of random.sample).
  const ParaphraseSelection wide = synced(6, 3);
  const auto w = asks_of(question_with(13, "q-000000000000002-bbbbbbbbbbbbbbb"), wide);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].indices, (std::vector<int>{3, 9, 0, 2, 4, 5}));
  EXPECT_EQ(w[1].indices, (std::vector<int>{3, 12, 8, 1, 9, 10}));
  EXPECT_EQ(w[2].indices, (std::vector<int>{12, 9, 3, 11, 5, 0}));

  const ParaphraseSelection too_many = synced(4, 2);
  EXPECT_EQ(error_of([&] { asks_of(question_with(3), too_many); }),
            std::string("question ") + kUuid + " has 3 paraphrases; synced samples of 4 need at least that many");
}

TEST(ParaphraseSelection, ChecksSizesAndDataSets) {
  const Dataset ds = myriadlama_like();
  EXPECT_EQ(error_of([&] { checked_selection(pool(-1, 5, 3), ds); }),
            "generate: --num_manual, --num_auto and --num_samples must be non-negative (got m-1a5s3)");
  EXPECT_EQ(error_of([&] { checked_selection(pool(2, 2, 5), ds); }),
            "generate: --num_samples (5) cannot exceed --num_manual + --num_auto (4)");
  EXPECT_EQ(error_of([&] { checked_selection(pool(2, 2, 0), ds); }),
            "generate: --num_samples must be at least 1");
  EXPECT_EQ(checked_selection(pool(8, 2, 3), ds).pool->manual, 5);  // capped, with a warning
  Dataset webqa;
  webqa.name = "webqa";
  EXPECT_EQ(error_of([&] { checked_selection(pool(5, 5, 3), webqa); }),
            "generate: data set 'webqa' has no manual/auto templates; paraphrase pools "
            "(--num_manual, --num_auto, --num_samples) need MyriadLAMA");
  ParaphraseSelection both = pool(5, 5, 3);
  both.synced = SyncedSpec{};
  EXPECT_THROW(checked_selection(both, ds), InputError);
  ParaphraseSelection idx = pool(5, 5, 3);
  idx.indexs = {0, 1};
  EXPECT_THROW(checked_selection(idx, ds), InputError);
  const ParaphraseSelection zero = synced(2, 0);
  EXPECT_EQ(error_of([&] { checked_selection(zero, ds); }),
            "generate: --synced_samples must be at least 1, got 0");
}

}  // namespace
}  // namespace selfens::data
