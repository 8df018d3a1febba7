// Scenario files: strict parsing (every error names its field), the timeline built from
// events and offline windows, the up options (personas as per-node overrides), the example
// files in scenarios/, and one short real run: 4 tallyd processes with 50 ms latency, a
// partition at 3 s healed at 8 s, 14 s in all, then the report and down.
#include <gtest/gtest.h>

#include <set>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "base/files.h"
#include "fast_chain.h"
#include "devnet/devnet.h"
#include "devnet/scenario.h"
#include "ledger/embedded_spec.h"
#include "support/temp_dir.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// A valid scenario with `extra` fields merged in (null removes a field).
std::string with(const std::string& extra_json) {
  json::object base{{"nodes", 4}, {"topology", "line"}, {"duration_s", 30}};
  if (!extra_json.empty()) {
    const json::value extra = json::parse(extra_json);
    for (const auto& kv : extra.as_object()) {
      if (kv.value().is_null()) base.erase(kv.key());
      else base[kv.key()] = kv.value();
    }
  }
  return json::serialize(base);
}

// The parse error of `extra` merged into the valid scenario ("" when it parses).
std::string error_of(const std::string& extra_json) {
  auto s = parse_scenario(with(extra_json));
  return s ? "" : s.error();
}

TEST(ScenarioParse, MinimalAndFull) {
  auto s = parse_scenario(with(""));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->nodes, 4u);
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->duration_s, 30);
  EXPECT_FALSE(s->load_tps);

  auto full = parse_scenario(R"({
    "description": "d", "nodes": 6, "topology": "random:2", "seed": 9, "chain": "spec.json", "block_time_s": 2,
    "miners": 1, "duration_s": 60, "load": {"tps": 2.5},
    "links": {"latency": "50ms", "jitter": "10ms", "rate": "10mbit"},
    "personas": {"0": {"mining": true, "hash_share": 3, "latency": "200ms", "offline": [[5, 10], [20, 60]]},
                 "4": {"mining": false, "rate": "1mbit"}},
    "events": [{"at_s": 20, "do": "partition", "groups": ["0-2", [3, 4]]}, {"at_s": 40, "do": "heal"},
               {"at_s": 45, "do": "stop", "node": 5}, {"at_s": 50, "do": "start", "node": 5}]})",
                             "/base");
  ASSERT_TRUE(full) << full.error();
  EXPECT_EQ(full->chain, std::filesystem::path("/base/spec.json"));
  EXPECT_EQ(full->block_time_s, 2);
  EXPECT_EQ(full->load_tps, 2.5);
  EXPECT_EQ(full->latency, "50ms");
  ASSERT_EQ(full->personas.size(), 2u);
  EXPECT_EQ(full->personas.at(0).hash_share, 3u);
  EXPECT_EQ(full->personas.at(0).offline.size(), 2u);
  ASSERT_EQ(full->events.size(), 4u);
  EXPECT_EQ(full->events[0].groups, (std::vector<std::vector<std::size_t>>{{0, 1, 2}, {3, 4}}));
  EXPECT_EQ(describe(full->events[0]), "partition 0-2 | 3-4");
  EXPECT_EQ(describe(full->events[2]), "stop node5");

  // Persona offline windows become stops and starts (none at the very end), ordered by time.
  const auto t = timeline(*full);
  std::vector<std::string> lines;
  for (const auto& e : t) lines.push_back(std::to_string(static_cast<int>(e.at_s)) + " " + describe(e));
  EXPECT_EQ(lines, (std::vector<std::string>{"5 stop node0", "10 start node0", "20 partition 0-2 | 3-4",
                                             "20 stop node0", "40 heal", "45 stop node5", "50 start node5"}));

  // Personas become per-node overrides; miners: the spread one (node 0) plus persona changes.
  const UpOptions o = up_options(*full, "/tmp/x");
  EXPECT_EQ(o.seed, 9u);
  EXPECT_EQ(o.latency, "50ms");
  ASSERT_EQ(o.node_overrides.size(), 2u);
  EXPECT_EQ(o.node_overrides[0].threads, 3u);
  EXPECT_EQ(o.node_overrides[0].latency, "200ms");
  EXPECT_EQ(o.node_overrides[1].mining, false);
  EXPECT_EQ(effective_miners(o), (std::vector<std::size_t>{0}));
}

TEST(ScenarioParse, LinkOverrides) {
  auto s = parse_scenario(with(R"({"link_overrides": [{"between": [0, 1], "latency": "200ms", "rate": "1mbit"}]})"));
  ASSERT_TRUE(s) << s.error();
  ASSERT_EQ(s->link_overrides.size(), 1u);
  EXPECT_EQ(s->link_overrides[0].a, 0u);
  EXPECT_EQ(s->link_overrides[0].b, 1u);
  EXPECT_EQ(s->link_overrides[0].latency, "200ms");
  EXPECT_EQ(s->link_overrides[0].rate, "1mbit");
  EXPECT_EQ(up_options(*s, "/tmp/x").link_overrides.size(), 1u);
  EXPECT_NE(error_of(R"({"link_overrides": [{"between": [0, 9]}]})").find("link_overrides[0].between"), std::string::npos);
  EXPECT_NE(error_of(R"({"link_overrides": [{"between": [2, 2]}]})").find("link_overrides[0].between"), std::string::npos);
  EXPECT_NE(error_of(R"({"link_overrides": [{"between": [0, 1], "latency": "fast"}]})").find("link_overrides[0].latency"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"link_overrides": [{"between": [0, 1], "loss": 1}]})").find("link_overrides[0]"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"link_overrides": {}})").find("link_overrides"), std::string::npos);
}

TEST(ScenarioParse, MinersDefaultToPersonas) {
  auto s = parse_scenario(with(R"({"personas": {"1": {"mining": true}, "3": {"mining": true}}})"));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(effective_miners(up_options(*s, "/tmp/x")), (std::vector<std::size_t>{1, 3}));
  auto one = parse_scenario(with(""));
  ASSERT_TRUE(one);
  EXPECT_EQ(effective_miners(up_options(*one, "/tmp/x")), (std::vector<std::size_t>{0}));
  auto both = parse_scenario(with(R"({"miners": 2, "personas": {"1": {"mining": true}}})"));
  ASSERT_TRUE(both);
  EXPECT_EQ(effective_miners(up_options(*both, "/tmp/x")), (std::vector<std::size_t>{0, 1, 2}));
}

// Discovery and the superpeer personas (a hub, a relay-only node) run on tally-devnet too.
TEST(ScenarioParse, DiscoveryAndSuperpeerPersonasBecomeUpOptions) {
  auto s = parse_scenario(with(R"({"topology": "discovery", "seeds": 1,
      "personas": {"0": {"max_inbound": 200}, "3": {"relay_only": true, "max_outbound": 2}}})"));
  ASSERT_TRUE(s) << s.error();
  const UpOptions o = up_options(*s, "/tmp/x");
  EXPECT_TRUE(o.discovery);
  EXPECT_EQ(o.seed_nodes, 1u);
  ASSERT_NE(override_of(o, 0), nullptr);
  EXPECT_EQ(override_of(o, 0)->max_inbound, 200u);
  ASSERT_NE(override_of(o, 3), nullptr);
  EXPECT_TRUE(override_of(o, 3)->relay_only);
  EXPECT_EQ(override_of(o, 3)->max_outbound, 2u);

  auto default_seeds = parse_scenario(with(R"({"topology": "discovery"})"));
  ASSERT_TRUE(default_seeds) << default_seeds.error();
  EXPECT_EQ(up_options(*default_seeds, "/tmp/x").seed_nodes, 4u) << "tally-sim's default: min(4, nodes)";

  auto relay_miner = parse_scenario(with(R"({"personas": {"1": {"relay_only": true, "mining": true}}})"));
  ASSERT_FALSE(relay_miner);
  EXPECT_NE(relay_miner.error().find("a relay-only node does not mine"), std::string::npos) << relay_miner.error();
  auto huge_hub = parse_scenario(with(R"({"personas": {"1": {"max_inbound": 5000}}})"));
  ASSERT_FALSE(huge_hub);
  EXPECT_NE(huge_hub.error().find("tallyd allows at most 1024"), std::string::npos) << huge_hub.error();
}

TEST(ScenarioParse, EveryErrorNamesItsField) {
  struct Case {
    std::string extra;
    std::string expected;  // a substring of the error
  };
  const std::vector<Case> cases = {
      {R"({"nodes": null})", "nodes: missing"},
      {R"({"nodes": 0})", "nodes: must be an integer 1..100000"},
      {R"({"nodes": 300})", "nodes: tally-devnet runs at most 256 nodes (tally-sim runs more)"},
      {R"({"personas": {"1": {"download_rate": "1mbit"}}})", "personas.1.download_rate: only tally-sim supports this field"},
      {R"({"network": {"preset": "bitcoin-2019"}})", "network: only tally-sim supports this field"},
      {R"({"nodes": "4"})", "nodes: must be an integer"},
      {R"({"nodes": 2.5})", "nodes: must be an integer"},
      {R"({"duration_s": null})", "duration_s: missing"},
      {R"({"duration_s": 0})", "duration_s: must be > 0"},
      {R"({"duration_s": "1m"})", "duration_s: must be a number"},
      {R"({"topology": "blob"})", "topology: "},
      {R"({"topology": 3})", "topology: must be a string"},
      {R"({"seed": 0})", "seed: must be an integer >= 1"},
      {R"({"seed": "x"})", "seed: must be an integer >= 1"},
      {R"({"chain": ""})", "chain: must not be empty"},
      {R"({"chain": 1})", "chain: must be a string"},
      {R"({"block_time_s": 0})", "block_time_s: must be an integer 1..86400"},
      {R"({"miners": 5})", "miners: must be an integer 0..4"},
      {R"({"description": 1})", "description: must be a string"},
      {R"({"bogus": 1})", "bogus: unknown field"},
      {R"({"load": 5})", "load: must be an object"},
      {R"({"load": {}})", "load.tps: missing"},
      {R"({"load": {"tps": 0}})", "load.tps: must be in (0, 100000]"},
      {R"({"load": {"tps": 1, "x": 1}})", "load.x: unknown field"},
      {R"({"links": []})", "links: must be an object"},
      {R"({"links": {"latency": "fast"}})", "links.latency: "},
      {R"({"links": {"jitter": 10}})", "links.jitter: must be a string"},
      {R"({"links": {"rate": "lots"}})", "links.rate: "},
      {R"({"links": {"loss": "1%"}})", "links.loss: unknown field"},
      {R"({"personas": []})", "personas: must be an object"},
      {R"({"personas": {"x": {}}})", "personas.x: the key must be a node index 0..3"},
      {R"({"personas": {"4": {}}})", "personas.4: the key must be a node index 0..3"},
      {R"({"personas": {"1": 3}})", "personas.1: must be an object"},
      {R"({"personas": {"1": {"mining": 1}}})", "personas.1.mining: must be true or false"},
      {R"({"personas": {"1": {"mining": true, "hash_share": 0}}})", "personas.1.hash_share: must be an integer 1..256"},
      {R"({"personas": {"1": {"hash_share": 2}}})", "personas.1.hash_share: node 1 does not mine"},
      {R"({"personas": {"1": {"latency": "soon"}}})", "personas.1.latency: "},
      {R"({"personas": {"1": {"jitter": "x"}}})", "personas.1.jitter: "},
      {R"({"personas": {"1": {"rate": "x"}}})", "personas.1.rate: "},
      {R"({"personas": {"1": {"speed": 1}}})", "personas.1.speed: unknown field"},
      {R"({"personas": {"1": {"offline": 5}}})", "personas.1.offline: must be an array"},
      {R"({"personas": {"1": {"offline": [[1]]}}})", "personas.1.offline[0]: must be [from_s, to_s]"},
      {R"({"personas": {"1": {"offline": [[5, 2]]}}})", "personas.1.offline[0]: from_s must be before to_s"},
      {R"({"personas": {"1": {"offline": [[5, 40]]}}})", "personas.1.offline[0][1]: must be within the run, 0..30 s"},
      {R"({"personas": {"1": {"offline": [["a", 4]]}}})", "personas.1.offline[0][0]: must be a number"},
      {R"({"personas": {"1": {"offline": [[5, 10], [8, 12]]}}})", "personas.1.offline[1]: must start after"},
      {R"({"events": {}})", "events: must be an array"},
      {R"({"events": [3]})", "events[0]: must be an object"},
      {R"({"events": [{"do": "heal"}]})", "events[0].at_s: missing"},
      {R"({"events": [{"at_s": 31, "do": "heal"}]})", "events[0].at_s: must be within the run"},
      {R"({"events": [{"at_s": -1, "do": "heal"}]})", "events[0].at_s: must be within the run"},
      {R"({"events": [{"at_s": 1}]})", "events[0].do: missing"},
      {R"({"events": [{"at_s": 1, "do": 2}]})", "events[0].do: must be a string"},
      {R"({"events": [{"at_s": 1, "do": "explode"}]})", "events[0].do: unknown action 'explode'"},
      {R"({"events": [{"at_s": 1, "do": "heal", "node": 1}]})", "events[0].node: unknown field"},
      {R"({"events": [{"at_s": 1, "do": "partition"}]})", "events[0].groups: missing"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": []}]})", "events[0].groups: must be a non-empty array"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": ["0-3"]}]})",
       "events[0].groups: a partition needs at least two groups"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": ["0-1", "1-2"]}]})",
       "events[0].groups[1]: node 1 is in two groups"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": ["0-9"]}]})", "events[0].groups[0]: node 4 does not exist"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": ["x"]}]})", "events[0].groups[0]: bad node list"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": [[0, 7]]}]})", "events[0].groups[0][1]: must be an integer 0..3"},
      {R"({"events": [{"at_s": 1, "do": "partition", "groups": [1]}]})", "events[0].groups[0]: must be a node list"},
      {R"({"events": [{"at_s": 1, "do": "stop"}]})", "events[0].node: missing"},
      {R"({"events": [{"at_s": 1, "do": "start", "node": 4}]})", "events[0].node: must be an integer 0..3"},
      {R"({"events": [{"at_s": 1, "do": "stop", "node": 1, "groups": []}]})", "events[0].groups: unknown field"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of(c.extra);
    EXPECT_NE(e.find(c.expected), std::string::npos) << c.extra << "\n  error: '" << e << "'\n  expected: '" << c.expected << "'";
  }
  EXPECT_NE(parse_scenario("{").error().find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_scenario("[1]").error().find("must be a JSON object"), std::string::npos);
  auto missing = load_scenario_file("/nonexistent/scenario.json");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("/nonexistent/scenario.json: "), std::string::npos);
}

TEST(ScenarioParse, ExampleFilesParse) {
  // ctest sets TALLY_SOURCE_DIR (tests/CMakeLists.txt); __FILE__ may be relative under ccache.
  const char* source_dir = std::getenv("TALLY_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest, or set TALLY_SOURCE_DIR to the source tree";
  const std::filesystem::path root = source_dir;
  for (const char* name : {"partition-heal.json", "churn.json"}) {
    auto s = load_scenario_file(root / "scenarios" / name);
    EXPECT_TRUE(s) << (s ? "" : s.error());
  }
  auto ph = load_scenario_file(root / "scenarios" / "partition-heal.json");
  ASSERT_TRUE(ph);
  EXPECT_EQ(ph->nodes, 6u);
  EXPECT_EQ(effective_miners(up_options(*ph, "/tmp/x")).size(), 2u);
}

// Lines of a JSON-lines file whose "event" is `type`.
std::vector<json::object> jsonl(const std::filesystem::path& file, const std::string& type) {
  std::vector<json::object> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    const json::value* e = v.as_object().if_contains("event");
    if (e != nullptr && e->is_string() && e->get_string() == type) out.push_back(v.as_object());
  }
  return out;
}

TEST(ScenarioRun, PartitionHealConvergesAndReports) {
  support::TempDir temp("tally-scenario-test");
  const auto base = temp.path();
  // The devnet spec with easy proof-of-work and a quickly adapting ASERT (as devnet_test), but
  // starting at ~4M hashes a block (a fraction of a second per miner) rather than trivial, so
  // six nodes with 50 ms links produce a readable run rather than dozens of blocks a second.
  ASSERT_TRUE(testing::write_fast_chain(base / "fast-chain.json", "0x1e03ffff"));

  auto scenario = parse_scenario(R"({
    "nodes": 6, "topology": "line", "seed": 3, "chain": "fast-chain.json", "duration_s": 14,
    "load": {"tps": 2}, "links": {"latency": "50ms"},
    "personas": {"0": {"mining": true}, "3": {"mining": true}},
    "events": [{"at_s": 3, "do": "partition", "groups": ["0-2", "3-5"]}, {"at_s": 8, "do": "heal"}]})",
                                 base);
  ASSERT_TRUE(scenario) << scenario.error();

  RunScenarioOptions o;
  o.dir = base / "devnet";
  o.tallyd = TALLYD_PATH;
  o.stop_with_parent = true;
  o.status_every_s = 5;
  o.log = [](const std::string& m) { std::cout << m << std::endl; };
  auto r = run_scenario(*scenario, o);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->interrupted);
  EXPECT_TRUE(r->failures.empty()) << r->failures.front();
  ASSERT_TRUE(r->load);
  EXPECT_GT(r->load->accepted, 0u);

  // Every node was up at the end and on one tip and state.
  const StatusReport& st = r->final_status;
  EXPECT_EQ(st.up, 6u) << render_status(st);
  EXPECT_TRUE(st.tips_agree()) << render_status(st);
  EXPECT_TRUE(st.states_agree()) << render_status(st);

  EXPECT_TRUE(std::filesystem::exists(o.dir / "report.json"));
  EXPECT_EQ(r->report_json, o.dir / "report.json");
  const auto partitions = jsonl(o.dir / "control.jsonl", "partition");
  const auto heals = jsonl(o.dir / "control.jsonl", "heal");
  ASSERT_EQ(partitions.size(), 1u);
  ASSERT_EQ(heals.size(), 1u);
  const std::int64_t healed_us = heals[0].at("ts_us").to_number<std::int64_t>();

  // When both sides extended the chain while apart, one side reorganized onto the other's
  // chain after the heal. (On a loaded 2-core machine one side's single miner can find nothing
  // in the 5 s; then there is no losing branch, and the heal is a plain catch-up.)
  const std::int64_t partitioned_us = partitions[0].at("ts_us").to_number<std::int64_t>();
  auto side_mined = [&](std::size_t miner) {
    for (const auto& e : jsonl(o.dir / ("node" + std::to_string(miner)) / "events.jsonl", "header_seen")) {
      const auto ts = e.at("ts_us").to_number<std::int64_t>();
      if (ts > partitioned_us && ts < healed_us && e.at("peer").to_number<std::int64_t>() == 0) return true;
    }
    return false;
  };
  const bool side_a = side_mined(0), side_b = side_mined(3);
  EXPECT_TRUE(side_a || side_b) << "neither side mined while partitioned";
  std::size_t reorged = 0;
  for (std::size_t i = 0; i < 6; ++i)
    for (const auto& e : jsonl(o.dir / ("node" + std::to_string(i)) / "events.jsonl", "reorg"))
      if (e.at("ts_us").to_number<std::int64_t>() >= healed_us) {
        ++reorged;
        break;
      }
  if (side_a && side_b) {
    EXPECT_GE(reorged, 1u) << "both sides mined while apart, but no node logged a reorg after the heal";
  } else {
    std::cout << "only side " << (side_a ? "0-2" : "3-5") << " mined while partitioned: no reorg is implied\n";
  }

  // The report's figures agree with what the event logs say, counted here independently.
  auto report_text = base::read_file(o.dir / "report.json");
  ASSERT_TRUE(report_text);
  const json::value report = json::parse(*report_text);
  const json::object& forks = report.at("forks").as_object();
  std::set<std::string> connected_anywhere;
  std::size_t reorgs_total = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    const auto dir = o.dir / ("node" + std::to_string(i));
    for (const auto& e : jsonl(dir / "events.jsonl", "block_connected"))
      connected_anywhere.insert(std::string(e.at("hash").as_string()));
    const std::size_t reorgs_here = jsonl(dir / "events.jsonl", "reorg").size();
    reorgs_total += reorgs_here;
    for (const auto& pn : forks.at("per_node").as_array()) {
      if (pn.at("node").as_string() == ("node" + std::to_string(i))) {
        EXPECT_EQ(pn.at("reorgs").to_number<std::size_t>(), reorgs_here) << "node" << i;
      }
    }
  }
  EXPECT_EQ(forks.at("blocks").to_number<std::size_t>(), connected_anywhere.size());
  EXPECT_EQ(forks.at("reorg_count").to_number<std::size_t>(), reorgs_total);
  // Both sides mined while apart: the losing side's blocks are stale.
  EXPECT_GE(forks.at("stale_blocks").to_number<std::size_t>(), 1u);
  EXPECT_EQ(forks.at("blocks").to_number<std::size_t>(),
            forks.at("final_chain_blocks").to_number<std::size_t>() + forks.at("stale_blocks").to_number<std::size_t>());
  // Block events list their txids, so inclusion and k-confirmation times are computed.
  const json::object& txs = report.at("transactions").as_object();
  EXPECT_TRUE(txs.at("inclusion_available").as_bool());
  EXPECT_GE(txs.at("included").to_number<std::size_t>(), 1u);
  EXPECT_TRUE(txs.at("confirmed_twice_on_final_chain").as_array().empty());
  // Agreement came back after the heal.
  const json::array& report_heals = report.at("agreement").at("heals").as_array();
  ASSERT_EQ(report_heals.size(), 1u);
  EXPECT_TRUE(report_heals[0].at("time_to_agreement_ms").is_number()) << "no agreement after the heal";

  // down ran: nothing is left running.
  auto net = Devnet::open(o.dir);
  ASSERT_TRUE(net) << net.error();
  for (const NodeRecord& n : net->layout().nodes) EXPECT_TRUE(live_pids(n).empty()) << n.name;
  if (HasFailure()) {
    temp.keep();
    std::cerr << "scenario kept for inspection in " << base << "\n";
    (void)net->down(false);
  }
}

}  // namespace
}  // namespace tally::devnet
