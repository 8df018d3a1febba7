#include "devnet/process.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace tally::devnet {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

std::expected<int, std::string> spawn_detached(const SpawnSpec& spec) {
  // Everything the child needs is prepared before fork: it may only call async-signal-safe
  // functions until exec.
  std::vector<std::string> storage;
  storage.push_back(spec.program.string());
  storage.insert(storage.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  Fd log(::open(spec.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) return std::unexpected("cannot open " + spec.log_file.string() + ": " + errno_text(errno));
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_in.get() < 0) return std::unexpected("cannot open /dev/null: " + errno_text(errno));
  int report[2];  // the child writes its exec errno here; EOF (close-on-exec) means success
  if (::pipe2(report, O_CLOEXEC) != 0) return std::unexpected("pipe: " + errno_text(errno));
  Fd report_read(report[0]);
  Fd report_write(report[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return std::unexpected("fork: " + errno_text(errno));
  if (pid == 0) {
    ::setsid();
    if (spec.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(null_in.get(), 0);
    ::dup2(log.get(), 1);
    ::dup2(log.get(), 2);
    // Descriptors of the parent (sockets of RPC clients, other logs) stay behind, except the
    // report pipe, which closes on exec. close_range is Linux >= 5.9; the loop is a fallback.
    const int keep = report[1];
    bool closed = keep <= 3 || ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0;
    closed = closed && ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0;
    if (!closed) {
      for (int fd = 3; fd < 1024; ++fd)
        if (fd != keep) ::close(fd);
    }
    ::execv(argv[0], argv.data());
    const int e = errno;
    (void)!::write(keep, &e, sizeof e);
    ::_exit(127);
  }
  report_write.reset();
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(report_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid, nullptr, 0);
    return std::unexpected("cannot run " + spec.program.string() + ": " + errno_text(child_errno));
  }
  return static_cast<int>(pid);
}

bool process_running(int pid) {
  if (pid <= 0) return false;
  // Reap our own exited child (a no-op with ECHILD for anyone else's process).
  int status = 0;
  (void)::waitpid(pid, &status, WNOHANG);
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  // "pid (comm) S ...": the state follows the last ')' (comm may contain spaces or parens).
  const auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size()) return false;
  const char state = line[close + 2];
  if (state == 'Z' || state == 'X') {
    // It may have exited after the waitpid above: reap it now if it is ours, so a pid that
    // is reported gone is gone. A child of ours that waitpid cannot reap yet is a leader
    // whose other threads are still exiting: it still exists, so it still counts.
    return ::waitpid(pid, &status, WNOHANG) == 0;
  }
  return true;
}

std::vector<std::string> process_cmdline(int pid) {
  std::vector<std::string> out;
  if (pid <= 0) return out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  if (!in) return out;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    out.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool is_tallyd_for(int pid, const std::filesystem::path& datadir) {
  if (!process_running(pid)) return false;
  const auto argv = process_cmdline(pid);
  if (argv.empty() || std::filesystem::path(argv[0]).filename() != "tallyd") return false;
  const std::string want = datadir.lexically_normal().string();
  for (std::size_t i = 1; i < argv.size(); ++i) {
    std::string value;
    if (argv[i] == "--datadir" && i + 1 < argv.size()) value = argv[i + 1];
    else if (argv[i].starts_with("--datadir=")) value = argv[i].substr(10);
    else continue;
    if (std::filesystem::path(value).lexically_normal().string() == want) return true;
  }
  return false;
}

bool wait_for_exit(int pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_running(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void send_signal(int pid, int sig) {
  if (pid > 0) (void)::kill(pid, sig);
}

std::filesystem::path find_default_tallyd() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / "tallyd";
    if (::access(beside.c_str(), X_OK) == 0) return beside;
    const auto parent = self.parent_path().parent_path() / "tallyd";  // devnet/ layouts
    if (::access(parent.c_str(), X_OK) == 0) return parent;
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      const auto candidate = std::filesystem::path(dir) / "tallyd";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return {};
}

}  // namespace tally::devnet
