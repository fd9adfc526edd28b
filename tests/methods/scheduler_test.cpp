// run_continuous_batches (methods/scheduler.h): every item delivered once,
// and, holding, the steps' shapes steady between refills.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "methods/scheduler.h"

namespace selfens {
namespace {

// An item answers in `steps` steps; one row per step in flight. The KV
// budget lets a finished item pad until it has been fed `budget` rows.
struct Item {
  int id = 0;
  int steps = 1;
};

struct Active {
  const Item* item = nullptr;
  int done_steps = 0;
  int fed = 0;
};

class CountingRunner {
 public:
  explicit CountingRunner(int budget) : budget_(budget) {}
  std::vector<int> rows_per_step;   // rows of each forward call
  std::vector<int> admitted_per_step;
  std::vector<int> delivered;       // item ids, in delivery order
  int padding_rows = 0;

  void begin_step() {
    rows_ = 0;
    admitted_ = 0;
  }
  void add_decode_rows(Active& a, size_t, StepBatch& batch) {
    if (a.done_steps >= a.item->steps) ++padding_rows;  // held: padding
    ++a.fed;
    ++rows_;
    batch.add(0, a.item->id, true);
  }
  void admit(const Item& item, StepBatch& batch, std::vector<Active>& active) {
    active.push_back({&item, 0, 0});
    ++rows_;
    batch.add(0, item.id, true);
    ++admitted_;
  }
  void step(const StepBatch&, std::vector<Active>& active) {
    rows_per_step.push_back(rows_);
    admitted_per_step.push_back(admitted_);
    for (Active& a : active) a.done_steps = std::min(a.done_steps + 1, a.item->steps);
  }
  bool finished(const Active& a) const { return a.done_steps >= a.item->steps; }
  int take_output(Active& a) { return a.item->id; }
  void release(Active&) {}
  void deliver(int&& id) { delivered.push_back(id); }
  bool can_hold(const Active& a) const { return a.fed + 1 < budget_; }

 private:
  int budget_;
  int rows_ = 0;
  int admitted_ = 0;
};

std::vector<Item> items_with_steps(const std::vector<int>& steps) {
  std::vector<Item> items;
  for (size_t i = 0; i < steps.size(); ++i) items.push_back({int(i), steps[i]});
  return items;
}

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ContinuousBatches, WithoutHoldingFinishedItemsLeaveAtOnce) {
  const auto items = items_with_steps({1, 3, 2, 5, 1, 4, 2, 2});
  CountingRunner r(100);
  ASSERT_TRUE((run_continuous_batches<CountingRunner, Item, Active>(r, items, 4, {}, 0)));
  EXPECT_EQ(sorted(r.delivered), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(r.padding_rows, 0);
  // The first step admits 4; item 0 (1 step) leaves after it, and item 4
  // is admitted into the second step beside 3 decode rows.
  EXPECT_EQ(r.admitted_per_step[0], 4);
  EXPECT_EQ(r.admitted_per_step[1], 1);
}

TEST(ContinuousBatches, HoldingKeepsTheShapeUntilEnoughSlotsAreFree) {
  const auto items = items_with_steps({1, 6, 2, 6, 6, 6, 6, 6, 3, 3, 3, 3});
  CountingRunner r(100);
  ASSERT_TRUE((run_continuous_batches<CountingRunner, Item, Active>(r, items, 8, {}, 2)));
  EXPECT_EQ(sorted(r.delivered), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  // Items 0 and 2 finish after steps 1 and 2; held, the batch keeps its 8
  // rows; with 2 slots free, step 3 admits 2 new items.
  ASSERT_GE(r.rows_per_step.size(), 4u);
  EXPECT_EQ(r.rows_per_step[0], 8);
  EXPECT_EQ(r.rows_per_step[1], 8);
  EXPECT_EQ(r.admitted_per_step[1], 0);
  EXPECT_EQ(r.rows_per_step[2], 8);
  EXPECT_EQ(r.admitted_per_step[2], 2);
  EXPECT_EQ(r.padding_rows, 1);  // item 0 padded step 2 (item 2 had not finished yet)
  for (int rows : r.rows_per_step) EXPECT_LE(rows, 8);
}

TEST(ContinuousBatches, AHeldItemLeavesWhenItsBudgetIsSpent) {
  // Budget 2: a finished item pads while fed + 1 < 2, i.e. once. Item 0
  // finishes after 1 step, pads one step, then must leave although one
  // free slot is below the threshold of 2.
  const auto items = items_with_steps({1, 5, 5, 5, 5});
  CountingRunner r(2);
  ASSERT_TRUE((run_continuous_batches<CountingRunner, Item, Active>(r, items, 4, {}, 2)));
  EXPECT_EQ(sorted(r.delivered), (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(r.rows_per_step[1], 4);  // item 0 pads
  EXPECT_EQ(r.rows_per_step[2], 3);  // item 0 gone, nothing admitted (1 free < 2)
  EXPECT_EQ(r.admitted_per_step[2], 0);
}

TEST(ContinuousBatches, StopsWhenAsked) {
  const auto items = items_with_steps({3, 3, 3, 3});
  CountingRunner r(100);
  int calls = 0;
  EXPECT_FALSE((run_continuous_batches<CountingRunner, Item, Active>(
      r, items, 2, [&] { return ++calls > 2; }, 1)));
  EXPECT_EQ(r.rows_per_step.size(), 2u);
  EXPECT_TRUE(r.delivered.empty());
}

}  // namespace
}  // namespace selfens
