// The node's data directory: layout, creation and the lock that keeps two daemons out of
// one datadir. Layout (also in README.md):
//   chain/          RocksDB: blocks, block index, state, undo, indexes
//   peers.dat       address book
//   banlist.dat     bans
//   .cookie         RPC cookie (while running)
//   .lock           held (flock) while a tallyd uses the datadir; holds its pid
//   node.json       ports and pid of the running node
//   debug.log       log file
//   events.jsonl    event log (with --eventlog 1)
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace tally::node {

class DatadirLock {
 public:
  // Creates the directory if needed and takes the lock; fails with a clear message when
  // another process holds it or the directory cannot be used.
  [[nodiscard]] static std::expected<DatadirLock, std::string> acquire(const std::filesystem::path& datadir);
  DatadirLock(DatadirLock&& other) noexcept;
  DatadirLock& operator=(DatadirLock&&) = delete;
  ~DatadirLock();

 private:
  DatadirLock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};


}  // namespace tally::node
