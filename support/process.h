// Child processes for the tools, the tests and the benchmarks: one fork/exec helper that
// every spawner uses (tally-devnet's detached nodes, `ip`/`tc`/`nft` commands, end-to-end
// tests, headless Chromium, the macro benchmark's tallyd and wrk). Linux only.
//
// A child gets: argv (argv[0] a path, or a name looked up with find_program), the caller's
// environment with `env` added or replaced, a working directory, stdin from /dev/null (or a
// file), stdout/stderr inherited, sent to /dev/null, to a file (truncated or appended) or
// captured into a string (stderr may also join stdout), optionally a new session (setsid:
// no controlling terminal, its own process group) and a signal when the spawning thread
// dies (PR_SET_PDEATHSIG). It inherits no descriptor beyond 0-2, an empty signal mask and
// default signal dispositions. A failure to start (program missing, exec refused, a
// redirect that cannot be opened, a bad working directory) is an error value of spawn(),
// never a child that exits with 127.
//
// Ownership: a Child owns its process and stops it on destruction (SIGTERM, then SIGKILL
// after stop_grace) unless release()d. Thread-safety: spawn() and run() may be called from
// any thread (the child only calls async-signal-safe functions before exec); one Child is
// used by one thread at a time. PR_SET_PDEATHSIG fires when the *thread* that spawned the
// child exits, so spawn long-lived children from a long-lived thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tally::support {

// Where a child's stdout or stderr goes.
struct Redirect {
  enum class Kind { kInherit, kNull, kFile, kAppend, kCapture, kStdout };
  Kind kind = Kind::kInherit;
  std::filesystem::path file;  // kFile (truncated) and kAppend (created if missing)

  static Redirect inherit() { return {}; }
  static Redirect null() { return {Kind::kNull, {}}; }
  static Redirect to_file(std::filesystem::path f) { return {Kind::kFile, std::move(f)}; }
  static Redirect append_to(std::filesystem::path f) { return {Kind::kAppend, std::move(f)}; }
  static Redirect capture() { return {Kind::kCapture, {}}; }
  // stderr only: the same destination as stdout (2>&1).
  static Redirect to_stdout() { return {Kind::kStdout, {}}; }
};

struct SpawnOptions {
  std::vector<std::string> argv;  // REQUIRED: argv[0] is the program
  std::vector<std::pair<std::string, std::string>> env;  // added to, or replacing in, our environment
  std::filesystem::path cwd;       // empty: ours
  std::filesystem::path stdin_from;  // empty: /dev/null
  Redirect out;                    // stdout
  Redirect err;                    // stderr
  bool new_session = false;        // setsid(): no controlling terminal, own process group
  std::optional<int> parent_death_signal;  // PR_SET_PDEATHSIG, e.g. SIGKILL or SIGTERM
  std::chrono::milliseconds stop_grace{10'000};  // the destructor's SIGTERM-to-SIGKILL wait
};

// One child process. Move-only; destroying it stops the process (see stop()).
class Child {
 public:
  Child() = default;
  ~Child();
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Starts the process; returns once exec succeeded. The error names the program and the
  // step that failed ("cannot run /x/tallyd: No such file or directory").
  [[nodiscard]] static std::expected<Child, std::string> spawn(const SpawnOptions& options);

  int pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  // True while the process runs; reaps it once it has exited. Reads captured output.
  bool running();
  // Waits up to `timeout` for the process to exit (reading captured output meanwhile).
  // The exit code, 128 + the signal number when a signal ended it; nullopt while it runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // The exit code once reaped (running() or wait() saw it exit).
  std::optional<int> exit_code() const;
  // kill(pid, sig); nothing once the process is reaped.
  void signal(int sig);
  // kill(-pid, sig): the child's whole process group (a new_session child leads one), so
  // helpers it forked (Chromium's) get it too. Sent even after the leader was reaped.
  void signal_group(int sig);
  // SIGTERM, up to `grace` for it to exit, then SIGKILL. The exit code when known.
  std::optional<int> stop(std::chrono::milliseconds grace);
  // Gives the process up: it keeps running, this object forgets it (no stop, no reaping).
  // For daemons that outlive their launcher. Returns the pid.
  int release();

  // Captured output so far (Redirect::capture()).
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void close_pipes();
  // Reads available captured output; waits up to `timeout` for some (or for the exit).
  void pump(std::chrono::milliseconds timeout);
  bool reap(bool block);

  int pid_ = -1;
  int pidfd_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::optional<int> status_;  // raw waitpid status once reaped
  std::chrono::milliseconds stop_grace_{10'000};
  std::string out_, err_;
};

struct RunResult {
  std::optional<int> exit_code;  // nullopt: still running at the timeout, then killed
  std::string out;               // captured stdout (when Redirect::capture())
  std::string err;               // captured stderr (when Redirect::capture())
};

// Spawns, waits up to `timeout`, and on timeout kills the process (its whole group if it
// has a new session) and reaps it. Errors are spawn()'s.
[[nodiscard]] std::expected<RunResult, std::string> run(const SpawnOptions& options, std::chrono::milliseconds timeout);

// The absolute path of an executable `name`: searched in $PATH, then /usr/local/sbin,
// /usr/sbin, /sbin, /usr/bin, /bin (so root tools such as `ip` are found from a plain PATH).
// A name containing '/' is returned as given if it is executable. Empty when none is found.
std::filesystem::path find_program(const std::string& name);

// "a b 'c d'": argv as a shell would show it, for messages.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace tally::support
