#include "ledger/nonce_search.h"

#include <algorithm>
#include <bit>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/header_hasher.h"

namespace tally::ledger {

namespace {

using crypto::Sha256dMidstate;

constexpr std::size_t kTailSize = BlockHeader::kSize - BlockHeader::kMidstatePrefix;
static_assert(kTailSize <= Sha256dMidstate::kMaxTail);
// The nonce is the header's last 4 bytes, little-endian: the tail block's word 12, whose
// big-endian reading is the byte-swapped nonce.
constexpr std::size_t kNonceOffset = BlockHeader::kSize - 4 - BlockHeader::kMidstatePrefix;
static_assert(kNonceOffset % 4 == 0);
constexpr std::size_t kNonceWord = kNonceOffset / 4;

Sha256dMidstate::DigestWords target_words(const Uint256& target) {
  Sha256dMidstate::DigestWords words;
  for (int i = 0; i < 8; ++i) {
    words[i] = static_cast<std::uint32_t>((target >> (32 * (7 - i))) & 0xffffffffu);
  }
  return words;
}

}  // namespace

NonceSearchStats search_nonce_counted(const BlockHeader& header, std::uint32_t first_nonce, std::uint64_t count,
                                      const Uint256& target, const std::atomic<bool>& stop) {
  NonceSearchStats stats;
  count = std::min<std::uint64_t>(count, NonceSearcher::kNonceSpace - first_nonce);
  if (count == 0) return stats;
  const auto bytes = header.encode();
  const crypto::ByteSpan all(bytes);
  const Sha256dMidstate midstate(all.first(BlockHeader::kMidstatePrefix));
  Sha256dMidstate::TailBlock block = Sha256dMidstate::prepare_tail(all.subspan(BlockHeader::kMidstatePrefix));
  const Sha256dMidstate::DigestWords limit = target_words(target);

  std::uint64_t done = 0;
  while (done < count) {
    if (stop.load(std::memory_order_relaxed)) break;
    const std::uint64_t batch = std::min<std::uint64_t>(count - done, kStopCheckInterval);
    for (std::uint64_t i = 0; i < batch; ++i) {
      const auto nonce = static_cast<std::uint32_t>(first_nonce + done + i);
      block.words[kNonceWord] = std::byteswap(nonce);
      const Sha256dMidstate::DigestWords digest = midstate.hash_words(block);
      // Lexicographic word order is big-endian numeric order; word 0 decides almost always.
      if (digest[0] > limit[0]) continue;
      if (digest <= limit) {
        stats.hashes = done + i + 1;
        stats.nonce = nonce;
        return stats;
      }
    }
    done += batch;
  }
  stats.hashes = done;
  return stats;
}

std::optional<std::uint32_t> search_nonce(const BlockHeader& header, std::uint32_t first_nonce, std::uint64_t count,
                                          const Uint256& target, const std::atomic<bool>& stop) {
  return search_nonce_counted(header, first_nonce, count, target, stop).nonce;
}

NonceSearcher::NonceSearcher(unsigned threads) : threads_(std::max(1u, threads)) {}

std::optional<BlockHeader> NonceSearcher::search(const BlockHeader& header, const Uint256& pow_limit,
                                                 std::uint32_t first_nonce, std::uint64_t count) {
  std::optional<BlockHeader> found;
  const auto target = target_from_compact(header.bits);
  // exchange() consumes a pending interrupt: this search is the one it stops.
  const bool interrupted = stop_.exchange(false, std::memory_order_relaxed);
  if (interrupted || !target || *target > pow_limit) return found;
  count = std::min<std::uint64_t>(count, kNonceSpace - first_nonce);

  std::mutex mutex;
  std::uint32_t best_nonce = 0;
  std::uint64_t best_offset = count;  // offset of the lowest nonce found, ties impossible
  {
    const std::uint64_t share = (count + threads_ - 1) / threads_;
    std::vector<std::jthread> workers;
    workers.reserve(threads_);
    for (unsigned t = 0; t < threads_; ++t) {
      const std::uint64_t begin = std::min<std::uint64_t>(count, share * t);
      const std::uint64_t end = std::min<std::uint64_t>(count, begin + share);
      if (begin == end) break;
      workers.emplace_back([&, begin, end] {
        const auto first = static_cast<std::uint32_t>(first_nonce + begin);
        const NonceSearchStats stats = search_nonce_counted(header, first, end - begin, *target, stop_);
        hashes_.fetch_add(stats.hashes, std::memory_order_relaxed);
        if (!stats.nonce) return;
        const std::lock_guard lock(mutex);
        const std::uint64_t offset = begin + (*stats.nonce - first);
        if (offset < best_offset) {
          best_offset = offset;
          best_nonce = *stats.nonce;
        }
        stop_.store(true, std::memory_order_relaxed);  // the others can stop
      });
    }
  }  // joins every worker
  // Consumes our own stop (a winner's) and an interrupt that raced with the end of the search.
  stop_.store(false, std::memory_order_relaxed);
  if (best_offset == count) return found;
  found = header;
  found->nonce = best_nonce;
  // Belt and braces: never hand out a header the chain would reject.
  if (!check_proof_of_work(found->hash(), found->bits, pow_limit)) found.reset();
  return found;
}

}  // namespace tally::ledger
