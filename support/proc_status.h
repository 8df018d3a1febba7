// Reading a process's /proc (Linux): memory figures (/proc/PID/status) and CPU time, the
// process's and each thread's by name (/proc/PID/stat, /proc/PID/task/*/stat), for
// benchmarks and the simulator's cost report. Thread-safe (reads files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace tally::support {

// A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); nullopt when unreadable. pid 0
// reads this process's own.
std::optional<std::uint64_t> proc_status_kib(pid_t pid, const std::string& field);

// CPU time (user + system) one thread has used, from /proc/PID/task/TID/stat.
struct ThreadCpu {
  pid_t tid = 0;
  std::string name;  // its comm (what pthread_setname_np set, else the program's name)
  double seconds = 0;
};
// Every thread of process `pid` (0: this process), busiest first; empty when unreadable.
std::vector<ThreadCpu> proc_thread_cpu(pid_t pid);
// CPU time of the whole process so far (its live threads and those that ended), seconds.
std::optional<double> proc_cpu_seconds(pid_t pid);
// CPU seconds process `pid` used since `before` (an earlier proc_cpu_seconds), or -1 when
// either reading failed.
double proc_cpu_seconds_since(pid_t pid, std::optional<double> before);

}  // namespace tally::support
