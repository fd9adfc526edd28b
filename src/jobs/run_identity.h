#pragma once
// A result file's identity: every setting that shapes its rows (method,
// plan options, model and data set fingerprints, precision, ...), written to
// the file's metadata as selfens.KEY and compared before a run continues
// the file, so that a resumed file never mixes rows made two ways.
//
// The question selection is recorded apart (selfens.max_samples: "all" or
// K, the first K questions of the data set): a run asked for more questions
// than a file holds extends it, one asked for fewer finds them there.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/feather.h"

namespace selfens {

class RunIdentity {
 public:
  RunIdentity& add(const std::string& key, const std::string& value);  // key without "selfens."
  // selfens.KEY -> value, in the order added.
  io::Metadata metadata() const;
  // InputError when `file` (read from `path`) was made with another value of
  // some key: "PATH: its R rows were made with layout=shared, this run has
  // layout=concat; use --overwrite to replace them, or write elsewhere with
  // --output-dir". Keys the file does not record (written by an older
  // selfens) are named in a warning, and the run continues it.
  void require_same(const io::Table& file, const std::filesystem::path& path) const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// An existing result file, or nullopt when there is none. InputError
// "PATH: cannot read the existing result file (REASON); use --overwrite to
// replace it" when it is there but unreadable.
std::optional<io::Table> read_existing_output(const std::filesystem::path& path);

// selfens.max_samples of `count` selected questions out of `total`.
std::string selection_text(size_t count, size_t total);
// The number of leading questions a file's selfens.max_samples selects (0
// when the file records none).
size_t recorded_selection(const io::Table& file, size_t total);

}  // namespace selfens
