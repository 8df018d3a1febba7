// tally-devnet library units: topology edge sets, miner placement, node lists, the command
// line and the devnet.json round trip. No processes.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "devnet/layout.h"
#include "devnet/options.h"
#include "devnet/topology.h"

namespace tally::devnet {
namespace {

std::vector<Edge> edges_of(std::size_t n, const std::string& topology, std::uint64_t seed = 1) {
  auto t = parse_topology(topology);
  EXPECT_TRUE(t.has_value()) << topology;
  return make_edges(n, *t, seed);
}

std::vector<std::size_t> degrees(std::size_t n, const std::vector<Edge>& edges) {
  std::vector<std::size_t> d(n, 0);
  for (const auto& [a, b] : edges) {
    ++d[a];
    ++d[b];
  }
  return d;
}

TEST(DevnetTopology, ParsesNames) {
  EXPECT_EQ(parse_topology("line")->kind, Topology::Kind::kLine);
  EXPECT_EQ(parse_topology("ring")->kind, Topology::Kind::kRing);
  EXPECT_EQ(parse_topology("star")->kind, Topology::Kind::kStar);
  EXPECT_EQ(parse_topology("mesh")->kind, Topology::Kind::kMesh);
  auto r = parse_topology("random:3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, Topology::Kind::kRandom);
  EXPECT_EQ(r->degree, 3u);
  EXPECT_EQ(to_string(*r), "random:3");
  for (const char* bad : {"", "tree", "random", "random:", "random:0", "random:x", "random:2x", "Ring"})
    EXPECT_FALSE(parse_topology(bad)) << bad;
}

TEST(DevnetTopology, LineRingStarMesh) {
  EXPECT_EQ(edges_of(5, "line"), (std::vector<Edge>{{1, 0}, {2, 1}, {3, 2}, {4, 3}}));
  EXPECT_EQ(edges_of(5, "ring"), (std::vector<Edge>{{1, 0}, {2, 1}, {3, 2}, {4, 0}, {4, 3}}));
  EXPECT_EQ(edges_of(2, "ring"), (std::vector<Edge>{{1, 0}}));  // no double link between two nodes
  EXPECT_EQ(edges_of(4, "star"), (std::vector<Edge>{{1, 0}, {2, 0}, {3, 0}}));
  EXPECT_EQ(edges_of(4, "mesh"), (std::vector<Edge>{{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}}));
  for (const char* t : {"line", "ring", "star", "mesh", "random:2"}) {
    EXPECT_TRUE(edges_of(1, t).empty()) << t;
    EXPECT_TRUE(is_connected(7, edges_of(7, t))) << t;
    for (const auto& [a, b] : edges_of(7, t)) EXPECT_GT(a, b) << t;  // the dialer is the larger index
  }
}

TEST(DevnetTopology, RandomIsConnectedWithMinimumDegreeAndSeeded) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    for (std::size_t n : {2u, 3u, 5u, 10u, 17u}) {
      for (std::size_t k : {1u, 2u, 3u, 8u}) {
        const auto edges = edges_of(n, "random:" + std::to_string(k), seed);
        SCOPED_TRACE("seed " + std::to_string(seed) + " n " + std::to_string(n) + " k " + std::to_string(k));
        ASSERT_TRUE(is_connected(n, edges));
        for (std::size_t d : degrees(n, edges)) EXPECT_GE(d, std::min(k, n - 1));
        std::set<Edge> unique(edges.begin(), edges.end());
        EXPECT_EQ(unique.size(), edges.size());
        for (const auto& [a, b] : edges) {
          EXPECT_GT(a, b);
          EXPECT_LT(a, n);
        }
      }
    }
  }
  EXPECT_EQ(edges_of(10, "random:2", 42), edges_of(10, "random:2", 42));
  EXPECT_NE(edges_of(10, "random:2", 42), edges_of(10, "random:2", 43));
}

TEST(DevnetTopology, ConnectivityCheck) {
  EXPECT_TRUE(is_connected(1, {}));
  EXPECT_FALSE(is_connected(2, {}));
  EXPECT_FALSE(is_connected(4, {{1, 0}, {3, 2}}));
  EXPECT_TRUE(is_connected(4, {{1, 0}, {3, 2}, {2, 1}}));
}

TEST(DevnetTopology, MinersSpreadAndDialTargets) {
  EXPECT_EQ(spread_miners(5, 2), (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(spread_miners(4, 2), (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(spread_miners(6, 3), (std::vector<std::size_t>{0, 2, 4}));
  EXPECT_EQ(spread_miners(3, 3), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_TRUE(spread_miners(3, 0).empty());
  const auto ring = edges_of(4, "ring");
  EXPECT_TRUE(dial_targets(0, ring).empty());
  EXPECT_EQ(dial_targets(3, ring), (std::vector<std::size_t>{0, 2}));
}

TEST(DevnetOptions, NodeSets) {
  EXPECT_EQ(*parse_node_set("3"), (std::vector<std::size_t>{3}));
  EXPECT_EQ(*parse_node_set("0-2"), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(*parse_node_set("4,0-1,1"), (std::vector<std::size_t>{0, 1, 4}));
  EXPECT_EQ(*parse_node_set("5-9,0-6,8,2-3,12"), (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12}));
  // Overlapping ranges are merged before they are expanded: forty copies of the largest
  // range cost one range, not four million entries to sort.
  std::string many = "0-99999";
  for (int i = 0; i < 39; ++i) many += ",0-99999";
  const auto all = parse_node_set(many);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 100000u);
  EXPECT_EQ(all->back(), 99999u);
  for (const char* bad : {"", "-", "a", "1-", "-2", "3-1", "1,,2", "1.5", "0-100000"})
    EXPECT_FALSE(parse_node_set(bad)) << bad;
}

ParsedCommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tally-devnet");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  auto r = parse_command_line(static_cast<int>(argv.size()), argv.data());
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
  return r ? *r : ParsedCommandLine{};
}

bool parse_fails(std::vector<std::string> args) {
  args.insert(args.begin(), "tally-devnet");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return !parse_command_line(static_cast<int>(argv.size()), argv.data()).has_value();
}

TEST(DevnetOptions, UpAndRun) {
  auto p = parse({"up", "--nodes", "5", "--topology", "random:3", "--miners", "2", "--block-time", "5", "--dir",
                  "/tmp/x", "--latency", "50ms", "--jitter", "10ms", "--rate", "10mbit", "--threads-per-miner", "2",
                  "--chain", "spec.json", "--seed", "9"});
  ASSERT_TRUE(p.command);
  const auto& up = std::get<UpCommand>(*p.command);
  EXPECT_FALSE(up.run);
  EXPECT_EQ(up.up.nodes, 5u);
  EXPECT_EQ(up.up.topology, (Topology{Topology::Kind::kRandom, 3}));
  EXPECT_EQ(up.up.miners, 2u);
  EXPECT_EQ(up.up.block_time_s, 5);
  EXPECT_EQ(up.up.dir, "/tmp/x");
  EXPECT_EQ(up.up.latency, "50ms");
  EXPECT_EQ(up.up.rate, "10mbit");
  EXPECT_EQ(up.up.threads_per_miner, 2u);
  EXPECT_EQ(up.up.chain, "spec.json");
  EXPECT_EQ(up.up.seed, 9u);
  EXPECT_FALSE(up.load_tps);

  auto r = parse({"run", "--nodes", "4", "--topology", "ring", "--miners", "2", "--dir", "d", "--load-tps", "2"});
  ASSERT_TRUE(r.command);
  const auto& run = std::get<UpCommand>(*r.command);
  EXPECT_TRUE(run.run);
  EXPECT_EQ(run.load_tps, 2.0);
  EXPECT_FALSE(run.up.block_time_s);

  auto later = parse({"run", "--nodes", "4", "--dir", "d", "--load-tps", "2", "--nodes", "6", "--load-tps", "0"});
  EXPECT_EQ(std::get<UpCommand>(*later.command).up.nodes, 6u);  // the last value wins (scripts/devnet.sh "$@")
  EXPECT_FALSE(std::get<UpCommand>(*later.command).load_tps);

  auto m = parse({"up", "--nodes", "5", "--miner-nodes", "0,4", "--dir", "d"});
  EXPECT_EQ(std::get<UpCommand>(*m.command).up.miner_nodes, (std::vector<std::size_t>{0, 4}));
  EXPECT_EQ(std::get<UpCommand>(*m.command).up.miners, 2u);

  EXPECT_TRUE(parse_fails({"up", "--nodes", "2", "--miners", "3", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"up", "--nodes", "0", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"up", "--topology", "tree", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"up", "--latency", "fast", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"up", "--rate", "10parsecs", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"up", "--nodes", "3", "--miner-nodes", "5", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"up", "--load-tps", "3", "--dir", "d"}));  // run only
  EXPECT_TRUE(parse_fails({}));
  EXPECT_TRUE(parse_fails({"frobnicate"}));
}

TEST(DevnetOptions, OtherSubcommands) {
  auto p = parse({"partition", "0-1", "2,3,4", "--dir", "d"});
  const auto& part = std::get<PartitionCommand>(*p.command);
  EXPECT_EQ(part.groups, (std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3, 4}}));
  EXPECT_EQ(part.dir, "d");
  EXPECT_TRUE(parse_fails({"partition", "--dir", "d"}));
  EXPECT_TRUE(parse_fails({"partition", "0-x"}));

  auto l = parse({"load", "--tps", "25", "--duration", "2m", "--dir", "d"});
  EXPECT_EQ(std::get<LoadCommand>(*l.command).tps, 25.0);
  EXPECT_EQ(std::get<LoadCommand>(*l.command).duration_s, 120.0);
  EXPECT_EQ(std::get<LoadCommand>(*parse({"load", "--duration", "500ms"}).command).duration_s, 0.5);
  EXPECT_TRUE(parse_fails({"load", "--tps", "0"}));
  EXPECT_TRUE(parse_fails({"load", "--duration", "5h"}));

  EXPECT_EQ(std::get<StopCommand>(*parse({"stop", "3", "--dir", "d"}).command).node, 3u);
  EXPECT_EQ(std::get<StartCommand>(*parse({"start", "1"}).command).node, 1u);
  EXPECT_TRUE(std::get<DownCommand>(*parse({"down", "--clean"}).command).clean);
  EXPECT_FALSE(std::get<DownCommand>(*parse({"down"}).command).clean);
  EXPECT_EQ(std::get<StatusCommand>(*parse({"status", "--watch", "2"}).command).watch_s, 2.0);
  EXPECT_FALSE(std::get<StatusCommand>(*parse({"status"}).command).watch_s);
  EXPECT_TRUE(std::holds_alternative<HealCommand>(*parse({"heal"}).command));

  auto help = parse({"up", "--help"});
  EXPECT_FALSE(help.command);
  EXPECT_NE(help.output.find("--topology"), std::string::npos);
}

TEST(DevnetOptions, DefaultDirFollowsEnvironment) {
  ::setenv("TALLY_DEVNET_DIR", "/tmp/devnet-here", 1);
  EXPECT_EQ(default_devnet_dir(), "/tmp/devnet-here");
  EXPECT_EQ(std::get<StatusCommand>(*parse({"status"}).command).dir, "/tmp/devnet-here");
  ::unsetenv("TALLY_DEVNET_DIR");
  EXPECT_EQ(default_devnet_dir().filename(), "devnet");
}

TEST(DevnetLayout, JsonRoundTrip) {
  Layout l;
  l.dir = "/tmp/dn";
  l.tallyd = "/usr/bin/tallyd";
  l.chain = "/tmp/dn/chain.json";
  l.topology = Topology{Topology::Kind::kRandom, 2};
  l.seed = 0xfedcba9876543210ull;
  l.edges = {{1, 0}, {2, 0}};
  l.partition = {{0}, {1, 2}};
  l.created_unix_s = 1700000000;
  l.options = boost::json::object{{"nodes", 3}};
  for (std::size_t i = 0; i < 3; ++i) {
    NodeRecord n;
    n.index = i;
    n.name = "node" + std::to_string(i);
    n.datadir = l.dir / n.name;
    n.p2p_port = static_cast<std::uint16_t>(40000 + i);
    n.rpc_port = static_cast<std::uint16_t>(50000 + i);
    n.pid = 100 + static_cast<int>(i);
    n.mining = i == 0;
    n.args = {"--datadir", n.datadir.string(), "--name", n.name};
    l.nodes.push_back(n);
  }
  const std::string text = pretty_json(to_json(l));
  auto back = layout_from_json(boost::json::parse(text));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->dir, l.dir);
  EXPECT_EQ(back->tallyd, l.tallyd);
  EXPECT_EQ(back->chain, l.chain);
  EXPECT_EQ(back->topology, l.topology);
  EXPECT_EQ(back->seed, l.seed);
  EXPECT_EQ(back->edges, l.edges);
  EXPECT_EQ(back->partition, l.partition);
  EXPECT_EQ(back->created_unix_s, l.created_unix_s);
  ASSERT_EQ(back->nodes.size(), 3u);
  EXPECT_EQ(back->nodes[2].p2p_endpoint(), "127.0.0.1:40002");
  EXPECT_EQ(back->nodes[1].rpc_port, 50001);
  EXPECT_EQ(back->nodes[1].pid, 101);
  EXPECT_TRUE(back->nodes[0].mining);
  EXPECT_EQ(back->nodes[0].args, l.nodes[0].args);
  EXPECT_EQ(pretty_json(to_json(*back)), text);

  EXPECT_FALSE(layout_from_json(boost::json::parse(R"({"version":99})")));
  EXPECT_FALSE(layout_from_json(boost::json::parse("[]")));
}

}  // namespace
}  // namespace tally::devnet
