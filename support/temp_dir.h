// A fresh temporary directory for tests, tools and benchmarks: mkdtemp of
// $TMPDIR/<prefix>-XXXXXX (/tmp when TMPDIR is unset or empty), removed with everything in
// it when the object is destroyed, unless keep() was called (to leave it for inspection).
//
// Move-only; one owner, no shared state (thread-safe as far as each object has one user).
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace tally::support {

class TempDir {
 public:
  // Makes the directory; the error names the template and the reason.
  [[nodiscard]] static std::expected<TempDir, std::string> create(std::string_view prefix = "tally");
  // The same, for tests and the benchmark's main paths where no directory is fatal: throws
  // std::runtime_error with create()'s message.
  explicit TempDir(std::string_view prefix = "tally");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Leaves the directory in place when this object goes away.
  void keep() { keep_ = true; }
  bool kept() const { return keep_; }

 private:
  struct Made {};
  TempDir(Made, std::filesystem::path path) : path_(std::move(path)) {}
  void remove();

  std::filesystem::path path_;  // empty once moved from
  bool keep_ = false;
};

}  // namespace tally::support
