// Store backed by RocksDB: one column family per Column, atomic write batches with the
// write-ahead log on (a killed process loses nothing it was told was written), and
// checksums verified on every read. Thread-safe as RocksDB is.
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

 private:
  struct Impl;
  explicit RocksDbStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::ledger
