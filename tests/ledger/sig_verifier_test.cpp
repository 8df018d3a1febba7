// SignatureVerifier: finds a bad signature among many on several threads, also for senders
// whose parsed keys are already cached from an earlier job.
#include <gtest/gtest.h>

#include "chain_fixture.h"
#include "ledger/sig_verifier.h"

namespace tally::ledger {
namespace {

using testing::test_address;
using testing::test_key;

std::vector<Transaction> transfers(std::size_t n, std::uint64_t nonce) {
  std::vector<Transaction> txs;
  for (std::size_t i = 0; i < n; ++i)
    txs.push_back(make_transfer(test_key(static_cast<int>(i % 8)), 99, test_address(9), 100 + i, 10, nonce + i));
  return txs;
}

TEST(SignatureVerifier, AllGoodOnEveryThreadCount) {
  const auto txs = transfers(100, 0);
  for (unsigned threads : {1u, 2u, 3u}) {
    SignatureVerifier v(threads);
    EXPECT_EQ(v.verify(txs), std::nullopt) << threads;
  }
}

TEST(SignatureVerifier, FindsTheBadOneAlsoForACachedSender) {
  SignatureVerifier v(2);
  ASSERT_EQ(v.verify(transfers(64, 0)), std::nullopt);  // the eight senders' keys are cached now
  for (std::size_t bad : {0u, 17u, 63u}) {
    auto txs = transfers(64, 100);
    txs[bad].signature.bytes[10] ^= 1;
    EXPECT_EQ(v.verify(txs), bad);
    txs[bad].signature.bytes[10] ^= 1;
    txs[bad].amount += 1;  // the signature no longer covers the transaction
    EXPECT_EQ(v.verify(txs), bad);
  }
  EXPECT_EQ(v.verify(transfers(64, 200)), std::nullopt);
}

TEST(SignatureVerifier, KeyOffTheCurveFails) {
  SignatureVerifier v(2);
  auto txs = transfers(40, 0);
  // x = 5 is not the x coordinate of a point on secp256k1 (5^3 + 7 = 132 has no square root).
  txs[33].sender = PublicKey{};
  txs[33].sender.bytes[31] = 5;
  ASSERT_FALSE(crypto::is_valid_public_key(txs[33].sender));
  EXPECT_EQ(v.verify(txs), 33u);
}

}  // namespace
}  // namespace tally::ledger
