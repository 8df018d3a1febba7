#include "base/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace tally::base {

std::expected<void, std::string> write_file_atomic(const std::filesystem::path& path, const std::string& content) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return std::unexpected("cannot write " + tmp);
    out << content;
    out.flush();
    if (!out) return std::unexpected("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return std::unexpected("cannot rename " + tmp + ": " + ec.message());
  return {};
}

namespace {

std::expected<void, std::string> write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::unexpected(std::string(n < 0 ? std::strerror(errno) : "short write"));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return std::unexpected(std::string(std::strerror(errno)));
  return {};
}

}  // namespace

// The content is written and synced in a file no one can see yet (O_TMPFILE, or a named
// temporary beside `path` on filesystems without it), then linked at `path`: link(2) never
// replaces a file, and a process killed at any instant leaves no file, or the whole file.
// Creating `path` first and writing into it left an empty or partial key file behind a
// SIGKILL, which the next start refused as damaged (the crash campaign's first start).
std::expected<void, std::string> write_new_private_file(const std::filesystem::path& path, const std::string& content) {
  const std::string target = path.string();
  const std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  auto exists_error = [&] { return std::unexpected(target + " already exists; refusing to overwrite a key file"); };
  if (::access(target.c_str(), F_OK) == 0) return exists_error();
  std::string temp;  // empty: an O_TMPFILE file
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    temp = target + ".new-" + std::to_string(::getpid());
    ::unlink(temp.c_str());
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return std::unexpected("cannot create " + target + ": " + std::strerror(errno));
  }
  auto give_up = [&](const std::string& why) -> std::expected<void, std::string> {
    ::close(fd);
    if (!temp.empty()) ::unlink(temp.c_str());
    return std::unexpected(why);
  };
  // The umask can only narrow 0600; set it explicitly against inherited ACL defaults.
  ::fchmod(fd, 0600);
  if (auto w = write_all(fd, content); !w) return give_up("cannot write " + target + ": " + w.error());
  int linked = 0;
  if (temp.empty()) {
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    linked = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW);
  } else {
    linked = ::link(temp.c_str(), target.c_str());
  }
  if (linked != 0) {
    if (errno == EEXIST) {
      (void)give_up("");
      return exists_error();
    }
    return give_up("cannot create " + target + ": " + std::strerror(errno));
  }
  if (!temp.empty()) ::unlink(temp.c_str());
  ::close(fd);
  // The new name itself survives a power loss once the directory is synced.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::expected<std::string, std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path default_datadir_root() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".tally";
}

}  // namespace tally::base
