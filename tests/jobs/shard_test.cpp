// Shards (--shard K/N) and `merge`: parsing, file names, and the refusals of
// merge_shards on shard files written here.
#include "jobs/shard.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "common/error_of.h"
#include "data/output_paths.h"
#include "io/feather.h"
#include "util/check.h"

namespace selfens {
namespace {

namespace fs = std::filesystem;

using test::error_of;

TEST(Shard, ParsesKofN) {
  const Shard s = parse_shard("2/4");
  EXPECT_EQ(s.index, 1);
  EXPECT_EQ(s.count, 4);
  EXPECT_EQ(s.text(), "2/4");
  EXPECT_TRUE(s.holds(1) && s.holds(5) && !s.holds(0) && !s.holds(2));
  EXPECT_EQ(error_of([] { parse_shard("0/4"); }), "--shard: expected K/N with 1 <= K <= N, got '0/4'");
  EXPECT_EQ(error_of([] { parse_shard("5/4"); }), "--shard: expected K/N with 1 <= K <= N, got '5/4'");
  EXPECT_EQ(error_of([] { parse_shard("2of4"); }),
            "--shard: expected K/N (shard K of N, 1 <= K <= N), got '2of4'");
  EXPECT_FALSE(Shard{}.sharded());
}

TEST(Shard, FileNames) {
  EXPECT_EQ(shard_path("d/flex_attention-5.feather", parse_shard("2/4")),
            fs::path("d/flex_attention-5.shard2of4.feather"));
  EXPECT_EQ(shard_path("d/origin.feather", Shard{}), fs::path("d/origin.feather"));
  EXPECT_TRUE(data::is_shard_file("flex_attention-5_mean_T0.5.shard1of2.feather"));
  EXPECT_FALSE(data::is_shard_file("flex_attention-5_mean_T0.5.feather"));
}

// Shard k of n of a 5-question run: questions i with i mod n = k-1.
io::Table shard_table(int k, int n, const std::string& complete = "true") {
  io::Strings uuid, pred;
  for (int i = 0; i < 5; ++i)
    if (i % n == k - 1) {
      uuid.push_back("q" + std::to_string(i));
      pred.push_back("p" + std::to_string(i));
    }
  io::Table t;
  t.set("uuid", uuid);
  t.set("prediction", pred);
  t.metadata = {{"selfens.method", "origin"}, {"selfens.max_samples", "5"},
                {"selfens.wall_seconds", "1.5"}, {"selfens.generated_tokens", "10"},
                {"selfens.shard", std::to_string(k) + "/" + std::to_string(n)},
                {"selfens.complete", complete}};
  return t;
}

class MergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("selfens-shard-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path target() const { return dir_ / "origin.feather"; }
  void write(int k, int n, io::Table t) { io::write_feather(shard_path(target(), Shard{k - 1, n}), t); }
  fs::path dir_;
};

TEST_F(MergeTest, InterleavesShardsIntoDataSetOrder) {
  for (int k = 1; k <= 2; ++k) write(k, 2, shard_table(k, 2));
  EXPECT_EQ(shard_sets(dir_), std::vector<fs::path>{target()});
  const MergeResult r = merge_shards(target());
  EXPECT_EQ(r.questions, 5u);
  const io::Table t = io::read_feather(target());
  EXPECT_EQ(t.utf8("uuid"), (io::Strings{"q0", "q1", "q2", "q3", "q4"}));
  EXPECT_EQ(t.metadata_value("selfens.wall_seconds"), "3.000000");
  EXPECT_EQ(t.metadata_value("selfens.generated_tokens"), "20");
  EXPECT_EQ(t.metadata_value("selfens.shard"), std::nullopt);
  EXPECT_EQ(t.metadata_value("selfens.merged_shards"), "2");
  EXPECT_NE(error_of([&] { merge_shards(target()); }).find("exists; --overwrite replaces it"),
            std::string::npos);
  EXPECT_NO_THROW(merge_shards(target(), true));
}

TEST_F(MergeTest, RefusesMissingIncompleteOrMismatchedShards) {
  write(1, 3, shard_table(1, 3));
  write(3, 3, shard_table(3, 3));
  EXPECT_NE(error_of([&] { merge_shards(target()); }).find("shard 2 of 3 is missing"),
            std::string::npos);
  write(2, 3, shard_table(2, 3, "false"));
  EXPECT_NE(error_of([&] { merge_shards(target()); }).find("is incomplete"), std::string::npos);
  io::Table other = shard_table(2, 3);
  other.set_metadata("selfens.method", "avg");
  write(2, 3, other);
  EXPECT_NE(error_of([&] { merge_shards(target()); }).find("was made with selfens.method=avg"),
            std::string::npos);
  io::Table fewer;  // shard 2 of 3 without its question q4
  fewer.set("uuid", io::Strings{"q1"});
  fewer.set("prediction", io::Strings{"p1"});
  fewer.metadata = shard_table(2, 3).metadata;
  write(2, 3, fewer);
  EXPECT_NE(error_of([&] { merge_shards(target()); }).find("hold 4 questions, their selection is 5"),
            std::string::npos);
  write(2, 2, shard_table(2, 2));
  EXPECT_NE(error_of([&] { merge_shards(target()); }).find("has shards of"), std::string::npos);
  EXPECT_NE(error_of([&] { merge_shards(dir_ / "flex_attention-5.feather"); }).find("no shard files"),
            std::string::npos);
}

}  // namespace
}  // namespace selfens
