// Reading a process's /proc/PID/status (Linux): memory figures for benchmarks and the
// simulator's cost report. Thread-safe (reads a file).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <sys/types.h>

namespace tally::support {

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); nullopt when unreadable. pid 0
// reads this process's own.
std::optional<std::uint64_t> proc_status_kib(pid_t pid, const std::string& field);

}  // namespace tally::support
