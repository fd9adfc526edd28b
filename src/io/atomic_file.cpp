#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/check.h"

namespace selfens::io {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

fs::path parent_or_dot(const fs::path& p) {
  fs::path dir = p.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

// New files get 0644 (umask is process-global, so it is not consulted);
// a replaced file keeps its mode.
mode_t target_mode(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return st.st_mode & 07777;
  return 0644;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems refuse it
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  SELFENS_REQUIRE(!path_.filename().empty(), path_.string() + ": not a file name");
  fs::path dir = parent_or_dot(path_);
  std::string tmpl = (dir / std::string(".").append(path_.filename().string()).append(".tmp-XXXXXX")).string();
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  fd_ = ::mkostemp(name.data(), O_CLOEXEC);
  SELFENS_REQUIRE(fd_ >= 0, path_.string() + ": cannot create a file in " + dir.string() +
                                ": " + errno_text());
  temp_ = fs::path(name.data());
  ::fchmod(fd_, target_mode(path_));
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

void AtomicFile::write(std::string_view bytes) {
  SELFENS_CHECK(fd_ >= 0, "AtomicFile::write after commit or failure");
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = errno_text();
      discard();
      throw InputError(path_.string() + ": write failed: " + why);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  SELFENS_CHECK(fd_ >= 0, "AtomicFile::commit twice or after failure");
  bool synced = ::fsync(fd_) == 0;
  std::string why = synced ? "" : errno_text();
  bool closed = ::close(fd_) == 0;
  if (synced && !closed) why = errno_text();
  fd_ = -1;
  if (!synced || !closed) {
    discard();
    throw InputError(path_.string() + ": cannot flush: " + why);
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    std::string why = errno_text();
    discard();
    throw InputError(path_.string() + ": cannot replace: " + why);
  }
  temp_.clear();
  committed_ = true;
  fsync_dir(parent_or_dot(path_));
}

void atomic_write_file(const fs::path& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

}  // namespace selfens::io
