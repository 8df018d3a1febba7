// Chain::invalidate_block and Chain::reconsider_block (RPC invalidateblock/reconsiderblock):
// reorganizing away from a block marked invalid by hand and back, the marks surviving a
// reopen of the store, and the errors.
#include <gtest/gtest.h>

#include "chain_fixture.h"
#include "ledger/chain.h"

namespace tally::ledger {
namespace {

using testing::ChainHarness;
using testing::kInitialBalance;

// Active chain a1..a3 (a1 carries a transfer 1 -> 2), and a fork b1..b2 from genesis.
struct TwoBranches {
  ChainHarness h;
  std::vector<Block> a, b;
  TwoBranches() {
    for (int i = 0; i < 3; ++i) {
      a.push_back(h.make_block(i == 0 ? std::vector<Transaction>{h.transfer(1, 2, 100, 10, 0)}
                                      : std::vector<Transaction>{},
                               0));
      h.add(a.back());
    }
    ChainHarness other;
    for (int i = 0; i < 2; ++i) {
      b.push_back(other.make_block({}, 5));
      other.add(b.back());
    }
    for (const Block& blk : b) h.add(blk);
  }
};

TEST(ChainInvalidate, InvalidatingAnActiveBlockMovesToTheBestValidBranchAndBack) {
  TwoBranches t;
  ChainHarness& h = t.h;
  ASSERT_EQ(h.chain->tip().hash, t.a[2].hash());
  auto r = h.chain->invalidate_block(t.a[1].hash());
  ASSERT_TRUE(r) << r.error().message;
  // a2, a3 are out; b2 (height 2) has more work than a1 (height 1).
  EXPECT_EQ(h.chain->tip().hash, t.b[1].hash());
  EXPECT_EQ(r->disconnected.size(), 3u);  // a3, a2, then a1 for the reorg to b
  EXPECT_EQ(r->connected.size(), 2u);
  EXPECT_TRUE(r->invalidated.empty()) << "a manual mark is not a rule failure";
  EXPECT_EQ(r->disconnected_txs.size(), 1u);
  EXPECT_EQ(h.account(2).balance, kInitialBalance);
  EXPECT_TRUE(h.chain->find(t.a[1].hash())->status & kStatusFailed);
  EXPECT_TRUE(h.chain->find(t.a[2].hash())->status & kStatusFailedChild);
  EXPECT_FALSE(h.chain->find(t.a[0].hash())->failed());
  EXPECT_EQ(h.chain->best_header().hash, t.b[1].hash());

  // The same block again: already marked, nothing moves.
  auto again = h.chain->invalidate_block(t.a[1].hash());
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->tip_changed());

  auto back = h.chain->reconsider_block(t.a[2].hash());  // a descendant clears its ancestors too
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(h.chain->tip().hash, t.a[2].hash());
  EXPECT_EQ(back->reorg_depth(), 2u);
  EXPECT_FALSE(h.chain->find(t.a[1].hash())->failed());
  EXPECT_EQ(h.account(2).balance, kInitialBalance + 100);
}

TEST(ChainInvalidate, InvalidatingTheTipFallsBackToItsParentWhenNoForkIsBetter) {
  ChainHarness h;
  const Block a1 = h.make_block({});
  h.add(a1);
  const Block a2 = h.make_block({});
  h.add(a2);
  auto r = h.chain->invalidate_block(a2.hash());
  ASSERT_TRUE(r);
  EXPECT_EQ(h.chain->tip().hash, a1.hash());
  EXPECT_EQ(r->reorg_depth(), 1u);
  // The invalid block is refused when it comes again, and a new block on a1 is fine.
  auto dup = h.chain->accept_block(a2, h.now());
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().kind, ChainError::Kind::kInvalid);
  const Block a2b = h.make_block({}, 3);
  h.add(a2b);
  EXPECT_EQ(h.chain->tip().hash, a2b.hash());
  // Reconsidering a2: equal work with a2b, and ties go to the block stored first: a2.
  auto back = h.chain->reconsider_block(a2.hash());
  ASSERT_TRUE(back);
  EXPECT_EQ(h.chain->tip().hash, a2.hash());
}

TEST(ChainInvalidate, InvalidatingAStaleBranchLeavesTheTipAlone) {
  TwoBranches t;
  auto r = t.h.chain->invalidate_block(t.b[0].hash());
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->tip_changed());
  EXPECT_EQ(t.h.chain->tip().hash, t.a[2].hash());
  EXPECT_TRUE(t.h.chain->find(t.b[1].hash())->failed());
}

TEST(ChainInvalidate, UnknownBlockAndGenesisAreErrors) {
  ChainHarness h;
  auto unknown = h.chain->invalidate_block(BlockHash{});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ChainError::Kind::kUnknownBlock);
  auto unknown2 = h.chain->reconsider_block(BlockHash{});
  ASSERT_FALSE(unknown2);
  EXPECT_EQ(unknown2.error().kind, ChainError::Kind::kUnknownBlock);
  auto genesis = h.chain->invalidate_block(h.spec.genesis_hash());
  ASSERT_FALSE(genesis);
  EXPECT_EQ(genesis.error().kind, ChainError::Kind::kRefused);
  auto reconsider_genesis = h.chain->reconsider_block(h.spec.genesis_hash());
  EXPECT_TRUE(reconsider_genesis) << "nothing to clear is fine";
}

TEST(ChainInvalidate, MarksSurviveReopeningTheStore) {
  TwoBranches t;
  ASSERT_TRUE(t.h.chain->invalidate_block(t.a[1].hash()));
  t.h.chain.reset();
  auto reopened = Chain::open(t.h.spec, *t.h.store, {});
  ASSERT_TRUE(reopened) << reopened.error().message;
  EXPECT_EQ((*reopened)->tip().hash, t.b[1].hash());
  EXPECT_TRUE((*reopened)->find(t.a[2].hash())->failed());
  ASSERT_TRUE((*reopened)->reconsider_block(t.a[1].hash()));
  EXPECT_EQ((*reopened)->tip().hash, t.a[2].hash());
}

}  // namespace
}  // namespace tally::ledger
