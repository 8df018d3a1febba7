#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

extern char** environ;

namespace tally::support {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string errno_text(int e) { return std::strerror(e); }

// A descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// What the child reports through the close-on-exec pipe when a step before exec fails.
struct ChildFailure {
  int step = 0;
  int error = 0;
};
enum Step : int { kStepRedirect = 1, kStepChdir = 2, kStepExec = 3, kStepParent = 4 };

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::expected<Fd, std::string> open_file(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected("cannot open " + path.string() + ": " + errno_text(errno));
  return Fd(fd);
}

// The descriptor the child gets for one output stream, and the parent's read end for a
// captured one. `child` stays -1 for kInherit and kStdout.
struct OutputEnds {
  Fd child;
  Fd parent_read;
};

std::expected<OutputEnds, std::string> open_output(const Redirect& r) {
  OutputEnds ends;
  switch (r.kind) {
    case Redirect::Kind::kInherit:
    case Redirect::Kind::kStdout:
      return ends;
    case Redirect::Kind::kNull: {
      auto fd = open_file("/dev/null", O_WRONLY);
      if (!fd) return std::unexpected(fd.error());
      ends.child = std::move(*fd);
      return ends;
    }
    case Redirect::Kind::kFile:
    case Redirect::Kind::kAppend: {
      auto fd = open_file(r.file, O_WRONLY | O_CREAT | (r.kind == Redirect::Kind::kFile ? O_TRUNC : O_APPEND));
      if (!fd) return std::unexpected(fd.error());
      ends.child = std::move(*fd);
      return ends;
    }
    case Redirect::Kind::kCapture: {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) return std::unexpected("pipe: " + errno_text(errno));
      ends.parent_read = Fd(p[0]);
      ends.child = Fd(p[1]);
      (void)::fcntl(p[0], F_SETFL, ::fcntl(p[0], F_GETFL) | O_NONBLOCK);
      return ends;
    }
  }
  return ends;
}

// `environ` with the overrides applied.
std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry = *e;
    const std::string_view key = entry.substr(0, entry.find('='));
    const bool replaced = std::any_of(overrides.begin(), overrides.end(), [&](const auto& kv) { return kv.first == key; });
    if (!replaced) out.emplace_back(entry);
  }
  for (const auto& [k, v] : overrides) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Child side, between fork and exec: async-signal-safe calls only.
[[noreturn]] void fail_in_child(int report_fd, int step) {
  const ChildFailure f{step, errno};
  (void)!::write(report_fd, &f, sizeof f);
  ::_exit(127);
}

void move_to(int from, int target, int report_fd) {
  if (from < 0) return;
  if (from == target) {
    if (::fcntl(target, F_SETFD, 0) != 0) fail_in_child(report_fd, kStepRedirect);  // keep it across exec
    return;
  }
  if (::dup2(from, target) < 0) fail_in_child(report_fd, kStepRedirect);
}

void close_other_descriptors(int keep) {
  // Linux >= 5.11 marks every descriptor from 3 up close-on-exec in one call (the report
  // pipe already is). Older kernels: close all but `keep`.
#ifdef SYS_close_range
  constexpr unsigned kCloexec = 1u << 2;  // CLOSE_RANGE_CLOEXEC
  if (::syscall(SYS_close_range, 3u, ~0u, kCloexec) == 0) return;
  bool closed = keep <= 3 || ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u) == 0;
  closed = closed && ::syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u) == 0;
  if (closed) return;
#endif
  for (int fd = 3; fd < 4096; ++fd)
    if (fd != keep) ::close(fd);
}

[[noreturn]] void child_main(const SpawnOptions& o, const char* program, char* const* argv, char* const* envp,
                             int in_fd, int out_fd, int err_fd, bool err_to_out, const char* cwd, pid_t parent,
                             int report_fd) {
  if (o.new_session) (void)::setsid();
  if (o.parent_death_signal) {
    if (::prctl(PR_SET_PDEATHSIG, *o.parent_death_signal) != 0) fail_in_child(report_fd, kStepParent);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  }
  // Handlers are reset by exec, ignored signals are not: give the program the defaults.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) (void)::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);

  move_to(in_fd, 0, report_fd);
  move_to(out_fd, 1, report_fd);
  move_to(err_fd, 2, report_fd);
  if (err_to_out && ::dup2(1, 2) < 0) fail_in_child(report_fd, kStepRedirect);
  if (cwd != nullptr && ::chdir(cwd) != 0) fail_in_child(report_fd, kStepChdir);
  close_other_descriptors(report_fd);
  ::execve(program, argv, envp);
  fail_in_child(report_fd, kStepExec);
}

}  // namespace

std::filesystem::path find_program(const std::string& name) {
  auto executable = [](const std::filesystem::path& p) {
    std::error_code ec;
    return ::access(p.c_str(), X_OK) == 0 && !std::filesystem::is_directory(p, ec);
  };
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return executable(name) ? std::filesystem::path(name) : std::filesystem::path();
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    const std::string_view p = path;
    std::size_t start = 0;
    for (;;) {
      const auto colon = p.find(':', start);
      dirs.emplace_back(p.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
  }
  for (const char* d : {"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"}) dirs.emplace_back(d);
  for (const auto& d : dirs) {
    if (d.empty()) continue;
    const std::filesystem::path candidate = std::filesystem::path(d) / name;
    if (executable(candidate)) return candidate;
  }
  return {};
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

std::expected<Child, std::string> Child::spawn(const SpawnOptions& o) {
  // Everything the child needs is prepared here: between fork and exec it may only call
  // async-signal-safe functions.
  if (o.argv.empty()) return std::unexpected(std::string("empty command"));
  const std::filesystem::path program = find_program(o.argv[0]);
  if (program.empty()) {
    if (o.argv[0].find('/') != std::string::npos)
      return std::unexpected("cannot run " + o.argv[0] + ": not an executable file");
    return std::unexpected("`" + o.argv[0] + "` not found (searched $PATH and the sbin directories)");
  }
  std::vector<std::string> argv_strings = o.argv;
  std::vector<std::string> env_strings = child_environment(o.env);
  const std::vector<char*> argv = pointers(argv_strings);
  const std::vector<char*> envp = pointers(env_strings);
  const std::string cwd = o.cwd.string();

  auto in = open_file(o.stdin_from.empty() ? std::filesystem::path("/dev/null") : o.stdin_from, O_RDONLY);
  if (!in) return std::unexpected(in.error());
  if (o.out.kind == Redirect::Kind::kStdout) return std::unexpected(std::string("stdout cannot go to stdout"));
  auto out = open_output(o.out);
  if (!out) return std::unexpected(out.error());
  auto err = open_output(o.err);
  if (!err) return std::unexpected(err.error());
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return std::unexpected("pipe: " + errno_text(errno));
  Fd report_read(report[0]);
  Fd report_write(report[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return std::unexpected("fork: " + errno_text(errno));
  if (pid == 0) {
    child_main(o, program.c_str(), argv.data(), envp.data(), in->get(), out->child.get(), err->child.get(),
               o.err.kind == Redirect::Kind::kStdout, cwd.empty() ? nullptr : cwd.c_str(), parent, report[1]);
  }
  report_write.reset();
  in->reset();
  out->child.reset();
  err->child.reset();

  Child c;
  c.pid_ = pid;
  c.stop_grace_ = o.stop_grace;
  c.out_fd_ = out->parent_read.release();
  c.err_fd_ = err->parent_read.release();

  ChildFailure failure;
  ssize_t n;
  do {
    n = ::read(report_read.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    c.reap(true);
    std::string what;
    switch (failure.step) {
      case kStepRedirect: what = "cannot redirect its standard streams"; break;
      case kStepChdir: what = "cannot change to " + cwd; break;
      case kStepParent: what = "cannot set its parent-death signal"; break;
      default: what = "exec failed"; break;
    }
    return std::unexpected("cannot run " + program.string() + ": " + what + ": " + errno_text(failure.error));
  }
#ifdef SYS_pidfd_open
  c.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // -1 on kernels before 5.3: we poll
#endif
  return c;
}

Child::~Child() {
  if (started() && !status_) stop(stop_grace_);
  close_pipes();
}

Child::Child(Child&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::exchange(o.pidfd_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)),
      err_fd_(std::exchange(o.err_fd_, -1)),
      status_(std::exchange(o.status_, std::nullopt)),
      stop_grace_(o.stop_grace_),
      out_(std::move(o.out_)),
      err_(std::move(o.err_)) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (started() && !status_) stop(stop_grace_);
    close_pipes();
    pid_ = std::exchange(o.pid_, -1);
    pidfd_ = std::exchange(o.pidfd_, -1);
    out_fd_ = std::exchange(o.out_fd_, -1);
    err_fd_ = std::exchange(o.err_fd_, -1);
    status_ = std::exchange(o.status_, std::nullopt);
    stop_grace_ = o.stop_grace_;
    out_ = std::move(o.out_);
    err_ = std::move(o.err_);
  }
  return *this;
}

void Child::close_pipes() {
  for (int* fd : {&pidfd_, &out_fd_, &err_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void Child::pump(milliseconds timeout) {
  std::array<pollfd, 3> fds{};
  std::array<std::string*, 3> sinks{};
  std::array<int*, 3> owners{};
  nfds_t n = 0;
  for (auto [fd, sink] : {std::pair{&out_fd_, &out_}, std::pair{&err_fd_, &err_}}) {
    if (*fd < 0) continue;
    fds[n] = pollfd{*fd, POLLIN, 0};
    sinks[n] = sink;
    owners[n] = fd;
    ++n;
  }
  if (pidfd_ >= 0) fds[n++] = pollfd{pidfd_, POLLIN, 0};
  if (n == 0) {
    if (timeout.count() > 0) std::this_thread::sleep_for(std::min(timeout, milliseconds(5)));
    return;
  }
  // Without a pidfd nothing wakes us at the exit: poll in short slices.
  const milliseconds slice = pidfd_ >= 0 ? timeout : std::min(timeout, milliseconds(5));
  if (::poll(fds.data(), n, static_cast<int>(slice.count())) <= 0) return;
  char buf[8192];
  for (nfds_t i = 0; i < n; ++i) {
    if (sinks[i] == nullptr || fds[i].revents == 0) continue;
    for (;;) {
      const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {  // EOF: the child (and whatever inherited the pipe) closed it
        ::close(*owners[i]);
        *owners[i] = -1;
      }
      break;
    }
  }
}

bool Child::reap(bool block) {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == 0) return false;
  // ECHILD (someone else reaped it) counts as exited with an unknown status.
  status_ = r == pid_ ? exit_code_of(st) : -1;
  // Whatever the child wrote is in the pipes now; read it without waiting for EOF (a
  // grandchild may hold the pipe open).
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    const std::size_t size = out_.size() + err_.size();
    pump(milliseconds(0));
    if (out_.size() + err_.size() == size) break;
  }
  close_pipes();
  return true;
}

bool Child::running() {
  if (pid_ <= 0 || status_) return false;
  pump(milliseconds(0));
  return !reap(false);
}

std::optional<int> Child::wait(milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (reap(false)) return status_;
    const auto now = Clock::now();
    if (now >= deadline) return std::nullopt;
    pump(std::min(std::chrono::duration_cast<milliseconds>(deadline - now) + milliseconds(1), milliseconds(50)));
  }
}

std::optional<int> Child::exit_code() const { return status_; }

void Child::signal(int sig) {
  if (pid_ > 0 && !status_) (void)::kill(pid_, sig);
}

void Child::signal_group(int sig) {
  if (pid_ > 0) (void)::kill(-pid_, sig);
}

std::optional<int> Child::stop(milliseconds grace) {
  if (pid_ <= 0) return std::nullopt;
  if (running()) {
    signal(SIGTERM);
    if (!wait(grace)) {
      signal(SIGKILL);
      wait(milliseconds(10'000));
    }
  }
  return status_;
}

int Child::release() {
  const int pid = pid_;
  close_pipes();
  pid_ = -1;
  status_.reset();
  return pid;
}

std::expected<RunResult, std::string> run(const SpawnOptions& options, milliseconds timeout) {
  auto child = Child::spawn(options);
  if (!child) return std::unexpected(child.error());
  RunResult r;
  r.exit_code = child->wait(timeout);
  if (!r.exit_code) {
    if (options.new_session) child->signal_group(SIGKILL);
    else child->signal(SIGKILL);
    child->wait(milliseconds(10'000));
  }
  // A new session is a group of our own: leave none of its helpers behind.
  if (options.new_session) child->signal_group(SIGKILL);
  r.out = child->out();
  r.err = child->err();
  return r;
}

}  // namespace tally::support
