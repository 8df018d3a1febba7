#include "support/proc_status.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace tally::support {

std::optional<std::uint64_t> proc_status_kib(pid_t pid, const std::string& field) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status") : "/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    std::istringstream ss(line.substr(field.size() + 1));
    std::uint64_t kib = 0;
    if (ss >> kib) return kib;
    return std::nullopt;
  }
  return std::nullopt;
}

namespace {

// utime + stime of a /proc .../stat line, and its comm; nullopt when unreadable.
std::optional<std::pair<std::string, double>> read_stat(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "pid (comm) state ..." where comm may hold spaces and parentheses: it ends at the last ')'.
  const auto open = line.find('(');
  const auto close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  // Fields 3.. after the comm; utime and stime are fields 14 and 15.
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  if (!rest) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return std::pair{line.substr(open + 1, close - open - 1), (utime + stime) / ticks};
}

std::string proc_dir(pid_t pid) { return pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid); }

}  // namespace

std::vector<ThreadCpu> proc_thread_cpu(pid_t pid) {
  std::vector<ThreadCpu> out;
  std::error_code ec;
  // Threads may end while the directory is read: every step takes an error code, never throws.
  for (std::filesystem::directory_iterator it(proc_dir(pid) + "/task", ec), end; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    const auto stat = read_stat(entry.path().string() + "/stat");
    if (!stat) continue;
    ThreadCpu t;
    t.tid = static_cast<pid_t>(std::stol(entry.path().filename().string()));
    t.name = stat->first;
    t.seconds = stat->second;
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const ThreadCpu& a, const ThreadCpu& b) {
    return a.seconds != b.seconds ? a.seconds > b.seconds : a.tid < b.tid;
  });
  return out;
}

double proc_cpu_seconds_since(pid_t pid, std::optional<double> before) {
  const auto now = proc_cpu_seconds(pid);
  return before && now ? *now - *before : -1.0;
}

std::optional<double> proc_cpu_seconds(pid_t pid) {
  const auto stat = read_stat(proc_dir(pid) + "/stat");
  if (!stat) return std::nullopt;
  return stat->second;
}

}  // namespace tally::support
