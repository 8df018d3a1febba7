// Process helpers for tally-devnet: detached tallyd processes, and
// finding, signalling and waiting for them by pid (through /proc, Linux only).
//
// Thread-safe (no shared state); spawn_detached forks, so call it from a process whose other
// threads hold no locks that the child would need (the child only calls async-signal-safe
// functions before exec).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace tally::devnet {

struct SpawnSpec {
  std::filesystem::path program;
  std::vector<std::string> args;  // without argv[0]
  std::filesystem::path log_file;  // stdout and stderr, appended
  bool die_with_parent = false;    // SIGTERM when the calling thread exits (PR_SET_PDEATHSIG)
};

// Starts `program` in a new session (setsid: no controlling terminal, so Ctrl-C in the
// devnet's terminal does not reach it), stdin from /dev/null, stdout/stderr appended to
// log_file, no inherited descriptors beyond those, and an empty signal mask. Returns its pid
// once exec succeeded; exec errors are reported here.
[[nodiscard]] std::expected<int, std::string> spawn_detached(const SpawnSpec& spec);

// True when `pid` exists and is not a zombie. Our own exited child is reaped (and counts as
// running until it can be: a thread group still exiting), so a child of ours reported not
// running no longer exists.
bool process_running(int pid);

// The process's argv from /proc/PID/cmdline (empty when gone or unreadable).
std::vector<std::string> process_cmdline(int pid);

// True when `pid` is running a program named "tallyd" whose --datadir is `datadir`: a pid
// recorded earlier may have been reused by an unrelated process, which must not be signalled.
bool is_tallyd_for(int pid, const std::filesystem::path& datadir);

// Polls until `pid` is no longer running; false on timeout.
bool wait_for_exit(int pid, std::chrono::milliseconds timeout);

// kill(pid, sig), ignoring a process that is already gone.
void send_signal(int pid, int sig);

// The tallyd to use when none is given: the one next to the running executable, else the
// first "tallyd" on PATH. Empty when neither exists.
std::filesystem::path find_default_tallyd();

}  // namespace tally::devnet
