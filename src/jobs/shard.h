#pragma once
// Shards of a job (`--shard K/N`): question i of the data set belongs to
// shard (i mod N) + 1, so a shard's questions do not depend on
// --max_samples and the shards of any selection interleave back into data
// set order. A shard writes its own file beside the unsharded one
// (flex_attention-5.shard2of4.feather) with selfens.shard = "K/N" and
// resumes as a single run does; `selfens merge` joins a complete set into
// the file an unsharded run writes (the same columns, row for row).
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace selfens {

struct Shard {
  int index = 0;  // 0-based
  int count = 1;
  bool sharded() const { return count > 1; }
  bool holds(size_t question) const { return int(question % size_t(count)) == index; }
  std::string text() const;  // "2/4" (1-based)
};

// "K/N" with 1 <= K <= N (InputError naming --shard).
Shard parse_shard(const std::string& text);

// The shard's file for an unsharded `path`: STEM.shardKofN.feather (the
// path itself when not sharded).
std::filesystem::path shard_path(const std::filesystem::path& path, const Shard& shard);

struct MergeResult {
  std::filesystem::path path;  // the merged file
  int shards = 0;
  size_t rows = 0, questions = 0;
};

// Merges the shard files of `path` (found beside it) into `path`,
// atomically. InputError, naming the file, when a shard is missing,
// incomplete (selfens.complete false), or made another way (any identity
// key, the selection or the columns differ), or when `path` exists and is
// not a merge of the same shards (use overwrite).
MergeResult merge_shards(const std::filesystem::path& path, bool overwrite = false);

// The unsharded paths of every shard set in `dir` (sorted).
std::vector<std::filesystem::path> shard_sets(const std::filesystem::path& dir);

}  // namespace selfens
