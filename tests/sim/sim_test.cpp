// tally-sim's engine (sim/simulator.h): seeded multi-node runs of the real cores. Each test
// prints its seed (TALLY_SEED reproduces it).
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <queue>
#include <sstream>

#include "sim/summary.h"
#include "support/seed.h"
#include "support/temp_dir.h"

namespace tally::sim {
namespace {

SimConfig small_config(std::size_t nodes, std::uint64_t seed) {
  SimConfig c;
  c.nodes = nodes;
  c.seed = seed;
  c.duration_ms = 120'000;
  c.block_interval_s = 10;
  c.network = NetworkModel::constant(40, 20'000'000);
  c.network.jitter_ms = 5;
  c.personas.assign(nodes, Persona{});
  for (std::size_t i = 0; i < nodes; i += 3) c.personas[i].mining = true;
  c.topology.kind = TopologyKind::kDiscovery;
  c.topology.seeds = std::min<std::size_t>(3, nodes);
  return c;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every output file but sim.json's cost.
std::map<std::string, std::string> outputs(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::string text = read_all(e.path());
    if (e.path().filename() == "sim.json") text = text.substr(0, text.find("\"cost\""));
    out[std::filesystem::relative(e.path(), dir).string()] = std::move(text);
  }
  return out;
}

std::map<std::string, std::string> run_to_dir(SimConfig config, const std::filesystem::path& dir) {
  auto sim = Simulator::create(std::move(config), dir);
  EXPECT_TRUE(sim) << (sim ? "" : sim.error());
  if (!sim) return {};
  (*sim)->run();
  EXPECT_TRUE((*sim)->finish(summary_json(**sim, RunCost{})));
  return outputs(dir);
}

// Mining stops everywhere; true when every online node then agrees on one tip and one state
// hash within a simulated minute. Two blocks of equal work found at once split the nodes
// until a next block: each keeps the one it saw first, as Bitcoin's do. So when the nodes
// still disagree, one more block is mined at the first online node, as the next block of a
// live network would be, and the network gets another minute (at most three such blocks).
bool settles(Simulator& sim) {
  for (std::size_t i = 0; i < sim.size(); ++i) sim.stop_mining(i);
  const auto agree = [&] { return sim.tips_agree() && sim.states_agree(); };
  for (int tie_breaks = 0; tie_breaks <= 3; ++tie_breaks) {
    if (sim.run_until(agree, 60'000)) return true;
    for (std::size_t i = 0; i < sim.size(); ++i)
      if (sim.node(i).online) {
        sim.mine(i);
        break;
      }
  }
  return false;
}

// Breadth-first reachability over the overlay.
bool connected(std::size_t nodes, const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  std::vector<std::vector<std::size_t>> adj(nodes);
  for (auto [a, b] : edges) {
    adj[a].push_back(b);
    adj[b].push_back(a);
  }
  std::vector<bool> seen(nodes, false);
  std::queue<std::size_t> q;
  q.push(0);
  seen[0] = true;
  std::size_t count = 1;
  while (!q.empty()) {
    const auto v = q.front();
    q.pop();
    for (auto w : adj[v])
      if (!seen[w]) {
        seen[w] = true;
        ++count;
        q.push(w);
      }
  }
  return count == nodes;
}

TEST(Sim, SameSeedSameBytesOtherSeedOtherRun) {
  const auto seed_or = support::test_seed();
  ASSERT_TRUE(seed_or) << seed_or.error();
  SCOPED_TRACE(seed_or->trace);
  const std::uint64_t seed = seed_or->value;
  support::TempDir a("sim-a"), b("sim-b"), c("sim-c");
  SimConfig config = small_config(12, seed);
  config.load.tps = 2;
  config.load.senders = 4;
  const auto first = run_to_dir(config, a.path());
  const auto second = run_to_dir(config, b.path());
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(first.size(), second.size());
  for (const auto& [file, text] : first) {
    ASSERT_TRUE(second.contains(file)) << file;
    EXPECT_TRUE(text == second.at(file)) << file << " differs between two runs of one seed";
  }
  config.seed = seed + 1;
  const auto third = run_to_dir(config, c.path());
  EXPECT_NE(first.at("devnet.json") + first.at("node0/events.jsonl"), third.at("devnet.json") + third.at("node0/events.jsonl"));
  EXPECT_TRUE(first.contains("control.jsonl"));
}

// The lanes (sim/simulator.h) must not show in the output: one queue, and one, two and three
// threads running windows over 16, 32 or 7 lanes give the same bytes, on a run with every
// kind of cross-node event (dials and refusals, frames with jitter and loss, closes, churn
// with and without state, a partition and its heal, mining and load).
TEST(Sim, ThreadsDoNotChangeTheOutput) {
  const auto seed_or = support::test_seed();
  ASSERT_TRUE(seed_or) << seed_or.error();
  SCOPED_TRACE(seed_or->trace);
  SimConfig config = small_config(40, seed_or->value);
  config.network = NetworkModel::bitcoin_2019();
  config.network.jitter_ms = 20;
  config.network.loss_percent = 1;
  config.load.tps = 3;
  config.load.senders = 8;
  config.personas[7].offline.push_back(OfflineWindow{.from_ms = 30'000, .to_ms = 60'000, .keep_state = true});
  config.personas[8].offline.push_back(OfflineWindow{.from_ms = 40'000, .to_ms = 70'000, .keep_state = false});
  std::vector<std::size_t> half;
  for (std::size_t i = 0; i < 20; ++i) half.push_back(i);
  TimedAction split, heal, stop;
  split.at_ms = 50'000;
  split.kind = ActionKind::kPartition;
  split.groups = {half};
  heal.at_ms = 90'000;
  heal.kind = ActionKind::kHeal;
  stop.at_ms = 95'000;
  stop.kind = ActionKind::kStop;
  stop.node = 9;
  config.actions = {split, heal, stop};
  std::map<std::string, std::string> first;
  const std::pair<std::size_t, std::size_t> runs[] = {{1, 1}, {1, 0}, {2, 0}, {3, 7}};  // threads, lanes
  for (const auto& [threads, lanes] : runs) {
    SCOPED_TRACE("threads " + std::to_string(threads) + ", lanes " + std::to_string(lanes));
    support::TempDir dir("sim-threads");
    config.threads = threads;
    config.lanes = lanes;
    auto sim = Simulator::create(config, dir.path());
    ASSERT_TRUE(sim) << sim.error();
    EXPECT_EQ((*sim)->lanes(), lanes ? lanes : 16 * threads);
    EXPECT_EQ((*sim)->lookahead_us(), 11'000);
    (*sim)->run();
    ASSERT_TRUE((*sim)->finish(summary_json(**sim, RunCost{})));
    EXPECT_GT((*sim)->stats().blocks_mined, 3u);
    EXPECT_GT((*sim)->stats().txs_accepted, 100u);
    const auto out = outputs(dir.path());
    if (first.empty()) {
      first = out;
      EXPECT_NE(first.at("control.jsonl").find("partition"), std::string::npos);
      continue;
    }
    ASSERT_EQ(first.size(), out.size());
    for (const auto& [file, text] : first) {
      ASSERT_TRUE(out.contains(file)) << file;
      EXPECT_TRUE(text == out.at(file)) << file << " differs from the one-queue run";
    }
  }
}

// With zero latency a node may answer another at once: such a network runs in one lane.
TEST(Sim, ZeroLatencyRunsInOneLane) {
  SimConfig config = small_config(6, 1);
  config.network = NetworkModel::constant(0, 0);
  config.threads = 2;
  auto sim = Simulator::create(config);
  ASSERT_TRUE(sim) << sim.error();
  EXPECT_EQ((*sim)->lanes(), 1u);
  (*sim)->run_for(30'000);
  EXPECT_TRUE(settles(**sim));
}

TEST(Sim, TwoHundredNodesDiscoverAConnectedOverlayAndAgree) {
  const auto seed_or = support::test_seed();
  ASSERT_TRUE(seed_or) << seed_or.error();
  SCOPED_TRACE(seed_or->trace);
  const std::uint64_t seed = seed_or->value;
  SimConfig config = small_config(200, seed);
  config.duration_ms = 300'000;
  config.topology.seeds = 4;
  for (std::size_t i = 0; i < 4; ++i) config.personas[i].max_inbound = 400;  // seeds are hubs
  auto sim = Simulator::create(config);
  ASSERT_TRUE(sim) << sim.error();
  (*sim)->run(240'000);
  for (std::size_t i = 0; i < (*sim)->size(); ++i) EXPECT_GE((*sim)->outbound_count(i), 1u) << "node" << i;
  EXPECT_TRUE(connected((*sim)->size(), (*sim)->overlay()));
  // Mining stops (no more miners), then the network settles on one tip and one state.
  ASSERT_TRUE(settles(**sim));
  EXPECT_GT((*sim)->node(0).chain->height(), 5u);
}

TEST(Sim, ChurnedNodesComeBackAndCatchUp) {
  const auto seed_or = support::test_seed();
  ASSERT_TRUE(seed_or) << seed_or.error();
  SCOPED_TRACE(seed_or->trace);
  const std::uint64_t seed = seed_or->value;
  SimConfig config = small_config(16, seed);
  config.duration_ms = 400'000;
  config.personas[5].offline = {OfflineWindow{30'000, 150'000, /*keep_state=*/true}};
  config.personas[7].offline = {OfflineWindow{40'000, 160'000, /*keep_state=*/false}};
  auto sim = Simulator::create(config);
  ASSERT_TRUE(sim) << sim.error();
  (*sim)->run(100'000);
  EXPECT_FALSE((*sim)->node(5).online);
  EXPECT_FALSE((*sim)->node(7).online);
  (*sim)->run(360'000);
  EXPECT_TRUE((*sim)->node(5).online);
  EXPECT_TRUE((*sim)->node(7).online);
  ASSERT_TRUE(settles(**sim));
  EXPECT_EQ((*sim)->node(7).chain->tip().hash, (*sim)->node(0).chain->tip().hash);
}

TEST(Sim, PartitionAndHealReorganizeTheLosingSide) {
  const auto seed_or = support::test_seed();
  ASSERT_TRUE(seed_or) << seed_or.error();
  SCOPED_TRACE(seed_or->trace);
  const std::uint64_t seed = seed_or->value;
  support::TempDir dir("sim-partition");
  SimConfig config = small_config(10, seed);
  config.duration_ms = 400'000;
  config.topology.kind = TopologyKind::kRandom;
  config.topology.degree = 3;
  config.personas.assign(10, Persona{});
  config.personas[0].mining = true;
  config.personas[9].mining = true;
  TimedAction cut, heal;
  cut.at_ms = 20'000;
  cut.kind = ActionKind::kPartition;
  cut.groups = {{0, 1, 2, 3, 4}};
  heal.at_ms = 200'000;
  heal.kind = ActionKind::kHeal;
  config.actions = {cut, heal};
  auto sim = Simulator::create(config, dir.path());
  ASSERT_TRUE(sim) << sim.error();
  (*sim)->run(190'000);
  EXPECT_NE((*sim)->node(0).chain->tip().hash, (*sim)->node(9).chain->tip().hash) << "both sides mined apart";
  (*sim)->run(400'000);
  ASSERT_TRUE(settles(**sim));
  ASSERT_TRUE((*sim)->finish(summary_json(**sim, RunCost{})));
  std::size_t reorgs = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    const std::string log = read_all(dir.path() / ("node" + std::to_string(i)) / "events.jsonl");
    for (std::size_t at = log.find("\"reorg\""); at != std::string::npos; at = log.find("\"reorg\"", at + 1)) ++reorgs;
  }
  EXPECT_GE(reorgs, 1u);
  const std::string control = read_all(dir.path() / "control.jsonl");
  EXPECT_NE(control.find("\"partition\""), std::string::npos);
  EXPECT_NE(control.find("\"heal\""), std::string::npos);
}

TEST(Sim, BadConfigsAreRefusedNamingTheProblem) {
  SimConfig c = small_config(4, 1);
  TimedAction stop;
  stop.at_ms = 1000;
  stop.kind = ActionKind::kStop;
  stop.node = 9;
  c.actions = {stop};
  auto sim = Simulator::create(c);
  ASSERT_FALSE(sim);
  EXPECT_EQ(sim.error(), "events[0]: node 9 does not exist (4 nodes)");
  c = small_config(4, 1);
  c.personas[2].offline = {OfflineWindow{5000, 1000, true}};
  sim = Simulator::create(c);
  ASSERT_FALSE(sim);
  EXPECT_EQ(sim.error(), "personas[2]: an offline window must have 0 <= from < to");
  c = small_config(4, 1);
  c.network.latency_ms = {{1, 2}};
  EXPECT_EQ(Simulator::create(c).error(), "network: the latency matrix must have one column per region");
  c = small_config(4, 1);
  c.threads = 0;
  EXPECT_EQ(Simulator::create(c).error(), "threads must be within 1..256");
  c = small_config(4, 1);
  c.lanes = 5000;
  EXPECT_EQ(Simulator::create(c).error(), "lanes must be within 0..4096");
}

}  // namespace
}  // namespace tally::sim
