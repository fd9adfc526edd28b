#include "kv/kv_pages.h"

#include <gtest/gtest.h>

#include <set>

namespace selfens {
namespace {

TEST(KvPages, ReserveSlotsAndFree) {
  KvPages kv(8, 4);
  kv.reserve(0, 5);  // 2 pages
  kv.reserve(1, 4);  // 1 page
  EXPECT_EQ(kv.pages(0).size(), 2u);
  EXPECT_EQ(kv.pages(1).size(), 1u);
  EXPECT_EQ(kv.stats().used_pages, 3);
  // Slots follow the page list; pages are distinct across spans.
  EXPECT_EQ(kv.slot(0, 4).page, kv.pages(0)[1]);
  EXPECT_EQ(kv.slot(0, 4).offset, 0);
  EXPECT_EQ(kv.slot(0, 3).offset, 3);
  std::set<int32_t> all(kv.pages(0).begin(), kv.pages(0).end());
  all.insert(kv.pages(1).begin(), kv.pages(1).end());
  EXPECT_EQ(all.size(), 3u);
  kv.reserve(0, 3);  // shrinking never frees
  EXPECT_EQ(kv.pages(0).size(), 2u);
  kv.free_span(0);
  EXPECT_TRUE(kv.pages(0).empty());
  EXPECT_EQ(kv.stats().used_pages, 1);
  EXPECT_EQ(kv.stats().peak_pages, 3);
  kv.free_span(0);  // twice: no-op
  EXPECT_EQ(kv.stats().used_pages, 1);
}

TEST(KvPages, CapacityIsAllOrNothing) {
  KvPages kv(4, 16);
  kv.reserve(7, 40);  // 3 pages
  const std::vector<std::pair<SpanId, int32_t>> req = {{8, 10}, {9, 10}};  // 2 pages, 1 free
  try {
    kv.reserve(req);
    FAIL() << "expected KvCapacityError";
  } catch (const KvCapacityError& e) {
    EXPECT_NE(std::string(e.what()).find("out of KV cache pages"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(kv.pages(8).empty());
  EXPECT_TRUE(kv.pages(9).empty());
  EXPECT_EQ(kv.stats().used_pages, 3);
  kv.free_span(7);
  kv.reserve(req);
  EXPECT_EQ(kv.stats().used_pages, 2);
  EXPECT_EQ(kv.stats().capacity_pages, 4);
  EXPECT_THROW(KvPages(-1, 16), InputError);
  EXPECT_THROW(KvPages(4, 0), InputError);
  // An empty pool (an engine before its first run reserves): any token is
  // out of capacity.
  KvPages none(0, 16);
  EXPECT_THROW(none.reserve(1, 1), KvCapacityError);
}

}  // namespace
}  // namespace selfens
