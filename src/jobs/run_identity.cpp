#include "jobs/run_identity.h"

#include <algorithm>
#include <charconv>

#include "util/check.h"
#include "util/log.h"

namespace selfens {
namespace fs = std::filesystem;

RunIdentity& RunIdentity::add(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, value);
  return *this;
}

io::Metadata RunIdentity::metadata() const {
  io::Metadata m;
  for (const auto& [k, v] : fields_) m.emplace_back("selfens." + k, v);
  return m;
}

void RunIdentity::require_same(const io::Table& file, const fs::path& path) const {
  std::vector<std::string> unknown;
  for (const auto& [k, v] : fields_) {
    const auto have = file.metadata_value("selfens." + k);
    if (!have) {
      unknown.push_back(k);
      continue;
    }
    if (*have == v) continue;
    throw InputError(path.string() + ": its " + std::to_string(file.num_rows()) +
                     " rows were made with " + k + "=" + *have + ", this run has " + k + "=" + v +
                     "; use --overwrite to replace them, or write elsewhere with --output-dir");
  }
  if (unknown.empty()) return;
  std::string names;
  for (const auto& k : unknown) names += (names.empty() ? "" : ", ") + k;
  log::warn(path.string() + " was written by an older selfens that did not record " + names +
            "; continuing it on the settings it does record");
}

std::optional<io::Table> read_existing_output(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  try {
    return io::read_feather(path);
  } catch (const InputError& e) {
    throw InputError(path.string() + ": cannot read the existing result file (" + e.what() +
                     "); use --overwrite to replace it");
  }
}

std::string selection_text(size_t count, size_t total) {
  return count >= total ? "all" : std::to_string(count);
}

size_t recorded_selection(const io::Table& file, size_t total) {
  const auto v = file.metadata_value("selfens.max_samples");
  if (!v) return 0;
  if (*v == "all") return total;
  size_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) return 0;
  return std::min(n, total);
}

}  // namespace selfens
