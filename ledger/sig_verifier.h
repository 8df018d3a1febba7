// Checks the signatures of many transactions on an injected Executor (executor.h): the
// executor's threads and the caller share the work, in chunks of 16 transactions. Owned by
// the chain's thread; not reentrant: call it from one thread at a time. The executor may be
// shared with other verifiers and searchers. Senders' parsed keys come from the
// process-wide crypto::ParsedKeyCache.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <span>

#include "ledger/executor.h"
#include "ledger/transaction.h"

namespace tally::ledger {

class SignatureVerifier {
 public:
  // `executor` is not owned and must outlive the verifier.
  explicit SignatureVerifier(Executor& executor);
  SignatureVerifier(const SignatureVerifier&) = delete;
  SignatureVerifier& operator=(const SignatureVerifier&) = delete;

  // Threads that may verify one job at once, the caller included.
  unsigned threads() const { return executor_.concurrency(); }

  // Index of the first transaction whose signature fails, or nullopt when all verify. The
  // answer does not depend on the executor or the thread count. Coinbase transactions (no
  // sender) are skipped.
  std::optional<std::size_t> verify(std::span<const Transaction> txs);

  // The same in two halves, so the caller can do other work while the workers verify:
  // start() hands `txs` to the executor's threads and returns at once; finish() joins in,
  // waits, and returns what verify() would. With InlineExecutor (or a job of one chunk) no
  // other thread takes part and all the work is done in finish(), on the caller.
  // REQUIRES: every start() is followed by finish() before the next start(), and `txs`
  // outlives finish().
  void start(std::span<const Transaction> txs);
  std::optional<std::size_t> finish();

 private:
  void check_chunk(std::size_t chunk);

  Executor& executor_;
  TaskGroup group_;
  // Current job (valid from start() to finish()).
  std::span<const Transaction> job_;
  std::atomic<std::size_t> failed_{SIZE_MAX};  // lowest failing index found so far
};

}  // namespace tally::ledger
