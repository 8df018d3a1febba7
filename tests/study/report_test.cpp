// The study's figures on the hand-written scenario of synthetic_run.h. Every expected value
// below is worked out by hand from the scenario's timeline (the comments show the sums), not
// by running the analysis another way; the figures are read back from report.json so the
// field names are checked too.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "study/report.h"
#include "support/temp_dir.h"
#include "tests/study/synthetic_run.h"

namespace tally::study {
namespace {

namespace json = boost::json;
using testing::hash_of;
using testing::SyntheticRun;
using support::TempDir;

json::value read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count(const std::string& text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// "a.b.c" into nested objects.
const json::value& at(const json::value& v, std::string_view path) {
  const json::value* cur = &v;
  while (!path.empty()) {
    const auto dot = path.find('.');
    cur = &cur->as_object().at(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return *cur;
}

double num(const json::value& v, std::string_view path) { return json::value_to<double>(at(v, path)); }
std::int64_t integer(const json::value& v, std::string_view path) { return json::value_to<std::int64_t>(at(v, path)); }

const json::object& find_by(const json::value& array, std::string_view key, std::string_view value) {
  for (const auto& e : array.as_array())
    if (e.as_object().at(key).as_string() == value) return e.as_object();
  throw std::runtime_error("no element with " + std::string(key) + " = " + std::string(value));
}

class ScenarioReport : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::scenario().write(dir_.path());
    auto r = write_report(dir_.path());
    ASSERT_TRUE(r.has_value()) << r.error();
    report_ = std::move(*r);
    j_ = read_json(dir_.path() / "report.json");
  }
  TempDir dir_;
  Report report_;
  json::value j_;
};

TEST_F(ScenarioReport, WritesBothFiles) {
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "report.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "report.html"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "report.json.tmp"));
  EXPECT_EQ(at(j_, "schema").as_string(), "tally-study/1");
  EXPECT_NE(report_.summary().find("never converged: node4"), std::string::npos) << report_.summary();
}

TEST_F(ScenarioReport, CountsMalformedLinesWithoutFailing) {
  EXPECT_EQ(integer(j_, "run.nodes"), 6);
  EXPECT_EQ(integer(j_, "run.nodes_with_logs"), 6);
  // node2: not JSON, no ts_us, a bad hash, a truncated last line. The blank line is ignored.
  EXPECT_EQ(integer(j_, "run.malformed_lines"), 4);
  EXPECT_EQ(integer(j_, "run.unknown_events"), 1);
  const auto& node2 = find_by(at(j_, "nodes"), "name", "node2");
  EXPECT_EQ(node2.at("malformed_lines").as_int64(), 4);
  EXPECT_EQ(node2.at("malformed_examples").as_array().size(), 4u);
  EXPECT_EQ(find_by(at(j_, "nodes"), "name", "node0").at("malformed_lines").as_int64(), 0);
  EXPECT_EQ(integer(j_, "run.control_events"), 3);  // partition, heal, stop_node
  EXPECT_EQ(integer(j_, "run.control_malformed_lines"), 1);
  EXPECT_EQ(integer(j_, "run.topology_edges"), 5);
  // The span: from the starts at 0 to the stops at 10000 ms (the truncated line does not count).
  EXPECT_EQ(num(j_, "run.duration_ms"), 10000);
}

TEST_F(ScenarioReport, BlockPropagation) {
  // Blocks A1 A2 B3 B4 C3 C4 C5 D6 E7; B3..C5 first appear during the partition.
  EXPECT_EQ(integer(j_, "propagation.blocks"), 9);
  EXPECT_EQ(integer(j_, "propagation.blocks_during_partition"), 5);
  // Delays to each reachable node but the origin (ms):
  //   A1 10 20 30 40 50 | A2 10 10 20 20 30 | B3, B4, C3, C4, C5 10 20 each (own side only)
  //   D6 10 20 30 40 50 | E7 10 20 30 40 (node4 down)
  // = 29 values: ten 10s, ten 20s, four 30s, three 40s, two 50s.
  // Nearest rank: p50 = 15th = 20, p90 = 27th = 40, p99 = 29th = 50; mean = 640 / 29.
  EXPECT_EQ(integer(j_, "propagation.connected_delay_ms.count"), 29);
  EXPECT_EQ(num(j_, "propagation.connected_delay_ms.p50"), 20);
  EXPECT_EQ(num(j_, "propagation.connected_delay_ms.p90"), 40);
  EXPECT_EQ(num(j_, "propagation.connected_delay_ms.p99"), 50);
  EXPECT_EQ(num(j_, "propagation.connected_delay_ms.min"), 10);
  EXPECT_EQ(num(j_, "propagation.connected_delay_ms.max"), 50);
  EXPECT_NEAR(num(j_, "propagation.connected_delay_ms.mean"), 640.0 / 29, 1e-9);
  // Headers arrive 5 ms before the block on every relaying node.
  EXPECT_EQ(integer(j_, "propagation.header_delay_ms.count"), 29);
  EXPECT_EQ(num(j_, "propagation.header_delay_ms.p50"), 15);
  EXPECT_EQ(num(j_, "propagation.header_delay_ms.p90"), 35);
  EXPECT_EQ(num(j_, "propagation.header_delay_ms.p99"), 45);
  EXPECT_EQ(integer(j_, "propagation.missing_arrivals"), 0);
  // Per block, with the origin at 0 and k = ceil(f * N):
  //   t50: A1 20, A2 10, B3..C5 10 (N = 3, k = 2), D6 20, E7 20 (N = 5, k = 3)
  //   t100: A1 50, A2 30, B3..C5 20, D6 50, E7 40
  EXPECT_EQ(num(j_, "propagation.time_to_50pct_ms.p50"), 10);   // 5th of [10 x6, 20 x3]
  EXPECT_EQ(num(j_, "propagation.time_to_50pct_ms.p90"), 20);   // 9th
  EXPECT_EQ(num(j_, "propagation.time_to_100pct_ms.p50"), 20);  // 5th of [20 x5, 30, 40, 50, 50]
  EXPECT_EQ(num(j_, "propagation.time_to_100pct_ms.p90"), 50);
  EXPECT_EQ(integer(j_, "propagation.blocks_reaching_all"), 9);

  const auto& a1 = find_by(at(j_, "blocks"), "hash", hash_of("A1"));
  EXPECT_EQ(a1.at("miner").as_string(), "node0");
  EXPECT_EQ(a1.at("reachable_nodes").as_int64(), 6);
  EXPECT_EQ(json::value_to<double>(a1.at("connected").at("t50_ms")), 20);  // 3rd of 0 10 20 30 40 50
  EXPECT_EQ(json::value_to<double>(a1.at("connected").at("t90_ms")), 50);  // 6th (ceil 5.4)
  EXPECT_EQ(json::value_to<double>(a1.at("connected").at("t100_ms")), 50);
  EXPECT_EQ(json::value_to<double>(a1.at("header").at("t100_ms")), 45);
  const auto& a2 = find_by(at(j_, "blocks"), "hash", hash_of("A2"));
  EXPECT_EQ(a2.at("miner").as_string(), "node3");
  EXPECT_EQ(json::value_to<double>(a2.at("connected").at("t50_ms")), 10);
  const auto& b3 = find_by(at(j_, "blocks"), "hash", hash_of("B3"));
  EXPECT_TRUE(b3.at("during_partition").as_bool());
  EXPECT_EQ(b3.at("reachable_nodes").as_int64(), 3);
  EXPECT_EQ(json::value_to<double>(b3.at("connected").at("t50_ms")), 10);
  EXPECT_EQ(json::value_to<double>(b3.at("connected").at("t100_ms")), 20);
  const auto& e7 = find_by(at(j_, "blocks"), "hash", hash_of("E7"));
  EXPECT_EQ(e7.at("reachable_nodes").as_int64(), 5);
  EXPECT_EQ(json::value_to<double>(e7.at("connected").at("t50_ms")), 20);  // 3rd of 0 10 20 30 40
  EXPECT_EQ(json::value_to<double>(e7.at("connected").at("t90_ms")), 40);  // 5th (ceil 4.5)
  EXPECT_EQ(json::value_to<double>(e7.at("connected").at("t100_ms")), 40);
}

TEST_F(ScenarioReport, PropagationByHop) {
  // Hops on the line from the miner: A1 (0): 1..5 -> 10..50; A2 (3): 2,4 -> 1; 1,5 -> 2; 0 -> 3;
  // B (0): 1 -> 1, 2 -> 2; C (3): 4 -> 1, 5 -> 2; D6 (5): 4 -> 1 ... 0 -> 5; E7 (0): 1,2,3 -> 1,2,3; 5 -> 5 at 40.
  EXPECT_TRUE(at(j_, "propagation.topology").as_bool());
  const auto& hops = at(j_, "propagation.by_hop").as_array();
  ASSERT_EQ(hops.size(), 5u);
  const std::array<std::int64_t, 5> counts{10, 10, 4, 2, 3};
  const std::array<double, 5> p50{10, 20, 30, 40, 50};
  for (std::size_t i = 0; i < 5; ++i) {
    SCOPED_TRACE(i + 1);
    EXPECT_EQ(hops[i].at("hops").as_int64(), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(hops[i].at("connected_delay_ms").at("count").as_int64(), counts[i]);
    EXPECT_EQ(json::value_to<double>(hops[i].at("connected_delay_ms").at("p50")), p50[i]);
  }
  EXPECT_EQ(json::value_to<double>(hops[4].at("connected_delay_ms").at("min")), 40);  // E7 to node5
}

TEST_F(ScenarioReport, Transactions) {
  EXPECT_EQ(integer(j_, "transactions.txs"), 2);
  EXPECT_EQ(integer(j_, "transactions.submitted_locally"), 2);
  EXPECT_EQ(integer(j_, "transactions.rejected_events"), 1);
  // tx1: 10 10 20 30 40; tx2 (its side only): 10 20 -> [10 10 10 20 20 30 40]:
  // p50 = 4th = 20, p90 = 7th = 40.
  EXPECT_EQ(integer(j_, "transactions.delay_ms.count"), 7);
  EXPECT_EQ(num(j_, "transactions.delay_ms.p50"), 20);
  EXPECT_EQ(num(j_, "transactions.delay_ms.p90"), 40);
  EXPECT_EQ(integer(j_, "transactions.reaching_all"), 2);
  const auto& tx1 = find_by(at(j_, "transactions.list"), "txid", hash_of("tx1"));
  EXPECT_EQ(tx1.at("origin").as_string(), "node1");
  EXPECT_EQ(json::value_to<double>(tx1.at("reach").at("t50_ms")), 10);   // 3rd of 0 10 10 20 30 40
  EXPECT_EQ(json::value_to<double>(tx1.at("reach").at("t100_ms")), 40);
  const auto& tx2 = find_by(at(j_, "transactions.list"), "txid", hash_of("tx2"));
  EXPECT_EQ(tx2.at("reachable_nodes").as_int64(), 3);
  EXPECT_EQ(tx2.at("accepted_nodes").as_int64(), 4);  // node2 after the heal, outside the reach
  EXPECT_EQ(json::value_to<double>(tx2.at("reach").at("t100_ms")), 20);
  // No txids in block_connected: inclusion is a stated limitation.
  EXPECT_FALSE(at(j_, "transactions.inclusion_available").as_bool());
  EXPECT_TRUE(at(j_, "transactions.inclusion_ms").is_null());
  bool stated = false;
  for (const auto& l : at(j_, "limitations").as_array()) stated |= l.as_string().starts_with("tx_inclusion");
  EXPECT_TRUE(stated);
}

TEST_F(ScenarioReport, Forks) {
  EXPECT_EQ(at(j_, "forks.final_tip").as_string(), hash_of("E7"));
  EXPECT_EQ(integer(j_, "forks.final_height"), 7);
  EXPECT_EQ(integer(j_, "forks.blocks"), 9);
  EXPECT_EQ(integer(j_, "forks.final_chain_blocks"), 7);  // A1 A2 C3 C4 C5 D6 E7
  EXPECT_EQ(integer(j_, "forks.stale_blocks"), 2);        // B3 B4
  EXPECT_DOUBLE_EQ(num(j_, "forks.stale_rate"), 2.0 / 9);
  EXPECT_EQ(integer(j_, "forks.stale_seen_only"), 0);
  const auto& stale = at(j_, "forks.stale_hashes").as_array();
  ASSERT_EQ(stale.size(), 2u);
  EXPECT_EQ(stale[0].as_string(), hash_of("B3"));
  EXPECT_EQ(stale[1].as_string(), hash_of("B4"));
  EXPECT_EQ(integer(j_, "forks.longest_stale_branch"), 2);
  // Mean interval of the final chain by first appearance, A1 to E7 (six intervals); the
  // synthetic layout asks for none.
  const double a1 = num(find_by(at(j_, "blocks"), "hash", hash_of("A1")), "first_seen_ts_us");
  const double e7 = num(find_by(at(j_, "blocks"), "hash", hash_of("E7")), "first_seen_ts_us");
  EXPECT_DOUBLE_EQ(num(j_, "forks.mean_interval_s"), (e7 - a1) / 1e6 / 6);
  EXPECT_TRUE(at(j_, "forks.requested_interval_s").is_null());
  EXPECT_EQ(integer(j_, "forks.reorg_count"), 3);
  EXPECT_EQ(integer(j_, "forks.max_reorg_depth"), 2);
  const auto& hist = at(j_, "forks.reorg_depth_histogram").as_array();
  ASSERT_EQ(hist.size(), 1u);
  EXPECT_EQ(hist[0].at("depth").as_int64(), 2);
  EXPECT_EQ(hist[0].at("count").as_int64(), 3);
  for (const char* n : {"node0", "node1", "node2"})
    EXPECT_EQ(find_by(at(j_, "forks.per_node"), "node", n).at("reorgs").as_int64(), 1) << n;
  for (const char* n : {"node3", "node4", "node5"})
    EXPECT_EQ(find_by(at(j_, "forks.per_node"), "node", n).at("reorgs").as_int64(), 0) << n;
  EXPECT_TRUE(at(j_, "forks.parent_links_complete").as_bool());
  // Parents: C3's from node3's tip change (old tip A2), and the same on the reorging nodes.
  EXPECT_EQ(find_by(at(j_, "blocks"), "hash", hash_of("C3")).at("parent").as_string(), hash_of("A2"));
  EXPECT_EQ(find_by(at(j_, "blocks"), "hash", hash_of("B4")).at("parent").as_string(), hash_of("B3"));
  EXPECT_EQ(find_by(at(j_, "blocks"), "hash", hash_of("A1")).at("parent").as_string(), hash_of("G"));
  EXPECT_EQ(find_by(at(j_, "blocks"), "hash", hash_of("B3")).at("lane").as_int64(), 1);
  EXPECT_EQ(find_by(at(j_, "blocks"), "hash", hash_of("B4")).at("lane").as_int64(), 1);
}

TEST_F(ScenarioReport, AgreementOverTime) {
  EXPECT_EQ(num(j_, "agreement.sample_interval_ms"), 100);
  const auto& samples = at(j_, "agreement.samples").as_array();
  // 0, 100, ..., 9900 ms; at 10000 every node has stopped.
  ASSERT_EQ(samples.size(), 100u);
  auto fraction = [&](std::size_t i) { return json::value_to<double>(samples[i].as_array()[1]); };
  EXPECT_EQ(fraction(0), 1.0);                   // all on genesis
  EXPECT_DOUBLE_EQ(fraction(20), 5.0 / 6);       // 2000: node3 has A2, the rest A1
  EXPECT_DOUBLE_EQ(fraction(42), 0.5);           // 4200: B3 on [0,1,2], A2 on [3,4,5]
  EXPECT_EQ(fraction(75), 1.0);                  // 7500: all on C5
  EXPECT_EQ(samples[92].as_array()[3].as_int64(), 5);  // 9200: node4 stopped
  // Full agreement: [0,1000) [1050,2000) [2030,4000) [7300,8000) [8050,9500) [9540,10000)
  // = 1000 + 950 + 1970 + 700 + 1450 + 460 = 6530 of 10000 ms.
  EXPECT_NEAR(num(j_, "agreement.full_agreement_time_fraction"), 0.653, 1e-9);
  const auto& heals = at(j_, "agreement.heals").as_array();
  ASSERT_EQ(heals.size(), 1u);
  EXPECT_EQ(json::value_to<double>(heals[0].at("time_to_agreement_ms")), 300);  // node0 at 7300
  EXPECT_EQ(heals[0].at("agreed_tip").as_string(), hash_of("C5"));
  const auto& partitions = at(j_, "agreement.partitions").as_array();
  ASSERT_EQ(partitions.size(), 1u);
  EXPECT_EQ(partitions[0].at("end_ts_us").as_int64() - partitions[0].at("start_ts_us").as_int64(), 4'000'000);
}

TEST_F(ScenarioReport, FinalConvergence) {
  EXPECT_EQ(at(j_, "convergence.majority_tip").as_string(), hash_of("E7"));
  EXPECT_EQ(integer(j_, "convergence.nodes_with_tip"), 6);
  EXPECT_EQ(integer(j_, "convergence.nodes_on_majority"), 5);
  EXPECT_FALSE(at(j_, "convergence.all_converged").as_bool());
  const auto& nc = at(j_, "convergence.not_converged").as_array();
  ASSERT_EQ(nc.size(), 1u);
  EXPECT_EQ(nc[0].at("node").as_string(), "node4");
  EXPECT_EQ(nc[0].at("final_tip").as_string(), hash_of("D6"));
  EXPECT_FALSE(nc[0].at("running_at_end").as_bool());
  // D6 is an ancestor of E7: node4 is behind, and holds the final chain up to height 6.
  EXPECT_EQ(nc[0].at("relation").as_string(), "behind");
  EXPECT_EQ(nc[0].at("shared_height").as_int64(), 6);
  EXPECT_EQ(integer(j_, "convergence.common_prefix_height"), 6);
  EXPECT_EQ(find_by(at(j_, "nodes"), "name", "node0").at("relation").as_string(), "on_tip");
  EXPECT_TRUE(find_by(at(j_, "nodes"), "name", "node0").at("on_majority_tip").as_bool());
  EXPECT_FALSE(find_by(at(j_, "nodes"), "name", "node4").at("on_majority_tip").as_bool());
}

TEST_F(ScenarioReport, HtmlHasEveryChartAndNoScript) {
  const std::string html = read_text(dir_.path() / "report.html");
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  for (const char* label : {"Propagation CDF", "Agreement over time", "Height per node", "Reorg depth histogram",
                            "Block tree"})
    EXPECT_NE(html.find(std::string("aria-label=\"") + label + "\""), std::string::npos) << label;
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(count(html, "http://"), count(html, "http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("never converged"), std::string::npos);
  EXPECT_NE(html.find("partition [0,1,2] [3,4,5]"), std::string::npos);
}

}  // namespace
}  // namespace tally::study
