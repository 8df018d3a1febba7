// Multi-node tests: many NetCores on a virtual network (sim_network.h), deterministic for
// a seed (printed on failure; rerun with TALLY_SEED=<seed>).
#include <gtest/gtest.h>

#include "sim_network.h"

namespace tally::p2p {
namespace {

using testing::SimNetwork;
using testing::SimOptions;

constexpr std::int64_t kSecond = 1000;

void mine_rounds(SimNetwork& net, const std::vector<std::size_t>& miners, int rounds, std::int64_t gap_ms) {
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t m : miners) net.mine(m);
    net.run_for(gap_ms);
  }
}

class Topology : public ::testing::TestWithParam<std::string> {};

TEST_P(Topology, ConvergesOnOneTipAndStateHash) {
  const std::uint64_t seed = testing::testing_seed();
  SCOPED_TRACE("TALLY_SEED=" + std::to_string(seed));
  SimNetwork net({.nodes = 10, .seed = seed, .latency_ms = 20, .jitter_ms = 10});
  if (GetParam() == "line") net.connect_line();
  if (GetParam() == "ring") net.connect_ring();
  if (GetParam() == "random") net.connect_random(3);
  net.run_for(2 * kSecond);
  // Three miners at different places, some blocks found at nearly the same time (forks).
  mine_rounds(net, {0, 4, 9}, 5, 3 * kSecond);
  // Blocks found at the same moment leave equal-work tips; the next block decides.
  net.run_for(5 * kSecond);
  net.mine(5);
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 60 * kSecond));
  EXPECT_TRUE(net.states_agree());
  EXPECT_GE(net.node(0).chain().height(), 5u);
  for (std::size_t i = 0; i < net.size(); ++i) EXPECT_EQ(net.node(i).core->fatal_error(), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(NetSim, Topology, ::testing::Values("line", "ring", "random"));

TEST(NetSim, PartitionedHalvesReorgToTheMostWorkBranchWhenHealed) {
  const std::uint64_t seed = testing::testing_seed();
  SCOPED_TRACE("TALLY_SEED=" + std::to_string(seed));
  SimNetwork net({.nodes = 10, .seed = seed, .latency_ms = 15, .jitter_ms = 5});
  net.connect_ring();
  net.run_for(2 * kSecond);
  net.mine(0);
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 30 * kSecond));

  net.partition({0, 1, 2, 3, 4});
  // The left half mines 6 blocks, the right half 3: the left branch has more work.
  mine_rounds(net, {0}, 6, 2 * kSecond);
  mine_rounds(net, {7}, 3, 2 * kSecond);
  net.run_for(5 * kSecond);
  EXPECT_NE(net.node(0).chain().tip().hash, net.node(7).chain().tip().hash);
  const auto left_tip = net.node(0).chain().tip().hash;

  net.heal();
  // The cut links come back; the handshake's getheaders carries each branch across.
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 120 * kSecond));
  EXPECT_TRUE(net.states_agree());
  EXPECT_EQ(net.node(7).chain().tip().hash, left_tip);
  for (std::size_t i = 5; i < 10; ++i) EXPECT_GE(net.reorgs(i), 1u) << "node " << i;
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(net.reorgs(i), 0u) << "node " << i;
  // The losing branch stays stored on the winners too (stale blocks are kept).
  EXPECT_GE(net.node(0).chain().block_count(), net.node(0).chain().height() + 1 + 3);
}

TEST(NetSim, LateJoinerSyncsFiveHundredBlocks) {
  const std::uint64_t seed = testing::testing_seed();
  SCOPED_TRACE("TALLY_SEED=" + std::to_string(seed));
  SimNetwork net({.nodes = 3, .seed = seed, .latency_ms = 10, .jitter_ms = 2});
  net.connect_line();
  for (int i = 0; i < 500; ++i) {
    net.mine(i % 3);
    net.run_for(kSecond);
  }
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 30 * kSecond));
  ASSERT_EQ(net.node(0).chain().height(), 500u);
  const std::size_t late = net.add_node();
  net.connect(late, 1);
  net.connect(late, 2);
  ASSERT_TRUE(net.run_until([&] { return net.node(late).chain().height() == 500u; }, 120 * kSecond))
      << "late joiner at height " << net.node(late).chain().height();
  EXPECT_EQ(net.node(late).chain().state_hash(), net.node(0).chain().state_hash());
  // It follows the tip afterwards.
  net.mine(0);
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 30 * kSecond));
}

TEST(NetSim, TransactionReachesEveryMempoolAndIsMinedOnce) {
  const std::uint64_t seed = testing::testing_seed();
  SCOPED_TRACE("TALLY_SEED=" + std::to_string(seed));
  SimNetwork net({.nodes = 10, .seed = seed, .latency_ms = 20, .jitter_ms = 10, .loss_percent = 5});
  net.connect_random(3);
  net.run_for(2 * kSecond);
  const auto tx = ledger::make_transfer(ledger::testing::test_key(3), net.node(0).chain().spec().chain_id,
                                        ledger::testing::test_address(5), 12345, 50, 0);
  ASSERT_TRUE(net.node(2).core->submit_transaction(tx, net.now_ms()));
  const auto txid = tx.txid();
  ASSERT_TRUE(net.run_until(
      [&] {
        for (std::size_t i = 0; i < net.size(); ++i)
          if (!net.node(i).mempool.contains(txid)) return false;
        return true;
      },
      30 * kSecond));
  net.mine(8);
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 30 * kSecond));
  mine_rounds(net, {1}, 2, 2 * kSecond);
  ASSERT_TRUE(net.run_until([&] { return net.tips_agree(); }, 30 * kSecond));
  // Mined exactly once, and gone from every mempool.
  int inclusions = 0;
  auto& chain = net.node(0).chain();
  for (std::uint32_t h = 1; h <= chain.height(); ++h) {
    auto b = chain.read_block(chain.at_height(h)->hash);
    for (const auto& t : (*b)->txs) inclusions += t.txid() == txid ? 1 : 0;
  }
  EXPECT_EQ(inclusions, 1);
  for (std::size_t i = 0; i < net.size(); ++i) EXPECT_FALSE(net.node(i).mempool.contains(txid));
  EXPECT_EQ(*chain.account(ledger::testing::test_address(5)), (ledger::Account{ledger::testing::kInitialBalance + 12345, 0}));
}

}  // namespace
}  // namespace tally::p2p
