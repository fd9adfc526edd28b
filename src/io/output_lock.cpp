#include "io/output_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "util/check.h"

namespace selfens::io {
namespace fs = std::filesystem;

namespace {

std::string read_owner(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown" : s;
}

// Whether fd still names the file at `path` (another run may have removed
// the lock file between our open and our flock).
bool same_file(int fd, const fs::path& path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

}  // namespace

fs::path OutputLock::lock_path(const fs::path& output) {
  return output.parent_path() / ("." + output.filename().string() + ".lock");
}

OutputLock::OutputLock(const fs::path& output) : path_(lock_path(output)) {
  std::error_code ec;
  if (!output.parent_path().empty()) fs::create_directories(output.parent_path(), ec);
  SELFENS_REQUIRE(!ec, output.parent_path().string() +
                           ": cannot create the output directory: " + ec.message());
  const fs::path dir = output.parent_path().empty() ? fs::path(".") : output.parent_path();
  SELFENS_REQUIRE(::access(dir.c_str(), W_OK) == 0,
                  dir.string() + ": the output directory is not writable");
  for (int attempt = 0; attempt < 16; ++attempt) {
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    SELFENS_REQUIRE(fd >= 0, path_.string() + ": cannot create the lock file: " +
                                 std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string owner = read_owner(fd);
      ::close(fd);
      SELFENS_REQUIRE(err != EWOULDBLOCK,
                      output.string() + " is being written by another selfens run (pid " + owner +
                          "); wait for it to end, or write elsewhere with --output-dir");
      throw InputError(path_.string() + ": cannot lock: " + std::strerror(err));
    }
    if (!same_file(fd, path_)) {  // removed by its previous owner: take the new one
      ::close(fd);
      continue;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The pid is only for the message of a second run; the lock holds anyway.
    }
    fd_ = fd;
    return;
  }
  throw InputError(path_.string() + ": cannot lock: the lock file keeps changing");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still holding the lock (see same_file)
  ::close(fd_);
}

}  // namespace selfens::io
