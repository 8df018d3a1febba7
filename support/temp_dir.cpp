#include "support/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace tally::support {

std::expected<TempDir, std::string> TempDir::create(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  const std::filesystem::path root = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  const std::string templ = (root / (std::string(prefix) + "-XXXXXX")).string();
  std::string made = templ;  // mkdtemp fills in the X's, even when it fails
  if (::mkdtemp(made.data()) == nullptr)
    return std::unexpected("cannot make a temporary directory " + templ + ": " + std::strerror(errno));
  return TempDir(Made{}, made);
}

TempDir::TempDir(std::string_view prefix) {
  auto made = create(prefix);
  if (!made) throw std::runtime_error(made.error());
  *this = std::move(*made);
}

TempDir::~TempDir() { remove(); }

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, {})), keep_(std::exchange(other.keep_, false)) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    keep_ = std::exchange(other.keep_, false);
  }
  return *this;
}

void TempDir::remove() {
  if (path_.empty() || keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace tally::support
