// The key-value store the chain persists into, one column per kind of record. The chain
// writes every connect/disconnect as one WriteBatch, so a crash at any instant leaves either
// all of a block's effects or none. Implementations: RocksDbStore (rocksdb_store.h, library
// tally_ledger_rocksdb), and MemoryStore (memory_store.h) for the simulator and tests.
// Implementations are thread-safe for concurrent reads; writes come from one thread (the
// chain's owner). Keys are ordered bytewise (shorter first on a common prefix); empty keys
// and values are allowed.
#pragma once

#include <cstdint>
#include <cstring>
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

// Operations to apply atomically. Keys and values are copied into one growing buffer (no
// allocation per operation: a block's batch holds ~10,000 of them).
class WriteBatch {
 public:
  struct Op {
    Column column;
    bool erase;
    std::uint32_t key_offset, key_size, value_offset, value_size;
  };
  void put(Column c, crypto::ByteSpan key, crypto::ByteSpan value) {
    ops_.push_back(Op{c, false, append(key), static_cast<std::uint32_t>(key.size()), 0,
                      static_cast<std::uint32_t>(value.size())});
    ops_.back().value_offset = append(value);
  }
  void erase(Column c, crypto::ByteSpan key) {
    ops_.push_back(Op{c, true, append(key), static_cast<std::uint32_t>(key.size()), 0, 0});
  }
  const std::vector<Op>& ops() const { return ops_; }
  crypto::ByteSpan key(const Op& op) const { return crypto::ByteSpan(data_.data() + op.key_offset, op.key_size); }
  crypto::ByteSpan value(const Op& op) const {
    return crypto::ByteSpan(data_.data() + op.value_offset, op.value_size);
  }
  bool empty() const { return ops_.empty(); }
  // Bytes of keys and values, for sizing a database's own batch up front.
  std::size_t data_size() const { return data_.size(); }

 private:
  std::uint32_t append(crypto::ByteSpan b) {
    const auto offset = static_cast<std::uint32_t>(data_.size());
    if (!b.empty()) {
      data_.resize(data_.size() + b.size());
      std::memcpy(data_.data() + offset, b.data(), b.size());
    }
    return offset;
  }
  std::vector<Op> ops_;
  crypto::Bytes data_;
};

class Store {
 public:
  virtual ~Store() = default;
  // nullopt when the key is absent.
  [[nodiscard]] virtual std::expected<std::optional<crypto::Bytes>, StoreError> get(Column c,
                                                                                     crypto::ByteSpan key) const = 0;
  // Applies every operation of the batch, in order (a later operation on a key wins),
  // atomically: readers see all of it or none of it, and on an error none of it applies.
  [[nodiscard]] virtual std::expected<void, StoreError> write(const WriteBatch& batch) = 0;
  // Visits every record of a column in key order until fn returns false. The visit sees
  // one state of the store: a batch written meanwhile is seen whole or not at all. fn may
  // read the store but must not write to it.
  [[nodiscard]] virtual std::expected<void, StoreError> for_each(
      Column c, const std::function<bool(crypto::ByteSpan key, crypto::ByteSpan value)>& fn) const = 0;
  // Visits the records whose key starts with prefix, in key order, until fn returns false
  // (as for_each).
  [[nodiscard]] virtual std::expected<void, StoreError> for_each_prefix(
      Column c, crypto::ByteSpan prefix,
      const std::function<bool(crypto::ByteSpan key, crypto::ByteSpan value)>& fn) const = 0;
};

}  // namespace tally::ledger
