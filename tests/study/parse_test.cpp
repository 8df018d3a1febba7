// Strict parsing of event and control lines, percentiles, and robustness of the whole
// report against arbitrary log contents (seeded: TALLY_SEED=<printed seed> replays a run).
#include <gtest/gtest.h>

#include <random>

#include "study/event.h"
#include "study/report.h"
#include "study/run_log.h"
#include "study/stats.h"
#include "support/seed.h"
#include "support/temp_dir.h"
#include "tests/study/synthetic_run.h"

namespace tally::study {
namespace {

using testing::hash_of;
using testing::SyntheticRun;
using support::TempDir;

TEST(StudyEvent, ParsesEveryType) {
  const std::string h = hash_of("X");
  auto e = parse_event_line(R"({"ts_us":12,"node":"n","event":"header_seen","hash":")" + h + R"(","height":3,"peer":7})");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->type, EventType::kHeaderSeen);
  EXPECT_EQ(e->ts_us, 12);
  EXPECT_EQ(e->hash, h);
  EXPECT_EQ(e->height, 3);
  EXPECT_EQ(e->peer, 7u);

  e = parse_event_line(R"({"ts_us":1,"node":"n","event":"reorg","old_tip":")" + h + R"(","new_tip":")" + h +
                       R"(","depth":4})");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->count, 4);

  e = parse_event_line(R"({"ts_us":1,"node":"n","event":"block_connected","hash":")" + h +
                       R"(","height":1,"txs":2,"txids":[")" + h + R"("]})");
  ASSERT_TRUE(e) << e.error();
  EXPECT_TRUE(e->has_txids);
  EXPECT_EQ(e->txids.size(), 1u);

  e = parse_event_line(R"({"ts_us":1,"node":"n","event":"peer_connected","peer":1,"address":"1.2.3.4:5","inbound":true,"user_agent":"x"})");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->address, "1.2.3.4:5");

  e = parse_event_line(R"({"ts_us":1,"node":"n","event":"something_new","x":[1,2]})");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->type, EventType::kUnknown);
  EXPECT_EQ(e->type_name, "something_new");
}

TEST(StudyEvent, UpperCaseHashesAreNormalized) {
  std::string h = hash_of("X");
  for (auto& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto e = parse_event_line(R"({"ts_us":1,"node":"n","event":"tx_accepted","txid":")" + h + R"(","peer":0})");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->hash, hash_of("X"));
}

TEST(StudyEvent, RefusesMalformedLines) {
  const std::string h = hash_of("X");
  for (const std::string& line : {
           std::string("garbage"),
           std::string("[1,2,3]"),
           std::string(R"({"node":"n","event":"node_started","height":0})"),                 // no ts_us
           std::string(R"({"ts_us":"12","node":"n","event":"node_started","height":0})"),    // ts_us a string
           std::string(R"({"ts_us":-5,"node":"n","event":"node_started","height":0})"),      // negative time
           std::string(R"({"ts_us":1,"event":"node_started","height":0})"),                  // no node
           std::string(R"({"ts_us":1,"node":"n","height":0})"),                              // no event
           std::string(R"({"ts_us":1,"node":"n","event":"node_started"})"),                  // no height
           std::string(R"({"ts_us":1,"node":"n","event":"header_seen","hash":"abc","height":1,"peer":1})"),
           std::string(R"({"ts_us":1,"node":"n","event":"header_seen","hash":")" + h + R"(","height":1,"peer":-1})"),
           std::string(R"({"ts_us":1,"node":"n","event":"block_connected","hash":")" + h + R"(","height":1})"),
           std::string(R"({"ts_us":1,"node":"n","event":"block_connected","hash":")" + h + R"(","height":1,"txs":1,"txids":"x"})"),
           std::string(R"({"ts_us":1,"node":"n","event":"tip_changed","old_tip":")" + h + R"(","height":1})"),
           std::string(R"({"ts_us":1,"node":"n","event":"tx_rejected","txid":")" + h + R"(","peer":1})"),
           std::string(R"({"ts_us":1,"node":"n","event":"node_started","height":0)"),  // truncated
       }) {
    auto e = parse_event_line(line);
    EXPECT_FALSE(e) << line;
    if (!e) {
      EXPECT_FALSE(e.error().empty());
    }
  }
}

TEST(StudyRunLog, CountsLinesAndKeepsExamples) {
  NodeLog log;
  std::string text;
  for (int i = 0; i < 8; ++i) text += "bad line\n";
  text += "\n   \n";
  text += R"({"ts_us":5,"node":"n","event":"node_started","height":0})" "\n";
  parse_node_log(text, 3, log);
  EXPECT_EQ(log.lines, 9u);
  EXPECT_EQ(log.malformed, 8u);
  EXPECT_EQ(log.malformed_examples.size(), kMalformedExamplesMax);
  EXPECT_EQ(log.malformed_examples[0].line, 1u);
  ASSERT_EQ(log.events.size(), 1u);
  EXPECT_EQ(log.events[0].node, 3u);
}

TEST(StudyRunLog, ControlEvents) {
  RunLog run;
  parse_control_log(R"({"ts_us":3,"event":"heal"})" "\n"
                    R"({"ts_us":1,"event":"partition","groups":[[0,"b"],[2]]})" "\n"
                    R"({"ts_us":2,"event":"stop_node","node":"c"})" "\n"
                    R"({"ts_us":4,"event":"start_node","node":2})" "\n"
                    R"({"ts_us":5,"event":"stop_node","node":"nobody"})" "\n"
                    R"({"ts_us":6,"event":"partition","groups":[[0],[9]]})" "\n"
                    R"({"ts_us":7,"event":"load","tps":10})" "\n",
                    {"a", "b", "c"}, run);
  EXPECT_EQ(run.control_lines, 7u);
  EXPECT_EQ(run.control_malformed, 2u);  // unknown node, out-of-range index
  ASSERT_EQ(run.controls.size(), 5u);
  EXPECT_EQ(run.controls[0].kind, ControlEvent::Kind::kPartition);  // sorted by time
  EXPECT_EQ(run.controls[0].groups, (std::vector<std::vector<std::size_t>>{{0, 1}, {2}}));
  EXPECT_EQ(run.controls[1].kind, ControlEvent::Kind::kStopNode);
  EXPECT_EQ(run.controls[1].node, 2u);
  EXPECT_EQ(run.controls[3].kind, ControlEvent::Kind::kStartNode);
  EXPECT_EQ(run.controls[4].kind, ControlEvent::Kind::kOther);
}

TEST(StudyStats, NearestRankPercentiles) {
  const std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile(v, 50), 5);   // ceil(5) = 5th
  EXPECT_EQ(percentile(v, 90), 9);   // ceil(9) = 9th, not 10th
  EXPECT_EQ(percentile(v, 99), 10);  // ceil(9.9)
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile({}, 50), std::nullopt);
  EXPECT_EQ(rank_of(0.5, 5), 3u);
  EXPECT_EQ(rank_of(0.9, 10), 9u);
  EXPECT_EQ(kth_smallest({3, 1, 2}, 2), 2);
  EXPECT_EQ(kth_smallest({3, 1}, 3), std::nullopt);
  const Distribution d = summarize({4, 1, 3, 2});
  EXPECT_EQ(d.count, 4u);
  EXPECT_EQ(d.min, 1);
  EXPECT_EQ(d.max, 4);
  EXPECT_EQ(d.mean, 2.5);
  EXPECT_EQ(d.p50, 2);
  EXPECT_EQ(summarize({}).count, 0u);
  EXPECT_FALSE(summarize({}).p50);
}

TEST(StudyReport, MissingDirectoryOrLogsFail) {
  TempDir dir;
  EXPECT_FALSE(write_report(dir.path() / "nope"));
  auto r = write_report(dir.path());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("no event log"), std::string::npos);
  testing::write_text(dir.path() / "devnet.json", "{\"nodes\": 5}");
  EXPECT_FALSE(write_report(dir.path()));
}

// The asked-for interval: devnet.json's options.block_time_s, else the chain spec it names.
TEST(StudyReport, RequestedIntervalComesFromTheLayoutOrItsChainSpec) {
  TempDir dir;
  SyntheticRun r(2);
  r.started(0, 0, 0);
  r.started(1, 0, 0);
  r.extend(0, 100, "A1", 1, 0);
  r.extend(1, 130, "A1", 1, 1);
  const std::string nodes =
      "\"nodes\":[{\"name\":\"node0\",\"datadir\":\"node0\"},{\"name\":\"node1\",\"datadir\":\"node1\"}]";
  r.write(dir.path(), "{\"version\":1," + nodes + ",\"options\":{\"block_time_s\":2}}");
  auto run = load_run(dir.path());
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(run->requested_interval_s, 2.0);

  testing::write_text(dir.path() / "chain.json", "{\"block_interval_s\": 7}");
  r.write(dir.path(), "{\"version\":1," + nodes + ",\"chain\":\"" + (dir.path() / "chain.json").string() + "\"}");
  run = load_run(dir.path());
  ASSERT_TRUE(run) << run.error();
  EXPECT_EQ(run->requested_interval_s, 7.0);

  r.write(dir.path(), "{\"version\":1," + nodes + ",\"chain\":\"\"}");
  run = load_run(dir.path());
  ASSERT_TRUE(run) << run.error();
  EXPECT_FALSE(run->requested_interval_s);
}

TEST(StudyReport, WithoutLayoutUsesSubdirectories) {
  TempDir dir;
  SyntheticRun r(2);
  r.started(0, 0, 0);
  r.started(1, 0, 0);
  r.extend(0, 100, "A1", 1, 0);
  r.extend(1, 130, "A1", 1, 1);
  r.write(dir.path());
  std::filesystem::remove(dir.path() / "devnet.json");
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  ASSERT_EQ(rep->run.nodes.size(), 2u);
  EXPECT_EQ(rep->run.nodes[0].name, "node0");
  EXPECT_EQ(rep->analysis.propagation.connected_delay_ms.p50, 30);
  EXPECT_FALSE(rep->analysis.propagation.has_topology);
  EXPECT_TRUE(rep->analysis.convergence.all_converged);
}

TEST(StudyReport, InclusionWhenBlocksListTxids) {
  TempDir dir;
  SyntheticRun r(2);
  r.started(0, 0, 0);
  r.started(1, 0, 0);
  r.tx_accepted(1, 50, "t1", 0);
  r.tx_accepted(0, 60, "t1", 1);
  r.header(0, 400, "A1", 1, 0);
  r.event(0, 400, "block_connected",
          "\"hash\":\"" + hash_of("A1") + "\",\"height\":1,\"txs\":2,\"txids\":[\"" + hash_of("t1") + "\"]");
  r.tip_changed(0, 400, "G", "A1", 1);
  r.write(dir.path());
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  EXPECT_TRUE(rep->analysis.tx.inclusion_available);
  EXPECT_EQ(rep->analysis.tx.included, 1u);
  EXPECT_EQ(rep->analysis.tx.inclusion_ms.p50, 350);
  for (const auto& l : rep->analysis.limitations) EXPECT_FALSE(l.starts_with("tx_inclusion")) << l;
}

TEST(StudyReport, EscapesTextFromLogsAndLayout) {
  TempDir dir;
  SyntheticRun r(1);
  r.started(0, 0, 0);
  r.extend(0, 100, "A1", 1, 0);
  r.raw(0, "<script>alert(1)</script>");
  r.write(dir.path(), R"({"nodes":[{"name":"<b>x&\"y\"</b>","datadir":"node0"}],"topology":"random:3"})");
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  std::ifstream in(rep->html_path);
  const std::string html((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(html.find("<b>x"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;x&amp;&quot;y&quot;&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(rep->analysis.malformed, 1u);
  // random:K lists no edges: hop counts are skipped and the layout warning says so.
  EXPECT_FALSE(rep->analysis.propagation.has_topology);
  ASSERT_FALSE(rep->run.warnings.empty());
}

// tally-devnet puts the nodes named in no group into one more group: a block from node2
// reaches node3 (both unlisted) but not node0 or node1.
TEST(StudyReport, UnlistedNodesShareOnePartitionGroup) {
  TempDir dir;
  SyntheticRun r(4);
  for (int n = 0; n < 4; ++n) r.started(n, 0, 0);
  r.control_event(100, "partition", "\"groups\":[[0,1]]");
  r.extend(2, 200, "A1", 1, 0);
  r.extend(3, 210, "A1", 1, 1);
  r.control_event(300, "heal");
  for (int n : {0, 1}) r.extend(n, 400, "A1", 1, 1);
  r.write(dir.path());
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  ASSERT_EQ(rep->analysis.blocks.size(), 1u);
  const BlockInfo& b = rep->analysis.blocks[0];
  EXPECT_EQ(b.reachable_count, 2u);
  EXPECT_TRUE(b.reachable[3]);
  EXPECT_FALSE(b.reachable[0]);
  EXPECT_EQ(b.connected.t100_ms, 10);
  ASSERT_EQ(rep->analysis.agreement.heals.size(), 1u);
  EXPECT_EQ(rep->analysis.agreement.heals[0].time_to_agreement_ms, 100);
}

TEST(StudyReport, WarnsWhenTheLayoutShowsAPartitionButNoneIsLogged) {
  TempDir dir;
  SyntheticRun r(2);
  r.started(0, 0, 0);
  r.started(1, 0, 0);
  r.write(dir.path(), R"({"nodes":[{"name":"a","datadir":"node0"},{"name":"b","datadir":"node1"}],"partition":[[0],[1]]})");
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  ASSERT_EQ(rep->run.warnings.size(), 1u);
  EXPECT_NE(rep->run.warnings[0].find("control.jsonl"), std::string::npos);
}

// A node whose tip extends the majority tip is ahead; one on a branch is diverged, and the
// common prefix ends at the branch's fork point.
TEST(StudyReport, ClassifiesNodesOffTheMajorityTip) {
  TempDir dir;
  SyntheticRun r(5);
  for (int n = 0; n < 5; ++n) r.started(n, 0, 0);
  for (int n = 0; n < 5; ++n) r.extend(n, 100 + n, "A1", 1, n == 0 ? 0 : 1);
  for (int n = 0; n < 5; ++n) r.extend(n, 200 + n, "A2", 2, n == 0 ? 0 : 1);
  for (int n = 0; n < 3; ++n) r.extend(n, 300 + n, "A3", 3, n == 0 ? 0 : 1);
  r.extend(3, 310, "A3", 3, 1);
  r.extend(3, 400, "A4", 4, 0);  // node3 mined on top: ahead
  r.extend(4, 300, "X3", 3, 0);  // node4 mined a competitor of A3: diverged at height 2
  r.write(dir.path());
  auto rep = write_report(dir.path());
  ASSERT_TRUE(rep) << rep.error();
  const auto& a = rep->analysis;
  EXPECT_EQ(a.convergence.majority_tip, hash_of("A3"));
  EXPECT_EQ(a.nodes[0].relation, TipRelation::kOnTip);
  EXPECT_EQ(a.nodes[3].relation, TipRelation::kAhead);
  EXPECT_EQ(a.nodes[3].shared_height, 3);
  EXPECT_EQ(a.nodes[4].relation, TipRelation::kDiverged);
  EXPECT_EQ(a.nodes[4].shared_height, 2);
  EXPECT_EQ(a.convergence.common_prefix_height, 2);
  EXPECT_EQ(a.forks.stale_blocks, 2u);  // A4 and X3 are not on the final chain
}

// Arbitrary bytes, valid lines with absurd values and shuffled orders never crash the report.
TEST(StudyReport, SurvivesArbitraryLogs) {
  const auto seed = support::test_seed();
  ASSERT_TRUE(seed) << seed.error();
  SCOPED_TRACE(seed->trace);
  std::mt19937_64 rng(seed->value);
  const std::vector<std::string> pieces{
      "{", "}", "\"ts_us\":", "\"event\":", "\"tip_changed\"", "\"reorg\"", "\"header_seen\"", "\"block_connected\"",
      ",", "\"node\":\"n\"", "\"hash\":\"" + hash_of("A") + "\"", "\"old_tip\":\"" + hash_of("B") + "\"",
      "\"new_tip\":\"" + hash_of("A") + "\"", "\"height\":", "\"depth\":", "\"peer\":0", "\"txs\":1", "0", "1",
      "18446744073709551615", "-3", "9223372036854775807", "\n", "\xff", "null"};
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    SyntheticRun r(3);
    for (int node = 0; node < 3; ++node) {
      std::string text;
      for (int i = 0; i < 300; ++i) text += pieces[rng() % pieces.size()];
      r.raw(node, text);
      // Plausible events with random heights, times and tips.
      for (int i = 0; i < 40; ++i) {
        std::string a = "b", b = "b";
        a += std::to_string(rng() % 12);
        b += std::to_string(rng() % 12);
        const int h = static_cast<int>(rng() % 6);
        const std::int64_t ms = static_cast<std::int64_t>(rng() % 5000);
        switch (rng() % 5) {
          case 0: r.header(node, ms, a, h, static_cast<int>(rng() % 3)); break;
          case 1: r.connected(node, ms, a, h); break;
          case 2: r.tip_changed(node, ms, a, b, h); break;
          case 3: r.reorg(node, ms, a, b, static_cast<int>(rng() % 4)); break;
          default: r.event(node, ms, rng() % 2 ? "node_started" : "node_stopped", "\"height\":1"); break;
        }
      }
    }
    r.control(R"({"ts_us":1700000000001000,"event":"partition","groups":[[0],[1,2]]})");
    r.control(R"({"ts_us":1700000000000500,"event":"heal"})");
    r.write(dir.path());
    auto rep = write_report(dir.path());
    ASSERT_TRUE(rep) << rep.error();
    EXPECT_GT(rep->analysis.malformed, 0u);
  }
}

}  // namespace
}  // namespace tally::study
