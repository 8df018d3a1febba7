#include "node/datadir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tally::node {

std::expected<DatadirLock, std::string> DatadirLock::acquire(const std::filesystem::path& datadir) {
  std::error_code ec;
  std::filesystem::create_directories(datadir, ec);
  if (ec) return std::unexpected("cannot create datadir " + datadir.string() + ": " + ec.message());
  if (!std::filesystem::is_directory(datadir)) return std::unexpected("datadir " + datadir.string() + " is not a directory");
  const auto path = datadir / ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected("cannot open " + path.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? " (pid " + std::string(buf, static_cast<std::size_t>(n)) + ")" : "";
    while (!who.empty() && (who.back() == '\n')) who.pop_back();
    return std::unexpected("datadir " + datadir.string() + " is locked: another tallyd is using it" + who);
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock itself holds; the pid is only informative.
  }
  return DatadirLock(fd, path);
}

DatadirLock::DatadirLock(DatadirLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

DatadirLock::~DatadirLock() {
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0) {
    }
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }
}

}  // namespace tally::node
