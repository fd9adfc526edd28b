// `selfens merge`: joins the shards of `--shard K/N` runs (jobs/shard.h).
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "jobs/shard.h"
#include "util/check.h"
#include "util/log.h"

namespace selfens::cli {

int cmd_merge(int argc, char** argv) {
  Args a("merge", argc, argv, 2, {}, {"help", "overwrite", "quiet"});
  if (a.flag("help") || a.positional().empty()) {
    std::puts(
        "usage: selfens merge [--overwrite] FILE.feather... | DIR...\n"
        "Joins the shard files of `generate`/`confidence --shard K/N` runs\n"
        "(FILE.shardKofN.feather beside FILE.feather) into FILE.feather: the file an\n"
        "unsharded run writes, row for row. A directory merges every shard set in it.\n"
        "Refuses a missing, incomplete or differently made shard; --overwrite replaces\n"
        "an existing FILE.feather. Prints each merged file.");
    return a.flag("help") ? 0 : 2;
  }
  if (a.flag("quiet")) log::set_level(log::Level::kWarn);
  std::vector<std::filesystem::path> targets;
  for (const std::string& p : a.positional()) {
    if (!std::filesystem::is_directory(p)) {
      targets.push_back(p);
      continue;
    }
    const auto sets = shard_sets(p);
    SELFENS_REQUIRE(!sets.empty(), "merge: " + p + ": no shard files (NAME.shardKofN.feather)");
    targets.insert(targets.end(), sets.begin(), sets.end());
  }
  for (const auto& t : targets) {
    const MergeResult r = merge_shards(t, a.flag("overwrite"));
    log::info("merged " + std::to_string(r.shards) + " shards: " + std::to_string(r.questions) +
              " questions, " + std::to_string(r.rows) + " rows");
    std::printf("%s\n", r.path.c_str());
  }
  return 0;
}

}  // namespace selfens::cli
