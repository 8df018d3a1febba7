// The key-value store the chain persists into, one column per kind of record. The chain
// writes every connect/disconnect as one WriteBatch, so a crash at any instant leaves either
// all of a block's effects or none. The RocksDB implementation is in rocksdb_store.h; tests
// may use it on a temporary directory. Implementations are thread-safe for concurrent reads;
// writes come from one thread (the chain's owner).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "crypto/bytes.h"

namespace tally::ledger {

enum class Column : std::uint8_t {
  kMeta,            // schema version, genesis hash, tip, state hash lanes
  kBlockIndex,      // block hash -> header, status, first-seen sequence
  kBlockData,       // block hash -> encoded block
  kUndo,            // block hash -> accounts as they were before the block
  kState,           // address -> account (balance, nonce)
  kTxIndex,         // txid -> block hash, position
  kAddressHistory,  // address | height BE | position BE -> txid
};
inline constexpr int kColumnCount = 7;
const char* column_name(Column c);

struct StoreError {
  enum class Kind { kIo, kCorrupt, kNotFound, kIncompatible, kLocked } kind;
  std::string message;
};

class WriteBatch {
 public:
  struct Op {
    Column column;
    bool erase;
    crypto::Bytes key;
    crypto::Bytes value;
  };
  void put(Column c, crypto::ByteSpan key, crypto::ByteSpan value) {
    ops_.push_back(Op{c, false, crypto::to_bytes(key), crypto::to_bytes(value)});
  }
  void erase(Column c, crypto::ByteSpan key) { ops_.push_back(Op{c, true, crypto::to_bytes(key), {}}); }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }

 private:
  std::vector<Op> ops_;
};

class Store {
 public:
  virtual ~Store() = default;
  // nullopt when the key is absent.
  [[nodiscard]] virtual std::expected<std::optional<crypto::Bytes>, StoreError> get(Column c,
                                                                                     crypto::ByteSpan key) const = 0;
  // Applies every operation of the batch atomically.
  [[nodiscard]] virtual std::expected<void, StoreError> write(const WriteBatch& batch) = 0;
  // Visits every record of a column in key order until fn returns false.
  [[nodiscard]] virtual std::expected<void, StoreError> for_each(
      Column c, const std::function<bool(crypto::ByteSpan key, crypto::ByteSpan value)>& fn) const = 0;
  // Visits the records whose key starts with prefix, in key order, until fn returns false.
  [[nodiscard]] virtual std::expected<void, StoreError> for_each_prefix(
      Column c, crypto::ByteSpan prefix,
      const std::function<bool(crypto::ByteSpan key, crypto::ByteSpan value)>& fn) const = 0;
};

}  // namespace tally::ledger
