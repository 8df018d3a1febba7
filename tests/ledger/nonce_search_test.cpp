#include "ledger/nonce_search.h"

#include <gtest/gtest.h>

#include <future>
#include <random>
#include <thread>

#include "crypto/header_hasher.h"
#include "ledger/thread_pool.h"
#include "ledger_test_util.h"

namespace tally::ledger {
namespace {

constexpr std::uint32_t kTrivialBits = 0x207fffff;  // about every second hash
constexpr std::uint32_t kModerateBits = 0x1f00ffff;  // about one hash in 65,536
constexpr std::uint32_t kImpossibleBits = 0x03000001;  // target 1

const Uint256& pow_limit() {
  static const Uint256 limit = *target_from_compact(kTrivialBits);
  return limit;
}

BlockHeader template_header(std::uint32_t bits, std::uint64_t salt = 0) {
  std::mt19937_64 rng(test_util::testing_seed() ^ salt);
  BlockHeader h = test_util::random_header(rng);
  h.version = 1;
  h.bits = bits;
  h.nonce = 0;
  return h;
}

Uint256 target_of(std::uint32_t bits) { return *target_from_compact(bits); }

TEST(NonceSearch, PreparedTailWithRewrittenNonceWordMatchesTheHeaderHash) {
  BlockHeader h = template_header(kTrivialBits);
  const auto bytes = h.encode();
  const crypto::Sha256dMidstate midstate(crypto::ByteSpan(bytes).first(BlockHeader::kMidstatePrefix));
  auto block = crypto::Sha256dMidstate::prepare_tail(crypto::ByteSpan(bytes).subspan(BlockHeader::kMidstatePrefix));
  for (std::uint32_t nonce : {0u, 1u, 0x01020304u, 0xfffffffeu}) {
    h.nonce = nonce;
    block.words[12] = std::byteswap(nonce);
    EXPECT_EQ(crypto::Sha256dMidstate::to_hash(midstate.hash_words(block)), h.hash()) << nonce;
  }
}

TEST(NonceSearch, FindsTheFirstValidNonceAtATrivialTarget) {
  const std::atomic<bool> stop{false};
  const BlockHeader h = template_header(kTrivialBits);
  const auto nonce = search_nonce(h, 0, NonceSearcher::kNonceSpace, target_of(kTrivialBits), stop);
  ASSERT_TRUE(nonce.has_value());
  BlockHeader found = h;
  found.nonce = *nonce;
  EXPECT_TRUE(check_proof_of_work(found.hash(), kTrivialBits, pow_limit()));
  for (std::uint32_t n = 0; n < *nonce; ++n) {
    found.nonce = n;
    EXPECT_FALSE(check_proof_of_work(found.hash(), kTrivialBits, pow_limit())) << n;
  }
}

TEST(NonceSearch, FindsAValidNonceAtAModerateTarget) {
  const std::atomic<bool> stop{false};
  const BlockHeader h = template_header(kModerateBits, 1);
  const NonceSearchStats stats = search_nonce_counted(h, 0, NonceSearcher::kNonceSpace, target_of(kModerateBits), stop);
  ASSERT_TRUE(stats.nonce.has_value());
  EXPECT_EQ(stats.hashes, std::uint64_t{*stats.nonce} + 1);
  BlockHeader found = h;
  found.nonce = *stats.nonce;
  EXPECT_TRUE(check_proof_of_work(found.hash(), kModerateBits, pow_limit()));
  // The first one: the nonce before it fails.
  if (*stats.nonce > 0) {
    found.nonce = *stats.nonce - 1;
    EXPECT_FALSE(check_proof_of_work(found.hash(), kModerateBits, pow_limit()));
  }
}

TEST(NonceSearch, CountsHashesAndStopsAtTheEndOfTheRangeOrSpace) {
  const std::atomic<bool> stop{false};
  const BlockHeader h = template_header(kImpossibleBits);
  NonceSearchStats stats = search_nonce_counted(h, 1000, 10'000, target_of(kImpossibleBits), stop);
  EXPECT_FALSE(stats.nonce.has_value());
  EXPECT_EQ(stats.hashes, 10'000u);
  // Never wraps past 2^32 - 1.
  stats = search_nonce_counted(h, 0xffffff00u, 1'000'000, target_of(kImpossibleBits), stop);
  EXPECT_FALSE(stats.nonce.has_value());
  EXPECT_EQ(stats.hashes, 256u);
}

TEST(NonceSearch, ReturnsAtOnceWhenStopIsSet) {
  const std::atomic<bool> stop{true};
  const NonceSearchStats stats =
      search_nonce_counted(template_header(kTrivialBits), 0, NonceSearcher::kNonceSpace, target_of(kTrivialBits), stop);
  EXPECT_FALSE(stats.nonce.has_value());
  EXPECT_EQ(stats.hashes, 0u);
}

TEST(NonceSearch, SearcherFindsAValidHeaderOnSeveralThreads) {
  NonceSearcher searcher(2);
  const BlockHeader h = template_header(kModerateBits, 2);
  const auto found = searcher.search(h, pow_limit());
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(check_proof_of_work(found->hash(), kModerateBits, pow_limit()));
  BlockHeader same = *found;
  same.nonce = h.nonce;
  EXPECT_EQ(same, h);  // only the nonce changed
  EXPECT_GT(searcher.hashes(), 0u);
}

TEST(NonceSearch, SearcherReturnsNulloptWhenTheRangeIsExhausted) {
  NonceSearcher searcher(3);
  const auto found = searcher.search(template_header(kImpossibleBits), pow_limit(), 5, 30'001);
  EXPECT_FALSE(found.has_value());
  EXPECT_EQ(searcher.hashes(), 30'001u);
}

TEST(NonceSearch, SearcherRefusesATargetAbovePowLimit) {
  NonceSearcher searcher(1);
  const Uint256 strict_limit = target_of(kModerateBits);
  EXPECT_FALSE(searcher.search(template_header(kTrivialBits), strict_limit).has_value());
  EXPECT_FALSE(searcher.search(template_header(0), pow_limit()).has_value());  // no valid target
}

TEST(NonceSearch, InterruptStopsARunningSearch) {
  NonceSearcher searcher(2);
  auto running = std::async(std::launch::async, [&] { return searcher.search(template_header(kImpossibleBits), pow_limit()); });
  // Whether this lands before or during the search, the search returns.
  searcher.interrupt();
  EXPECT_FALSE(running.get().has_value());
  // The interrupt was consumed: the next search runs normally.
  EXPECT_TRUE(searcher.search(template_header(kTrivialBits), pow_limit()).has_value());
}

TEST(NonceSearch, InterruptBeforeSearchIsConsumedByTheNextSearch) {
  NonceSearcher searcher(2);
  searcher.interrupt();
  EXPECT_FALSE(searcher.search(template_header(kTrivialBits), pow_limit()).has_value());
  EXPECT_TRUE(searcher.search(template_header(kTrivialBits), pow_limit()).has_value());
}

// The first valid nonce of [first, first + count), by a plain single-threaded scan.
std::optional<std::uint32_t> first_valid(const BlockHeader& h, std::uint32_t first, std::uint64_t count) {
  const std::atomic<bool> stop{false};
  return search_nonce(h, first, count, *target_from_compact(h.bits), stop);
}

// Whatever executes it, a search returns the lowest valid nonce of its range: the caller
// alone, a pool of the searcher's own, or a pool shared with others.
TEST(NonceSearch, SearcherFindsTheSameNonceInlineAndPooled) {
  InlineExecutor inline_executor;
  ThreadPool shared(3);
  NonceSearcher on_caller(inline_executor);
  NonceSearcher on_shared(shared);
  NonceSearcher own_pool(2);
  for (std::uint64_t salt = 10; salt < 14; ++salt) {
    const BlockHeader h = template_header(kModerateBits, salt);
    for (const std::uint32_t first : {0u, 70'001u}) {
      SCOPED_TRACE("salt " + std::to_string(salt) + ", first nonce " + std::to_string(first));
      const auto expected = first_valid(h, first, NonceSearcher::kNonceSpace);
      ASSERT_TRUE(expected.has_value());
      for (NonceSearcher* searcher : {&on_caller, &on_shared, &own_pool}) {
        const auto found = searcher->search(h, pow_limit(), first);
        ASSERT_TRUE(found.has_value()) << searcher->threads() << " threads";
        EXPECT_EQ(found->nonce, *expected) << searcher->threads() << " threads";
      }
    }
  }
  EXPECT_EQ(on_caller.threads(), 1u);
  EXPECT_EQ(on_shared.threads(), 4u);
  EXPECT_EQ(own_pool.threads(), 2u);
}

// At a trivial target almost every chunk holds hits: the lowest still wins, and a range
// that ends inside a chunk is searched up to its end and no further.
TEST(NonceSearch, SearcherFindsTheLowestHitWhenEveryChunkHasOne) {
  ThreadPool pool(3);
  NonceSearcher searcher(pool);
  for (std::uint64_t salt = 20; salt < 30; ++salt) {
    const BlockHeader h = template_header(kTrivialBits, salt);
    EXPECT_EQ(searcher.search(h, pow_limit())->nonce, *first_valid(h, 0, NonceSearcher::kNonceSpace));
  }
  NonceSearcher exhausting(pool);
  const std::uint64_t count = 3 * NonceSearcher::kChunk + 17;
  EXPECT_FALSE(exhausting.search(template_header(kImpossibleBits), pow_limit(), 9, count).has_value());
  EXPECT_EQ(exhausting.hashes(), count);
}

// Two searchers on two threads share one pool; each finds its own header's nonce.
TEST(NonceSearch, SearchersOnSeveralThreadsShareOnePool) {
  ThreadPool pool(2);
  auto run = [&](std::uint64_t salt) {
    NonceSearcher searcher(pool);
    for (std::uint64_t i = 0; i < 3; ++i) {
      const BlockHeader h = template_header(kModerateBits, salt + i);
      const auto found = searcher.search(h, pow_limit());
      ASSERT_TRUE(found.has_value());
      EXPECT_EQ(found->nonce, *first_valid(h, 0, NonceSearcher::kNonceSpace));
    }
  };
  std::thread other(run, 40);
  run(50);
  other.join();
}

TEST(NonceSearch, InterruptStopsASearchOnTheCallersThread) {
  InlineExecutor inline_executor;
  NonceSearcher searcher(inline_executor);
  auto running = std::async(std::launch::async, [&] { return searcher.search(template_header(kImpossibleBits), pow_limit()); });
  searcher.interrupt();
  EXPECT_FALSE(running.get().has_value());
  EXPECT_LT(searcher.hashes(), NonceSearcher::kNonceSpace);
  EXPECT_TRUE(searcher.search(template_header(kTrivialBits), pow_limit()).has_value());
}

}  // namespace
}  // namespace tally::ledger
