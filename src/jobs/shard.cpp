#include "jobs/shard.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "data/output_paths.h"
#include "io/feather.h"
#include "util/check.h"

namespace selfens {
namespace fs = std::filesystem;
namespace {

// Metadata that is the shard's own: summed over the shards (counters) or
// replaced (shard, complete). Every other selfens.* key must agree.
const std::set<std::string> kIntegerCounters = {"selfens.prompt_tokens", "selfens.forwarded_tokens",
                                                "selfens.generated_tokens", "selfens.forward_calls"};
const std::set<std::string> kSecondCounters = {"selfens.wall_seconds", "selfens.decode_seconds",
                                               "selfens.enqueue_seconds", "selfens.finish_seconds"};
const std::set<std::string> kOwn = {"selfens.shard", "selfens.complete"};

bool per_shard(const std::string& key) {
  return kIntegerCounters.count(key) || kSecondCounters.count(key) || kOwn.count(key);
}

// Consecutive rows of one uuid: a question's rows (per_prompt, synced
// samples and confidence have several).
std::vector<std::pair<size_t, size_t>> question_groups(const io::Table& t) {
  std::vector<std::pair<size_t, size_t>> groups;  // [begin, end)
  const auto& ids = t.utf8("uuid");
  for (size_t i = 0; i < ids.size(); ++i)
    if (groups.empty() || ids[i] != ids[groups.back().first]) groups.push_back({i, i + 1});
    else groups.back().second = i + 1;
  return groups;
}

void check_same_run(const io::Table& t, const io::Table& first) {
  std::map<std::string, std::string> a, b;
  for (const auto& [k, v] : t.metadata)
    if (!per_shard(k)) a[k] = v;
  for (const auto& [k, v] : first.metadata)
    if (!per_shard(k)) b[k] = v;
  for (const auto& [k, v] : b) {
    auto it = a.find(k);
    SELFENS_REQUIRE(it != a.end() && it->second == v,
                    "merge: " + t.origin() + " was made with " + k + "=" +
                        (it == a.end() ? "(none)" : it->second) + ", " + first.origin() + " with " +
                        k + "=" + v + "; shards of one file must be made the same way");
  }
  for (const auto& [k, v] : a)
    SELFENS_REQUIRE(b.count(k), "merge: " + t.origin() + " records " + k + " and " +
                                    first.origin() + " does not");
}

io::Metadata merged_metadata(const std::vector<io::Table>& shards) {
  io::Metadata out;
  for (const auto& [k, v] : shards.front().metadata) {
    if (k == "selfens.shard") continue;
    if (k == "selfens.complete") {
      out.emplace_back(k, "true");
    } else if (kIntegerCounters.count(k) || kSecondCounters.count(k)) {
      double sum = 0;
      for (const auto& t : shards) sum += std::strtod(t.metadata_value(k).value_or("0").c_str(), nullptr);
      char buf[64];
      std::snprintf(buf, sizeof buf, kIntegerCounters.count(k) ? "%.0f" : "%.6f", sum);
      out.emplace_back(k, buf);
    } else {
      out.emplace_back(k, v);
    }
  }
  out.emplace_back("selfens.merged_shards", std::to_string(shards.size()));
  return out;
}

}  // namespace

std::string Shard::text() const { return std::to_string(index + 1) + "/" + std::to_string(count); }

Shard parse_shard(const std::string& text) {
  static const std::regex re(R"(^(\d{1,4})/(\d{1,4})$)");
  std::smatch m;
  SELFENS_REQUIRE(std::regex_match(text, m, re),
                  "--shard: expected K/N (shard K of N, 1 <= K <= N), got '" + text + "'");
  Shard s{std::stoi(m[1]) - 1, std::stoi(m[2])};
  SELFENS_REQUIRE(s.count >= 1 && s.index >= 0 && s.index < s.count,
                  "--shard: expected K/N with 1 <= K <= N, got '" + text + "'");
  return s;
}

fs::path shard_path(const fs::path& path, const Shard& shard) {
  if (!shard.sharded()) return path;
  fs::path p = path;
  p.replace_filename(data::shard_file_name({path.stem().string(), shard.index + 1, shard.count}));
  return p;
}

std::vector<fs::path> shard_sets(const fs::path& dir) {
  std::set<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (const auto f = data::parse_shard_file(e.path().filename().string()))
      out.insert(dir / (f->stem + ".feather"));
  return {out.begin(), out.end()};
}

MergeResult merge_shards(const fs::path& path, bool overwrite) {
  const std::string stem = path.stem().string();
  std::map<int, fs::path> found;
  int count = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path.parent_path().empty() ? "." : path.parent_path(), ec)) {
    const auto f = data::parse_shard_file(e.path().filename().string());
    if (!f || f->stem != stem) continue;
    SELFENS_REQUIRE(count == 0 || count == f->count,
                    "merge: " + path.string() + " has shards of " + std::to_string(count) +
                        " and of " + std::to_string(f->count) + " (" + e.path().string() +
                        "); remove one set");
    count = f->count;
    found[f->index] = e.path();
  }
  SELFENS_REQUIRE(count > 0, "merge: no shard files of " + path.string() + " (expected " + stem +
                                 ".shardKofN.feather beside it)");
  for (int k = 1; k <= count; ++k)
    SELFENS_REQUIRE(found.count(k), "merge: " + path.string() + ": shard " + std::to_string(k) +
                                        " of " + std::to_string(count) + " is missing (" +
                                        data::shard_file_name({stem, k, count}) + "); run it first");
  SELFENS_REQUIRE(overwrite || !fs::exists(path),
                  "merge: " + path.string() + " exists; --overwrite replaces it");
  std::vector<io::Table> shards;
  for (const auto& [k, p] : found) {
    shards.push_back(io::read_feather(p));
    const io::Table& t = shards.back();
    const std::string want = std::to_string(k) + "/" + std::to_string(count);
    SELFENS_REQUIRE(t.metadata_value("selfens.shard") == want,
                    "merge: " + p.string() + " records shard " +
                        t.metadata_value("selfens.shard").value_or("(none)") + ", its name says " + want);
    SELFENS_REQUIRE(t.metadata_value("selfens.complete") == std::optional<std::string>("true"),
                    "merge: " + p.string() + " is incomplete; run its command again to finish it");
    check_same_run(t, shards.front());
  }
  // Round robin: question i is in shard i mod N, each shard in data set order.
  std::vector<std::vector<std::pair<size_t, size_t>>> groups;
  for (const auto& t : shards) groups.push_back(question_groups(t));
  std::vector<size_t> next(shards.size(), 0);
  std::vector<std::pair<size_t, size_t>> rows;
  size_t questions = 0;
  for (size_t s = 0; next[s] < groups[s].size(); s = (s + 1) % shards.size(), ++questions) {
    const auto [begin, end] = groups[s][next[s]++];
    for (size_t r = begin; r < end; ++r) rows.push_back({s, r});
  }
  for (size_t s = 0; s < shards.size(); ++s)
    SELFENS_REQUIRE(next[s] == groups[s].size(),
                    "merge: " + found[int(s) + 1].string() + " holds other questions than shard " +
                        std::to_string(s + 1) + " of a selection of " + std::to_string(questions) +
                        " should");
  const auto recorded = shards.front().metadata_value("selfens.max_samples");
  SELFENS_REQUIRE(!recorded || *recorded == "all" || *recorded == std::to_string(questions),
                  "merge: the shards of " + path.string() + " hold " + std::to_string(questions) +
                      " questions, their selection is " + *recorded);
  std::vector<const io::Table*> ptrs;
  for (const auto& t : shards) ptrs.push_back(&t);
  io::Table merged = io::gather_rows(ptrs, rows);
  merged.metadata = merged_metadata(shards);
  io::write_feather(path, merged);
  return {path, count, merged.num_rows(), questions};
}

}  // namespace selfens
