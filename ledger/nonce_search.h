// Proof-of-work nonce search over a block header template.
//
// The header's first 64 bytes (BlockHeader::kMidstatePrefix) do not depend on the nonce, so
// their SHA-256 compression is done once (crypto::Sha256dMidstate); the padded second block
// is prepared once too, and each attempt only rewrites its nonce word and runs two
// compressions. The digest is compared with the target as eight 32-bit words, most
// significant first, so almost every attempt is rejected after one comparison.
//
// Thread-safety: search_nonce is a pure function (polls `stop`, which any thread may set).
// NonceSearcher::search() runs on one caller thread at a time and fans out over an
// Executor (executor.h), injected or its own; the caller works too. interrupt() may be
// called from any thread at any time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>

#include "ledger/block.h"
#include "ledger/executor.h"
#include "ledger/pow.h"

namespace tally::ledger {

struct NonceSearchStats {
  std::optional<std::uint32_t> nonce;  // the first nonce found, if any
  std::uint64_t hashes = 0;            // attempts made
};

// Tries nonces first_nonce, first_nonce + 1, ... (count of them, never past 2^32 - 1) on
// `header` and returns the first whose hash, read as a big-endian number, is <= target.
// Returns early with nullopt once `stop` is true (polled every kStopCheckInterval hashes).
inline constexpr std::uint32_t kStopCheckInterval = 4096;
NonceSearchStats search_nonce_counted(const BlockHeader& header, std::uint32_t first_nonce, std::uint64_t count,
                                      const Uint256& target, const std::atomic<bool>& stop);
std::optional<std::uint32_t> search_nonce(const BlockHeader& header, std::uint32_t first_nonce, std::uint64_t count,
                                          const Uint256& target, const std::atomic<bool>& stop);

// Searches the nonce space of a header on several threads.
class NonceSearcher {
 public:
  static constexpr std::uint64_t kNonceSpace = std::uint64_t{1} << 32;
  // Nonces a thread takes at a time (about 1.5 ms of one core), in increasing order.
  static constexpr std::uint64_t kChunk = std::uint64_t{1} << 14;

  // Searches on `executor` (not owned; it must outlive the searcher) and the caller.
  explicit NonceSearcher(Executor& executor);
  // Searches on `threads` threads in all, the caller of search() included: a ThreadPool of
  // threads - 1 workers of its own, or (threads <= 1) the caller alone.
  explicit NonceSearcher(unsigned threads);
  NonceSearcher(const NonceSearcher&) = delete;
  NonceSearcher& operator=(const NonceSearcher&) = delete;

  // Searches [first_nonce, first_nonce + count) (clipped to the 32-bit space), its threads
  // taking chunks of it in increasing order, and blocks until a nonce meeting header.bits is
  // found, the range is exhausted, or interrupt() is called. Returns the header with the
  // lowest such nonce of the range (the same on any executor and thread count), which passes
  // check_proof_of_work(hash, bits, pow_limit); nullopt when exhausted or interrupted, or
  // when header.bits is not a valid target within pow_limit.
  std::optional<BlockHeader> search(const BlockHeader& header, const Uint256& pow_limit, std::uint32_t first_nonce = 0,
                                    std::uint64_t count = kNonceSpace);

  // Makes the running search() return nullopt within a few thousand hashes per thread
  // (well under a millisecond). If no search is running, the next one returns at once: an
  // interrupt is consumed by exactly one search(), so a new tip that arrives just before the
  // miner starts on a stale template is not lost.
  void interrupt() { stop_.store(true, std::memory_order_relaxed); }

  // Threads that may search at once, the caller included.
  unsigned threads() const { return executor_.concurrency(); }
  // Total attempts across all searches (for hash-rate metrics).
  std::uint64_t hashes() const { return hashes_.load(std::memory_order_relaxed); }

 private:
  std::unique_ptr<Executor> own_executor_;  // for NonceSearcher(threads)
  Executor& executor_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> hashes_{0};
};

}  // namespace tally::ledger
