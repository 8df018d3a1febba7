#include "ledger/nonce_search.h"

#include <gtest/gtest.h>

#include <future>
#include <random>

#include "crypto/header_hasher.h"
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

}  // namespace
}  // namespace tally::ledger
