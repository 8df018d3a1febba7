// tallyd and its ledger's storage as a process: a damaged RocksDB file (a table, the
// MANIFEST, CURRENT) is refused at start with the datadir and the file named and a non-zero
// exit, never served; a full disk (a small tmpfs datadir, root only) stops the node with exit
// status 1 and the error on stderr, not a signal, and it restarts intact once space is back.
// The long campaign is scripts/crash-campaign.sh.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>

#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

std::vector<fs::path> files_in(const fs::path& dir, const std::string& prefix, const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end(), [](const fs::path& a, const fs::path& b) { return fs::file_size(a) < fs::file_size(b); });
  return out;
}

void flip_byte(const fs::path& file, std::uintmax_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
}

// A datadir with 40 blocks, stopped cleanly twice: the second start replays RocksDB's log
// into a table file (.sst), so there is one to damage.
class DaemonStorage : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = write_fast_chain_spec(dir_ / "spec.json");
    TallydProcess node(dir_ / "good", {"--chain", spec_.string()});
    ASSERT_TRUE(node.start().has_value()) << node.stderr_path();
    ASSERT_TRUE(node.client().call("generate", json::array{40}).has_value());
    auto info = node.client().call("getblockchaininfo", json::array{});
    ASSERT_TRUE(info.has_value());
    tip_ = std::string(info->as_object().at("bestblockhash").as_string());
    ASSERT_EQ(node.stop(), 0);
    // Now the last blocks are in RocksDB's write-ahead log only: a copy keeps that state.
    fs::copy(dir_ / "good", dir_ / "good-wal", fs::copy_options::recursive);
    ASSERT_FALSE(files_in(dir_ / "good-wal" / "chain", "", ".log").empty());
    ASSERT_TRUE(node.start().has_value());
    ASSERT_EQ(node.stop(), 0);
    ASSERT_FALSE(files_in(dir_ / "good" / "chain", "", ".sst").empty());
  }

  // A copy of the good datadir with `damage` applied to its chain/ directory; tallyd on it
  // must exit with status 1, naming the datadir and `file_hint`, and serve nothing.
  void expect_refused(const std::string& name, const std::function<fs::path(const fs::path&)>& damage,
                      const std::string& from = "good") {
    SCOPED_TRACE(name);
    const fs::path copy = dir_ / name;
    fs::copy(dir_ / from, copy, fs::copy_options::recursive);
    const fs::path damaged = damage(copy / "chain");
    const RunResult r = run({tallyd_path(), "--datadir", copy.string(), "--chain", spec_.string(), "--port", "0",
                             "--rpcport", "0", "--printtoconsole", "0"},
                            20s);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("tallyd: error: datadir " + copy.string()), std::string::npos) << r.err;
    if (!damaged.empty()) {
      EXPECT_NE(r.err.find(damaged.filename().string()), std::string::npos)
          << "the error should name " << damaged << ": " << r.err;
    }
    EXPECT_FALSE(fs::exists(copy / "node.json")) << "it started serving";
  }

  TempDir dir_{"tally-storage"};
  fs::path spec_;
  std::string tip_;
};

TEST_F(DaemonStorage, ADamagedTableFileIsRefusedAtStartNamingTheFile) {
  // One byte flipped inside a table: only a read of that block would notice, so the whole
  // database is checked at start (--checkdb, on by default).
  expect_refused("flipped", [](const fs::path& chain) {
    const fs::path sst = files_in(chain, "", ".sst").back();
    flip_byte(sst, fs::file_size(sst) / 3);
    return sst;
  });
  expect_refused("truncated", [](const fs::path& chain) {
    const fs::path sst = files_in(chain, "", ".sst").back();
    fs::resize_file(sst, fs::file_size(sst) / 2);
    return sst;
  });
}

TEST_F(DaemonStorage, ADamagedManifestOrCurrentIsRefused) {
  expect_refused("manifest", [](const fs::path& chain) {
    const fs::path manifest = files_in(chain, "MANIFEST-", "").back();
    flip_byte(manifest, fs::file_size(manifest) / 2);
    return manifest;
  });
  expect_refused("current", [](const fs::path& chain) {
    write_text(chain / "CURRENT", "MANIFEST-999999\n");
    return fs::path("MANIFEST-999999");
  });
}

// A killed process leaves at most a torn last record in the log; damage in the middle is
// something else, and RocksDB's default recovery (stop at the first bad record) opened such a
// datadir without the blocks after it: a lower height, silently. Now it is refused, and the
// error points to RocksDB's LOG, which names the log file (RocksDB's message does not).
TEST_F(DaemonStorage, ADamagedWriteAheadLogRecordIsRefusedNotSkipped) {
  expect_refused(
      "wal",
      [](const fs::path& chain) {
        const fs::path log = files_in(chain, "", ".log").back();
        flip_byte(log, fs::file_size(log) / 2);
        return fs::path();
      },
      "good-wal");
  EXPECT_NE(read_text(dir_ / "wal" / "chain" / "LOG").find(".log: dropping"), std::string::npos);
}

// What a killed process can leave: the log's last record cut short (a write cut short by
// SIGKILL, never acknowledged). It opens, without that record: here the 40th block's batch.
TEST_F(DaemonStorage, ATornLastLogRecordIsTolerated) {
  const fs::path copy = dir_ / "torn";
  fs::copy(dir_ / "good-wal", copy, fs::copy_options::recursive);
  const fs::path log = files_in(copy / "chain", "", ".log").back();
  fs::resize_file(log, fs::file_size(log) - 7);
  TallydProcess node(copy, {"--chain", spec_.string()});
  ASSERT_TRUE(node.start().has_value());
  EXPECT_GE(block_count(node), 39);
  EXPECT_EQ(node.stop(), 0);
}

TEST_F(DaemonStorage, TheUndamagedCopyStillOpensAtItsTip) {
  TallydProcess node(dir_ / "good", {"--chain", spec_.string()});
  ASSERT_TRUE(node.start().has_value());
  auto hash = node.client().call("getbestblockhash", json::array{});
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(std::string(hash->as_string()), tip_);
  EXPECT_EQ(node.stop(), 0);
}

// A tmpfs datadir: mining fills it, the node stops by itself with exit status 1 and the
// disk error on stderr (not SIGABRT: RocksDB 7.8's info-log writer aborted the process on
// its first line after a failed write), and after the tmpfs grows it opens at a height at
// least the last one it reported and goes on.
TEST(DaemonDiskFull, AFullDiskStopsTheNodeWithAClearErrorAndItRestartsIntact) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
  TempDir dir("tally-diskfull");
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  const fs::path mnt = dir / "node";  // the datadir is the mount: its .stderr file is beside it, on the real disk
  fs::create_directories(mnt);
  if (::mount("tally-e2e", mnt.c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};

  TallydProcess node(mnt, {"--chain", spec.string()});
  ASSERT_TRUE(node.start().has_value());
  ASSERT_TRUE(node.client().call("generate", json::array{10}).has_value());
  // Take all the free space but 96 KiB.
  struct statvfs st {};
  ASSERT_EQ(::statvfs(mnt.c_str(), &st), 0);
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  {
    std::ofstream filler(mnt / "filler", std::ios::binary);
    const std::string chunk(1 << 20, '\0');
    std::uint64_t left = free_bytes > (96u << 10) ? free_bytes - (96u << 10) : 0;
    while (left > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
      filler.write(chunk.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
  }
  std::int64_t reported = block_count(node);
  const bool stopped = wait_until(
      [&] {
        if (!node.process().running()) return true;
        (void)node.client(5s).call("generate", json::array{5});
        reported = std::max(reported, block_count(node));
        return !node.process().running();
      },
      30s);
  ASSERT_TRUE(stopped) << "the node still runs on a full disk at height " << reported;
  EXPECT_EQ(node.process().exit_code(), 1);
  const std::string err = read_text(node.stderr_path());
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_NE(err.find("storage failure in " + (mnt / "chain").string()), std::string::npos) << err;
  EXPECT_EQ(err.find("Assertion"), std::string::npos) << err;

  // Space back: the tmpfs grows, the node opens where it was and goes on.
  ASSERT_EQ(::mount("tally-e2e", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=64m,mode=0700"), 0) << std::strerror(errno);
  ASSERT_TRUE(node.start().has_value());
  const std::int64_t height = block_count(node);
  EXPECT_GE(height, reported);
  ASSERT_TRUE(node.client().call("generate", json::array{3}).has_value());
  EXPECT_EQ(block_count(node), height + 3);
  EXPECT_EQ(node.stop(), 0);
}

}  // namespace
}  // namespace tally::e2e
