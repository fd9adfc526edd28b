#pragma once
// An exclusive lock on an output file for the length of a run, so that two
// runs writing the same file cannot both go on (the last writer would win).
// The lock is flock(2) on a hidden file beside the output
// (DIR/.NAME.lock, holding the owner's pid): the kernel releases it when the
// process ends, even by kill -9, so a stale lock file never blocks a run.
#include <filesystem>

namespace selfens::io {

class OutputLock {
 public:
  // Takes the lock, creating the output's directory if needed (InputError
  // when it cannot be created or written). InputError
  // "PATH is being written by another selfens run (pid P); wait for it to end,
  // or write elsewhere with --output-dir" when another process holds it.
  explicit OutputLock(const std::filesystem::path& output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  // The lock file of an output path.
  static std::filesystem::path lock_path(const std::filesystem::path& output);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace selfens::io
