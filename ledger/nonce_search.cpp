#include "ledger/nonce_search.h"

#include <algorithm>
#include <bit>

#include "crypto/header_hasher.h"
#include "ledger/thread_pool.h"

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

namespace {
std::unique_ptr<Executor> own_executor(unsigned threads) {
  if (threads <= 1) return std::make_unique<InlineExecutor>();
  return std::make_unique<ThreadPool>(threads - 1);
}
}  // namespace

NonceSearcher::NonceSearcher(Executor& executor) : executor_(executor) {}

NonceSearcher::NonceSearcher(unsigned threads) : own_executor_(own_executor(threads)), executor_(*own_executor_) {}

std::optional<BlockHeader> NonceSearcher::search(const BlockHeader& header, const Uint256& pow_limit,
                                                 std::uint32_t first_nonce, std::uint64_t count) {
  std::optional<BlockHeader> found;
  const auto target = target_from_compact(header.bits);
  // exchange() consumes a pending interrupt: this search is the one it stops.
  const bool interrupted = stop_.exchange(false, std::memory_order_relaxed);
  if (interrupted || !target || *target > pow_limit) return found;
  count = std::min<std::uint64_t>(count, kNonceSpace - first_nonce);

  // Chunks are taken in increasing order, so when one holds a hit, every chunk below it is
  // already taken and runs to its end: the lowest hit of the range wins, whatever the
  // threads' timing. Chunks above a hit are skipped.
  std::atomic<std::uint64_t> best_offset{count};  // offset of the lowest nonce found
  TaskGroup group(executor_);
  group.run((count + kChunk - 1) / kChunk, [&](std::size_t chunk) {
    const std::uint64_t begin = chunk * kChunk;
    if (stop_.load(std::memory_order_relaxed)) return group.skip_rest();  // interrupted
    if (begin >= best_offset.load(std::memory_order_relaxed)) return;
    const auto first = static_cast<std::uint32_t>(first_nonce + begin);
    const NonceSearchStats stats =
        search_nonce_counted(header, first, std::min(kChunk, count - begin), *target, stop_);
    hashes_.fetch_add(stats.hashes, std::memory_order_relaxed);
    if (!stats.nonce) return;
    const std::uint64_t offset = begin + (*stats.nonce - first);
    std::uint64_t lowest = best_offset.load(std::memory_order_relaxed);
    while (offset < lowest && !best_offset.compare_exchange_weak(lowest, offset, std::memory_order_relaxed)) {
    }
    group.skip_rest();
  });
  group.wait();
  // Consumes an interrupt that raced with the end of the search.
  stop_.store(false, std::memory_order_relaxed);
  const std::uint64_t offset = best_offset.load(std::memory_order_relaxed);
  if (offset == count) return found;
  found = header;
  found->nonce = static_cast<std::uint32_t>(first_nonce + offset);
  // Belt and braces: never hand out a header the chain would reject.
  if (!check_proof_of_work(found->hash(), found->bits, pow_limit)) found.reset();
  return found;
}

}  // namespace tally::ledger
