// Multi-node protocol tests on the simulator's engine (sim/simulator.h): the real cores of
// many nodes on a virtual network, deterministic for a seed (printed on failure; rerun with
// TALLY_SEED=<seed>). Blocks are mined by hand (no Poisson miners) at chosen nodes.
#include <gtest/gtest.h>

#include "sim/simulator.h"
#include "support/seed.h"

namespace tally::sim {
namespace {

constexpr std::int64_t kSecond = 1000;

SimConfig hand_mined(std::size_t nodes, std::uint64_t seed, double latency_ms, double jitter_ms, TopologyKind topology) {
  SimConfig c;
  c.nodes = nodes;
  c.seed = seed;
  c.duration_ms = 24LL * 3600 * 1000;
  c.network = NetworkModel::constant(latency_ms, 0);
  c.network.jitter_ms = jitter_ms;
  c.personas.assign(nodes, Persona{});
  c.topology.kind = topology;
  c.topology.degree = 3;
  c.load.senders = 8;  // funded keys for hand-made transfers
  c.genesis_bits = 0x207fffff;  // blocks mined by hand, faster than the interval: keep them cheap
  c.asert_half_life_s = 30 * 24 * 3600;
  return c;
}

std::unique_ptr<Simulator> make(const SimConfig& c) {
  auto sim = Simulator::create(c);
  EXPECT_TRUE(sim) << (sim ? "" : sim.error());
  return sim ? std::move(*sim) : nullptr;
}

void mine_rounds(Simulator& net, const std::vector<std::size_t>& miners, int rounds, std::int64_t gap_ms) {
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t m : miners) EXPECT_TRUE(net.mine(m));
    net.run_for(gap_ms);
  }
}

#define TALLY_SEEDED()                           \
  const auto seed_or = support::test_seed();     \
  ASSERT_TRUE(seed_or) << seed_or.error();       \
  SCOPED_TRACE(seed_or->trace);                  \
  const std::uint64_t seed = seed_or->value

class Topology : public ::testing::TestWithParam<TopologyKind> {};

TEST_P(Topology, ConvergesOnOneTipAndStateHash) {
  TALLY_SEEDED();
  auto net = make(hand_mined(10, seed, 20, 10, GetParam()));
  ASSERT_TRUE(net);
  net->run_for(3 * kSecond);
  // Three miners at different places, some blocks found at nearly the same time (forks).
  mine_rounds(*net, {0, 4, 9}, 5, 3 * kSecond);
  // Blocks found at the same moment leave equal-work tips; the next block decides.
  net->run_for(5 * kSecond);
  net->mine(5);
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 60 * kSecond));
  EXPECT_TRUE(net->states_agree());
  EXPECT_GE(net->node(0).chain->height(), 5u);
  for (std::size_t i = 0; i < net->size(); ++i) EXPECT_EQ(net->node(i).core->fatal_error(), std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(NetSim, Topology, ::testing::Values(TopologyKind::kLine, TopologyKind::kRing, TopologyKind::kRandom));

TEST(NetSim, PartitionedHalvesReorgToTheMostWorkBranchWhenHealed) {
  TALLY_SEEDED();
  auto net = make(hand_mined(10, seed, 15, 5, TopologyKind::kRing));
  ASSERT_TRUE(net);
  net->run_for(3 * kSecond);
  net->mine(0);
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 30 * kSecond));

  net->partition({{0, 1, 2, 3, 4}});
  // The left half mines 6 blocks, the right half 3: the left branch has more work.
  mine_rounds(*net, {0}, 6, 2 * kSecond);
  mine_rounds(*net, {7}, 3, 2 * kSecond);
  net->run_for(5 * kSecond);
  EXPECT_NE(net->node(0).chain->tip().hash, net->node(7).chain->tip().hash);
  const auto left_tip = net->node(0).chain->tip().hash;

  net->heal();
  // The fixed peers reconnect; the handshake's getheaders carries each branch across.
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 120 * kSecond));
  EXPECT_TRUE(net->states_agree());
  EXPECT_EQ(net->node(7).chain->tip().hash, left_tip);
  for (std::size_t i = 5; i < 10; ++i) EXPECT_GE(net->node(i).reorgs, 1u) << "node " << i;
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(net->node(i).reorgs, 0u) << "node " << i;
  // The losing branch stays stored on the winners too (stale blocks are kept).
  EXPECT_GE(net->node(0).chain->block_count(), net->node(0).chain->height() + 1 + 3);
}

TEST(NetSim, LateJoinerSyncsFiveHundredBlocks) {
  TALLY_SEEDED();
  SimConfig c = hand_mined(4, seed, 10, 2, TopologyKind::kNone);
  c.personas[3].offline = {OfflineWindow{0, 600 * kSecond, /*keep_state=*/true}};
  auto net = make(c);
  ASSERT_TRUE(net);
  net->run_for(1);
  net->connect(1, 0);
  net->connect(2, 1);
  net->run_for(kSecond);
  for (int i = 0; i < 500; ++i) {
    net->mine(static_cast<std::size_t>(i % 3));
    net->run_for(kSecond);
  }
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 30 * kSecond));
  ASSERT_EQ(net->node(0).chain->height(), 500u);
  net->start_node(3, /*keep_state=*/true);
  net->connect(3, 1);
  net->connect(3, 2);
  ASSERT_TRUE(net->run_until([&] { return net->node(3).chain->height() == 500u; }, 120 * kSecond))
      << "late joiner at height " << net->node(3).chain->height();
  EXPECT_EQ(net->node(3).chain->state_hash(), net->node(0).chain->state_hash());
  // It follows the tip afterwards.
  net->mine(0);
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 30 * kSecond));
}

TEST(NetSim, TransactionReachesEveryMempoolAndIsMinedOnce) {
  TALLY_SEEDED();
  SimConfig c = hand_mined(10, seed, 20, 10, TopologyKind::kRandom);
  c.network.loss_percent = 5;
  auto net = make(c);
  ASSERT_TRUE(net);
  net->run_for(3 * kSecond);
  const auto to = crypto::address_of(sim_sender_key(5).public_key());
  const auto tx = ledger::make_transfer(sim_sender_key(3), net->spec().chain_id, to, 12345, 5000, 0);
  ASSERT_TRUE(net->submit_transaction(2, tx));
  const auto txid = tx.txid();
  ASSERT_TRUE(net->run_until(
      [&] {
        for (std::size_t i = 0; i < net->size(); ++i)
          if (!net->node(i).mempool->contains(txid)) return false;
        return true;
      },
      30 * kSecond));
  net->mine(8);
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 30 * kSecond));
  mine_rounds(*net, {1}, 2, 2 * kSecond);
  ASSERT_TRUE(net->run_until([&] { return net->tips_agree(); }, 30 * kSecond));
  // Mined exactly once, and gone from every mempool.
  int inclusions = 0;
  const auto& chain = *net->node(0).chain;
  for (std::uint32_t h = 1; h <= chain.height(); ++h) {
    auto b = chain.read_block(chain.at_height(h)->hash);
    for (const auto& t : (*b)->txs) inclusions += t.txid() == txid ? 1 : 0;
  }
  EXPECT_EQ(inclusions, 1);
  for (std::size_t i = 0; i < net->size(); ++i) EXPECT_FALSE(net->node(i).mempool->contains(txid));
  const auto genesis_balance = net->spec().accounts[5].balance;
  EXPECT_EQ(chain.account(to)->balance, genesis_balance + 12345);
}

}  // namespace
}  // namespace tally::sim
