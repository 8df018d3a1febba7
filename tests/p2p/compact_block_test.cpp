// Compact blocks as values (p2p/compact_block.h): short ids, the compact form of a block, and
// rebuilding a block from prefilled slots, candidates and a blocktxn answer.
#include "p2p/compact_block.h"

#include <gtest/gtest.h>

#include "../ledger/chain_fixture.h"

namespace tally::p2p {
namespace {

ledger::Block sample_block(int n) {
  ledger::Block b;
  b.header.height = 5;
  b.header.time = 1'700'000'100;
  b.header.bits = 0x207fffff;
  for (int i = 0; i < n; ++i)
    b.txs.push_back(ledger::make_transfer(ledger::testing::test_key(i % 8), 7077, ledger::testing::test_address(7),
                                          100 + i, 1, static_cast<std::uint64_t>(i)));
  b.header.tx_root = b.compute_tx_root();
  return b;
}

TEST(CompactBlock, ShortIdsAre48BitsAndDependOnTheKey) {
  const ledger::Block b = sample_block(3);
  const auto k1 = short_id_key(b.header, 1);
  const auto k2 = short_id_key(b.header, 2);
  EXPECT_NE(k1, k2);
  const auto id = short_id(k1, b.txs[1].txid());
  EXPECT_LT(id, 1ULL << 48);
  EXPECT_NE(id, short_id(k2, b.txs[1].txid()));
  EXPECT_NE(id, short_id(k1, b.txs[2].txid()));
}

TEST(CompactBlock, CompactFormPrefillsTheCoinbaseOnly) {
  const ledger::Block b = sample_block(5);
  const CmpctBlockMsg m = make_compact_block(b, 9);
  ASSERT_EQ(m.prefilled.size(), 1u);
  EXPECT_EQ(m.prefilled[0].index, 0u);
  EXPECT_EQ(m.prefilled[0].tx, b.txs[0]);
  ASSERT_EQ(m.short_ids.size(), 4u);
  EXPECT_EQ(m.short_ids[3], short_id(short_id_key(b.header, 9), b.txs[4].txid()));
}

TEST(CompactBlock, RebuildsFromCandidatesThenFromAnAnswer) {
  const ledger::Block b = sample_block(6);
  auto partial = PartialBlock::start(make_compact_block(b, 3));
  ASSERT_TRUE(partial.has_value()) << to_string(partial.error());
  for (int i : {2, 4}) partial->offer(b.txs[i].txid(), b.txs[i]);
  const ledger::Block other = sample_block(7);  // a transaction the block does not hold
  partial->offer(other.txs[6].txid(), other.txs[6]);
  EXPECT_FALSE(partial->complete());
  EXPECT_EQ(partial->from_pool_count(), 2u);
  EXPECT_EQ(partial->missing(), (std::vector<std::uint32_t>{1, 3, 5}));
  EXPECT_FALSE(partial->fill({b.txs[1], b.txs[3]}));  // one short: refused, nothing changed
  EXPECT_EQ(partial->missing().size(), 3u);
  ASSERT_TRUE(partial->fill({b.txs[1], b.txs[3], b.txs[5]}));
  ASSERT_TRUE(partial->complete());
  EXPECT_EQ(partial->block(), b);
}

TEST(CompactBlock, TwoCandidatesForOneSlotLeaveItToTheAnswer) {
  const ledger::Block b = sample_block(3);
  CmpctBlockMsg m = make_compact_block(b, 3);
  auto partial = PartialBlock::start(m);
  ASSERT_TRUE(partial.has_value());
  // A different transaction that we pretend has slot 1's short id (a collision in our pool).
  partial->offer(b.txs[1].txid(), b.txs[1]);
  partial->offer(b.txs[1].txid(), b.txs[2]);
  EXPECT_EQ(partial->missing(), (std::vector<std::uint32_t>{1, 2}));
  partial->offer(b.txs[1].txid(), b.txs[1]);  // stays undecided
  EXPECT_EQ(partial->missing(), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(partial->from_pool_count(), 0u);
}

TEST(CompactBlock, RefusesDuplicateShortIdsAndAMissingCoinbase) {
  const ledger::Block b = sample_block(3);
  CmpctBlockMsg dup = make_compact_block(b, 3);
  dup.short_ids[1] = dup.short_ids[0];
  EXPECT_STREQ(to_string(PartialBlock::start(dup).error()), "two transactions share a short id");
  CmpctBlockMsg no_coinbase = make_compact_block(b, 3);
  no_coinbase.prefilled[0].index = 1;
  EXPECT_FALSE(PartialBlock::start(no_coinbase).has_value());
}

}  // namespace
}  // namespace tally::p2p
