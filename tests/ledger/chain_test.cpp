// Chain basics (open, connect, reorg, the signature-skip cache), each on a RocksDB store
// and on a MemoryStore: the chain must behave the same on both.
#include "ledger/chain.h"

#include <gtest/gtest.h>

#include "chain_fixture.h"

namespace tally::ledger {
namespace {

using testing::ChainHarness;
using testing::kInitialBalance;
using testing::StoreKind;

class ChainOnStore : public ::testing::TestWithParam<StoreKind> {
 protected:
  ChainHarness harness() const { return ChainHarness(testing::test_spec(), {}, GetParam()); }
};

TEST_P(ChainOnStore, OpensAtGenesisWithFundedAccounts) {
  ChainHarness h = harness();
  EXPECT_EQ(h.chain->height(), 0u);
  EXPECT_EQ(h.chain->tip().hash, h.spec.genesis_hash());
  EXPECT_EQ(h.account(0).balance, kInitialBalance);
  EXPECT_EQ(h.chain->state_hash(), h.spec.genesis_block().header.state_root);
}

TEST_P(ChainOnStore, ConnectsBlocksAndMovesFunds) {
  ChainHarness h = harness();
  const Transaction first = h.transfer(1, 2, 300, 10, 0);
  auto r = h.add(h.make_block({first, h.transfer(1, 3, 200, 20, 1)}, 0));
  EXPECT_EQ(r.status, AcceptStatus::kAccepted);
  ASSERT_EQ(r.update.connected.size(), 1u);
  EXPECT_EQ(h.chain->height(), 1u);
  EXPECT_EQ(h.account(1).balance, kInitialBalance - 530);
  EXPECT_EQ(h.account(1).nonce, 2u);
  EXPECT_EQ(h.account(2).balance, kInitialBalance + 300);
  EXPECT_EQ(h.account(0).balance, kInitialBalance + h.spec.subsidy + 30);
  auto loc = h.chain->find_transaction(first.txid());
  ASSERT_TRUE(loc && *loc);
  EXPECT_EQ((*loc)->position, 1u);
  auto history = h.chain->address_history(testing::test_address(1), 0, 100);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 2u);
}

TEST_P(ChainOnStore, ReorgsToMoreWorkAndBack) {
  ChainHarness h = harness();
  const Block a1 = h.make_block({h.transfer(1, 2, 100, 10, 0)}, 0);
  h.add(a1);
  const auto state_a1 = h.chain->state_hash();
  // A competing branch from genesis, two blocks long, spending the same nonce differently.
  ChainHarness replay = harness();  // same spec, separate store: builds the branch from genesis
  const Block b1 = replay.make_block({replay.transfer(1, 3, 500, 10, 0)}, 4);
  replay.add(b1);
  const Block b2 = replay.make_block({}, 4);
  replay.add(b2);
  h.add(b1);
  EXPECT_EQ(h.chain->tip().hash, a1.hash()) << "equal work: first seen stays";
  auto r = h.add(b2);
  EXPECT_EQ(h.chain->tip().hash, b2.hash());
  EXPECT_EQ(r.update.reorg_depth(), 1u);
  ASSERT_EQ(r.update.disconnected_txs.size(), 1u);
  EXPECT_EQ(h.chain->state_hash(), replay.chain->state_hash());
  EXPECT_EQ(h.account(3).balance, kInitialBalance + 500);
  EXPECT_EQ(h.account(2).balance, kInitialBalance);
  // Extend the first branch past the second: back again.
  std::vector<Block> a_branch;
  {
    ChainHarness a = harness();
    a.add(a1);
    a_branch.push_back(a.make_block({}, 0));
    a.add(a_branch.back());
    a_branch.push_back(a.make_block({}, 0));
    a.add(a_branch.back());
    for (const Block& b : a_branch) h.add(b);
    EXPECT_EQ(h.chain->tip().hash, a_branch.back().hash());
    EXPECT_EQ(h.chain->state_hash(), a.chain->state_hash());
  }
  EXPECT_NE(h.chain->state_hash(), state_a1);
  EXPECT_EQ(h.account(2).balance, kInitialBalance + 100);
}

TEST_P(ChainOnStore, SkipsSignaturesAlreadyVerifiedButStillChecksTheRest) {
  ChainHarness h = harness();
  const Transaction good = h.transfer(1, 2, 100, 10, 0);
  h.chain->note_verified(good.txid());
  Transaction bad = h.transfer(3, 2, 100, 10, 0);
  Block b = h.make_block({good, h.transfer(1, 2, 50, 10, 1)});
  ASSERT_EQ(h.add(b).status, AcceptStatus::kAccepted);
  EXPECT_EQ(h.chain->height(), 1u);
  // A bad signature next to a cached good one is still caught, at its block position.
  bad.signature.bytes[0] ^= 1;
  Block b2;
  {
    const std::int64_t t = static_cast<std::int64_t>(h.chain->tip().header.time) + h.spec.block_interval_s;
    auto assembled = assemble_block(*h.chain, {h.transfer(1, 3, 5, 10, 2)}, testing::test_address(0), t);
    ASSERT_TRUE(assembled);
    b2 = *assembled;
  }
  h.chain->note_verified(b2.txs[1].txid());
  b2.txs.push_back(bad);
  b2.header.tx_root = b2.compute_tx_root();
  testing::mine(b2, h.spec);
  auto r = h.chain->accept_block(b2, h.now());
  ASSERT_FALSE(r);
  ASSERT_TRUE(r.error().failure);
  EXPECT_EQ(r.error().failure->error, BlockError::kInvalidTransaction);
  EXPECT_EQ(r.error().failure->tx_error, TxError::kBadSignature);
  EXPECT_EQ(r.error().failure->tx_index, 2u);
}

INSTANTIATE_TEST_SUITE_P(Store, ChainOnStore, ::testing::Values(StoreKind::kRocksDb, StoreKind::kMemory),
                         testing::store_kind_param_name);

}  // namespace
}  // namespace tally::ledger
