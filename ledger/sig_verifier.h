// Checks the signatures of many transactions on a small pool of worker threads (the caller
// works too). Owned by the chain's thread; verify() is not reentrant, call it from one thread.
// Senders' parsed keys come from the process-wide crypto::ParsedKeyCache.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "ledger/transaction.h"

namespace tally::ledger {

class SignatureVerifier {
 public:
  // threads = total threads verifying, including the caller (1 = no workers).
  explicit SignatureVerifier(unsigned threads);
  ~SignatureVerifier();
  SignatureVerifier(const SignatureVerifier&) = delete;
  SignatureVerifier& operator=(const SignatureVerifier&) = delete;

  unsigned threads() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Index of some transaction whose signature fails, or nullopt when all verify.
  // Coinbase transactions (no sender) are skipped.
  std::optional<std::size_t> verify(std::span<const Transaction> txs);

  // The same in two halves, so the caller can do other work while the workers verify:
  // start() hands `txs` to the workers and returns at once; finish() joins in, waits, and
  // returns what verify() would. REQUIRES: every start() is followed by finish() before the
  // next start(), and `txs` outlives finish().
  void start(std::span<const Transaction> txs);
  std::optional<std::size_t> finish();

 private:
  void worker_loop();
  void run_chunks();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  bool stopping_ = false;
  std::uint64_t generation_ = 0;
  unsigned finished_ = 0;
  bool started_workers_ = false;  // workers done with the current generation
  // Current job (valid while generation_ is being worked on).
  std::span<const Transaction> job_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> failed_{SIZE_MAX};
};

}  // namespace tally::ledger
