// base/files.h: the private key-file writer is atomic, also against SIGKILL.
#include "base/files.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "support/temp_dir.h"

namespace tally::base {
namespace {

namespace fs = std::filesystem;

TEST(WriteNewPrivateFile, WritesMode0600AndNeverOverwrites) {
  support::TempDir dir("tally-files");
  const fs::path path = dir.path() / "key";
  ASSERT_TRUE(write_new_private_file(path, "secret\n").has_value());
  EXPECT_EQ(read_file(path).value(), "secret\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = write_new_private_file(path, "other\n");
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().find("already exists"), std::string::npos) << again.error();
  EXPECT_EQ(read_file(path).value(), "secret\n");
  // Nothing else is left in the directory (no temporary file).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

// The crash campaign found it: the file used to be created first and written after, so a
// SIGKILL in between left an empty or partial key file, which the next start refused as
// damaged. A writer killed at any instant must leave no file, or the whole file.
TEST(WriteNewPrivateFile, AWriterKilledAtAnyInstantLeavesNoFileOrTheWholeFile) {
  support::TempDir dir("tally-files-kill");
  const std::string content(8u << 20, 'k');  // 8 MiB: the write takes a while
  std::mt19937 rng(12345);
  int whole = 0, absent = 0;
  for (int i = 0; i < 40; ++i) {
    const fs::path path = dir.path() / ("key" + std::to_string(i));
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      (void)write_new_private_file(path, content);
      ::_exit(0);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 8000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      ++absent;
      continue;
    }
    ASSERT_EQ(fs::file_size(path), content.size()) << "a partial key file after a kill, round " << i;
    ++whole;
  }
  // Both outcomes were seen, so kills landed before and after the file appeared.
  EXPECT_GT(absent, 0);
  EXPECT_GT(whole + absent, 0);
  for (const auto& entry : fs::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().find(".new-"), std::string::npos) << entry.path();
}

}  // namespace
}  // namespace tally::base
