// Process helpers for tally-devnet: finding, signalling and waiting for its tallyd
// processes by pid (through /proc, Linux only), across tally-devnet invocations. Starting
// them is support::Child's job (support/process.h).
//
// Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tally::devnet {

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
