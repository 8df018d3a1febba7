// support::TempDir: where it is made, removal with its contents, keep(), moves, errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "support/temp_dir.h"

namespace tally::support {
namespace {

namespace fs = std::filesystem;

// Sets TMPDIR for the scope of a test and restores it.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string& value) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    ::setenv("TMPDIR", value.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (old_) ::setenv("TMPDIR", old_->c_str(), 1);
    else ::unsetenv("TMPDIR");
  }

 private:
  std::optional<std::string> old_;
};

TEST(SupportTempDir, MadeUnderTmpdirWithThePrefixAndRemoved) {
  TempDir root("tally-tempdir-root");
  ScopedTmpdir scoped(root.path().string());
  fs::path made;
  {
    TempDir dir("tally-x");
    made = dir.path();
    EXPECT_EQ(made.parent_path(), root.path());
    EXPECT_TRUE(made.filename().string().starts_with("tally-x-")) << made;
    EXPECT_TRUE(fs::is_directory(made));
    fs::create_directories(dir / "a" / "b");
    std::ofstream(dir / "a" / "b" / "f") << "x";
    TempDir other("tally-x");
    EXPECT_NE(other.path(), made);
  }
  EXPECT_FALSE(fs::exists(made));
}

TEST(SupportTempDir, KeepLeavesItInPlace) {
  fs::path made;
  {
    TempDir dir("tally-keep");
    made = dir.path();
    dir.keep();
    EXPECT_TRUE(dir.kept());
  }
  EXPECT_TRUE(fs::is_directory(made));
  fs::remove_all(made);
}

TEST(SupportTempDir, MovesTransferOwnership) {
  auto made = TempDir::create("tally-move");
  ASSERT_TRUE(made) << made.error();
  const fs::path p = made->path();
  std::optional<TempDir> holder(std::move(*made));
  EXPECT_TRUE(made->path().empty());
  *made = TempDir("tally-move");  // replacing an empty one removes nothing
  EXPECT_TRUE(fs::is_directory(p));
  holder.reset();
  EXPECT_FALSE(fs::exists(p));
}

TEST(SupportTempDir, ErrorsAreValuesOrExceptions) {
  ScopedTmpdir scoped("/nonexistent/tally-tmp");
  auto made = TempDir::create("tally-err");
  ASSERT_FALSE(made);
  EXPECT_NE(made.error().find("/nonexistent/tally-tmp/tally-err-XXXXXX"), std::string::npos) << made.error();
  EXPECT_THROW(TempDir("tally-err"), std::runtime_error);
}

TEST(SupportTempDir, DefaultsToTmp) {
  std::optional<std::string> old;
  if (const char* t = std::getenv("TMPDIR")) old = t;
  ::unsetenv("TMPDIR");
  {
    TempDir dir;
    EXPECT_EQ(dir.path().parent_path(), fs::path("/tmp"));
  }
  if (old) ::setenv("TMPDIR", old->c_str(), 1);
}

}  // namespace
}  // namespace tally::support
