// A process-wide record of transactions whose signatures verified, for the simulator: with
// thousands of nodes in one process, every node validates every transaction, and the
// Schnorr verification (about 35 us) would be repeated once per node. Enabled, a signature
// is verified once per process; every node still runs its whole validation path and asks
// Transaction::has_valid_signature() as tallyd does. Off unless enabled: tallyd never
// enables it. A documented fidelity trade-off of tally-sim (docs/STUDY.md).
//
// Keyed by txid, which commits to every byte the verification reads (sender key, signed
// fields, signature), so a hit answers exactly what verifying would. Only successes are
// kept. Thread-safe; bounded (emptied when it would grow past its capacity).
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_set>

#include "ledger/transaction.h"

namespace tally::ledger {

class SignatureCache {
 public:
  explicit SignatureCache(std::size_t capacity) : capacity_(capacity) {}

  // The cache Transaction::has_valid_signature() consults when it is enabled.
  static SignatureCache& process();

  void set_enabled(bool on) { enabled_.store(on, std::memory_order_relaxed); }
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  bool contains(const TxId& txid) const;
  void insert(const TxId& txid);
  std::size_t size() const;
  void clear();

 private:
  const std::size_t capacity_;
  std::atomic<bool> enabled_{false};
  mutable std::mutex mu_;
  std::unordered_set<TxId> verified_;
};

}  // namespace tally::ledger
