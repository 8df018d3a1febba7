#include "support/proc_status.h"

#include <fstream>
#include <sstream>

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

}  // namespace tally::support
