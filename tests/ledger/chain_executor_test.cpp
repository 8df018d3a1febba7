// Chains on injected executors: two chains sharing one ThreadPool connect blocks from two
// threads at once and end exactly where a chain checking signatures inline ends; a bad
// signature is still found, at the same (first) position, on every executor; and a chain
// without an executor makes its own, as before.
#include <gtest/gtest.h>

#include <thread>

#include "chain_fixture.h"
#include "ledger/thread_pool.h"

namespace tally::ledger {
namespace {

using testing::ChainHarness;
using testing::StoreKind;

constexpr int kBlocks = 4;
constexpr int kSenders = testing::kFundedKeys;
constexpr int kTxsPerSender = 8;  // 64 transfers a block: several chunks for the verifier

// Blocks built on a chain that checks signatures inline, on a MemoryStore (the simulator's
// setup), and where that chain ended.
struct Built {
  std::vector<Block> blocks;
  BlockHash tip;
  crypto::Hash256 state;
};

const Built& built() {
  static const Built b = [] {
    Built out;
    InlineExecutor executor;
    ChainHarness h(testing::test_spec(), ChainOptions{.executor = &executor}, StoreKind::kMemory);
    for (int n = 0; n < kBlocks; ++n) {
      std::vector<Transaction> txs;
      for (int k = 0; k < kSenders; ++k)
        for (int i = 0; i < kTxsPerSender; ++i)
          txs.push_back(h.transfer(k, (k + 1 + i) % kSenders, 100 + i, 10 + k,
                                   static_cast<std::uint64_t>(n * kTxsPerSender + i)));
      out.blocks.push_back(h.make_block(std::move(txs), n % kSenders));
      h.add(out.blocks.back());
    }
    out.tip = h.chain->tip().hash;
    out.state = h.chain->state_hash();
    return out;
  }();
  return b;
}

// `block` with the signatures at `positions` broken, its Merkle root redone and re-mined.
// Its effects, and so its state root, are unchanged.
Block with_bad_signatures(Block block, std::initializer_list<std::size_t> positions, const ChainSpec& spec) {
  for (std::size_t p : positions) block.txs[p].signature.bytes[7] ^= 1;
  block.header.tx_root = block.compute_tx_root();
  testing::mine(block, spec);
  return block;
}

void expect_bad_signature_at(ChainHarness& h, const Block& block, std::size_t position) {
  auto r = h.chain->accept_block(block, h.now());
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().failure) << r.error().message;
  EXPECT_EQ(r.error().failure->error, BlockError::kInvalidTransaction);
  EXPECT_EQ(r.error().failure->tx_error, TxError::kBadSignature);
  EXPECT_EQ(r.error().failure->tx_index, position);
}

// Connects every built block (after a bad copy of the first, which must be refused).
void connect_all(ChainHarness& h) {
  const Built& b = built();
  expect_bad_signature_at(h, with_bad_signatures(b.blocks[0], {50, 9, 33}, h.spec), 9);
  for (const Block& block : b.blocks) ASSERT_EQ(h.add(block).update.connected.size(), 1u);
  EXPECT_EQ(h.chain->tip().hash, b.tip);
  EXPECT_EQ(h.chain->state_hash(), b.state);
}

TEST(ChainExecutor, TwoChainsSharingAPoolConnectBlocksFromTwoThreads) {
  ThreadPool pool(2);
  for (int round = 0; round < 3; ++round) {
    ChainHarness first(testing::test_spec(), ChainOptions{.executor = &pool}, StoreKind::kMemory);
    ChainHarness second(testing::test_spec(), ChainOptions{.executor = &pool}, StoreKind::kMemory);
    std::thread other([&] { connect_all(second); });
    connect_all(first);
    other.join();
    EXPECT_EQ(first.chain->options().executor, &pool);
  }
}

TEST(ChainExecutor, BadSignatureFoundAtTheSamePositionOnEveryExecutor) {
  InlineExecutor inline_executor;
  ThreadPool pool(3);
  const Built& b = built();
  for (Executor* executor : std::initializer_list<Executor*>{&inline_executor, &pool}) {
    ChainHarness h(testing::test_spec(), ChainOptions{.executor = executor}, StoreKind::kMemory);
    // Positions 16, 17 and 33 are the verifier's indexes 15 (end of its first chunk), 16
    // and 32 (starts of the next chunks, which other threads take).
    expect_bad_signature_at(h, with_bad_signatures(b.blocks[0], {64, 33, 17, 16}, h.spec), 16);
    expect_bad_signature_at(h, with_bad_signatures(b.blocks[0], {1}, h.spec), 1);
    EXPECT_EQ(h.chain->height(), 0u);
    ASSERT_EQ(h.add(b.blocks[0]).update.connected.size(), 1u);
  }
}

// No executor: the chain makes its own of verify_threads threads and behaves the same.
TEST(ChainExecutor, ChainWithoutAnExecutorMakesItsOwn) {
  for (const unsigned threads : {0u, 1u, 2u, 3u}) {
    SCOPED_TRACE("verify_threads=" + std::to_string(threads));
    ChainHarness h(testing::test_spec(), ChainOptions{.verify_threads = threads}, StoreKind::kMemory);
    EXPECT_EQ(h.chain->options().executor, nullptr);
    connect_all(h);
  }
}

}  // namespace
}  // namespace tally::ledger
