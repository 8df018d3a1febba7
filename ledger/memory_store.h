// Store held in memory, for the simulator (thousands of nodes in one process) and for tests:
// the contract of store.h, with nothing persisted. Atomic write batches (a reader sees all of
// a batch or none of it, and a batch that cannot be applied changes nothing), ordered
// iteration, thread-safe reads concurrent with writes from one thread, as RocksDbStore.
// What it leaves out of RocksDB's behaviour: durability (everything goes with the object),
// and damage on disk (it never reports kCorrupt or kIo). Keys order bytewise, as RocksDB's
// default comparator.
//
// Cost: an empty store is one small allocation; each record is one allocation of its key
// and value plus 32 bytes (a red-black tree node per record, one tree per column).
//
// Threading: get, for_each and for_each_prefix may run on any threads at once, and during a
// write; write is called by one thread at a time. A for_each callback runs with the store
// read-locked: it may read the store (get, for_each) but must not write to it (write
// returns a kIo error instead of deadlocking).
#pragma once

#include <memory>

#include "ledger/store.h"

namespace tally::ledger {

class MemoryStore final : public Store {
 public:
  MemoryStore();
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  std::expected<std::optional<crypto::Bytes>, StoreError> get(Column c, crypto::ByteSpan key) const override;
  std::expected<void, StoreError> write(const WriteBatch& batch) override;
  std::expected<void, StoreError> for_each(
      Column c, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const override;
  std::expected<void, StoreError> for_each_prefix(
      Column c, crypto::ByteSpan prefix, const std::function<bool(crypto::ByteSpan, crypto::ByteSpan)>& fn) const override;

  // Records in a column (for tests and the simulator's memory accounting).
  std::size_t record_count(Column c) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::ledger
