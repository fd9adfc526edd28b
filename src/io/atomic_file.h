#pragma once
// Atomic file replacement: write a temporary file in the target's directory,
// fsync it, rename it over the target, fsync the directory. A reader sees
// either the old file or the complete new one; on any failure the temporary
// is removed and the old file is untouched.
#include <filesystem>
#include <string>
#include <string_view>

namespace selfens::io {

class AtomicFile {
 public:
  // Creates the temporary ("<dir>/.<name>.tmp-XXXXXX"). Throws InputError
  // naming `path` when the directory is missing or not writable.
  explicit AtomicFile(std::filesystem::path path);
  ~AtomicFile();  // removes the temporary unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);  // throws InputError on failure
  // Flushes, fsyncs and renames onto path(); the temporary is removed when
  // this throws.
  void commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  void discard() noexcept;

  std::filesystem::path path_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically (AtomicFile + commit).
void atomic_write_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace selfens::io
