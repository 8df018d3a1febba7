// SignatureVerifier: finds a bad signature among many, on the caller alone (InlineExecutor)
// and on pools of several threads, also for senders whose parsed keys are already cached
// from an earlier job; the answer (the first bad index) does not depend on the executor; and
// one pool serves several verifiers on several threads at once.
#include <gtest/gtest.h>

#include <thread>

#include "chain_fixture.h"
#include "ledger/sig_verifier.h"
#include "ledger/thread_pool.h"

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

// The executors every test runs on: the caller alone, and pools of 1 and 2 workers.
struct Executors {
  InlineExecutor inline_executor;
  ThreadPool one{1};
  ThreadPool two{2};
  std::vector<Executor*> all() { return {&inline_executor, &one, &two}; }
};

TEST(SignatureVerifier, AllGoodOnEveryExecutor) {
  const auto txs = transfers(100, 0);
  Executors executors;
  for (Executor* executor : executors.all()) {
    SignatureVerifier v(*executor);
    EXPECT_EQ(v.verify(txs), std::nullopt) << v.threads();
    EXPECT_EQ(v.verify(std::span(txs).first(5)), std::nullopt) << "one chunk, " << v.threads();
    EXPECT_EQ(v.verify({}), std::nullopt) << "nothing to check, " << v.threads();
  }
}

TEST(SignatureVerifier, FindsTheBadOneAlsoForACachedSender) {
  Executors executors;
  for (Executor* executor : executors.all()) {
    SignatureVerifier v(*executor);
    ASSERT_EQ(v.verify(transfers(64, 0)), std::nullopt);  // the eight senders' keys are cached now
    for (std::size_t bad : {0u, 17u, 63u}) {
      auto txs = transfers(64, 100);
      txs[bad].signature.bytes[10] ^= 1;
      EXPECT_EQ(v.verify(txs), bad) << v.threads();
      txs[bad].signature.bytes[10] ^= 1;
      txs[bad].amount += 1;  // the signature no longer covers the transaction
      EXPECT_EQ(v.verify(txs), bad) << v.threads();
    }
    EXPECT_EQ(v.verify(transfers(64, 200)), std::nullopt);
  }
}

TEST(SignatureVerifier, KeyOffTheCurveFails) {
  ThreadPool pool(1);
  SignatureVerifier v(pool);
  auto txs = transfers(40, 0);
  // x = 5 is not the x coordinate of a point on secp256k1 (5^3 + 7 = 132 has no square root).
  txs[33].sender = PublicKey{};
  txs[33].sender.bytes[31] = 5;
  ASSERT_FALSE(crypto::is_valid_public_key(txs[33].sender));
  EXPECT_EQ(v.verify(txs), 33u);
}

// With several bad signatures in chunks that different threads take, the answer is still
// the first of them, every time: nodes on any executor report the same position. The first
// is the last of chunk 0 (found after 16 checks); the others start chunks 1 and 2 (found
// after one check each, by the threads that took them).
TEST(SignatureVerifier, ReportsTheFirstBadSignatureOnEveryExecutor) {
  auto txs = transfers(200, 300);
  for (std::size_t bad : {15u, 16u, 32u, 190u}) txs[bad].signature.bytes[3] ^= 1;
  Executors executors;
  for (Executor* executor : executors.all()) {
    SignatureVerifier v(*executor);
    for (int round = 0; round < 10; ++round) ASSERT_EQ(v.verify(txs), 15u) << v.threads() << " round " << round;
    // Started, then finished later: the same answer.
    v.start(txs);
    EXPECT_EQ(v.finish(), 15u);
  }
}

// Two verifiers on two threads share one pool; each gets its own answer.
TEST(SignatureVerifier, OnePoolServesVerifiersOnSeveralThreads) {
  const auto good = transfers(96, 400);
  auto bad = transfers(96, 500);
  bad[70].signature.bytes[0] ^= 1;
  ThreadPool pool(2);
  auto check = [&](int rounds) {
    SignatureVerifier v(pool);
    for (int i = 0; i < rounds; ++i) {
      EXPECT_EQ(v.verify(good), std::nullopt);
      EXPECT_EQ(v.verify(bad), 70u);
    }
  };
  std::thread other(check, 8);
  check(8);
  other.join();
}

}  // namespace
}  // namespace tally::ledger
