#include "base/files.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tally::base {

std::expected<void, std::string> write_file_atomic(const std::filesystem::path& path, const std::string& content) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return std::unexpected("cannot write " + tmp);
    out << content;
    out.flush();
    if (!out) return std::unexpected("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return std::unexpected("cannot rename " + tmp + ": " + ec.message());
  return {};
}

std::expected<std::string, std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::filesystem::path default_datadir_root() {
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : ".") / ".tally";
}

}  // namespace tally::base
