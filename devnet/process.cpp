#include "devnet/process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/process.h"

namespace tally::devnet {

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
  return support::find_program("tallyd");
}

}  // namespace tally::devnet
