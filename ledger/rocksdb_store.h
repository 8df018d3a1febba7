// Store backed by RocksDB: one column family per Column, atomic write batches with the
// write-ahead log on (a killed process loses nothing it was told was written), and
// checksums verified on every read. Thread-safe as RocksDB is.
//
// Failures stick: after a write fails (a full disk) every later write is refused with the
// first error, without reaching RocksDB, until the store is reopened; a corrupt record read
// is remembered too. failure() tells the owner, which should stop. RocksDB's info log
// (<path>/LOG, the previous one kept as LOG.old) is written by this store, dropping lines it
// cannot write: RocksDB 7.8's own log writer aborts the process on its next line after a
// failed write, which turned a full disk into SIGABRT.
#pragma once

#include <memory>
#include <string>

#include "ledger/store.h"

namespace tally::ledger {

struct RocksDbOptions {
  bool create_if_missing = true;
  std::size_t block_cache_bytes = 32u << 20;
  // Memtables of all columns together (and of any one column) hold at most this much.
  std::size_t memtable_bytes = 16u << 20;
  // fsync each batch: survives power loss, not only process death. Off for devnets/tests.
  bool sync_writes = false;
  // Read every table file once at open and check its block checksums (DB::VerifyChecksum):
  // a damaged file is refused at start instead of failing the first read that reaches it.
  // Costs one read of the database (milliseconds for a devnet, longer for a big ledger).
  bool verify_on_open = false;
};

class RocksDbStore final : public Store {
 public:
  // Opens or creates the database in `path` (a directory).
  [[nodiscard]] static std::expected<std::unique_ptr<RocksDbStore>, StoreError> open(const std::string& path,
                                                                                     const RocksDbOptions& options);
  ~RocksDbStore() override;

  std::expected<std::optional<crypto::Bytes>, StoreError> get(Column c, crypto::ByteSpan key) const override;
  std::expected<void, StoreError> write(const WriteBatch& batch) override;
  std::expected<void, StoreError> for_each(
      Column c, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const override;
  std::expected<void, StoreError> for_each_prefix(
      Column c, crypto::ByteSpan prefix, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const override;

  // The first failed write or corruption seen since open(), if any.
  [[nodiscard]] std::optional<StoreError> failure() const;

 private:
  struct Impl;
  explicit RocksDbStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::ledger
