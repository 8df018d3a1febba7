// Prometheus registry: text format details, escaping, histogram buckets, ordering, misuse,
// and `promtool check metrics` over a rendering with every metric kind.
#include "rpc/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "support/process.h"
#include "support/temp_dir.h"

namespace tally::rpc {
namespace {

bool contains(const std::string& text, const std::string& line) { return text.find(line) != std::string::npos; }

TEST(Metrics, CounterAndGaugeLines) {
  Metrics m;
  m.counter_add("tally_blocks_total", "Blocks connected.", {}, {});
  m.counter_add("tally_blocks_total", "Blocks connected.", {}, {}, 2);
  m.gauge_set("tally_height", "Tip height.", {}, {}, 17);
  m.gauge_set("tally_height", "Tip height.", {}, {}, 18);
  m.gauge_set("tally_ratio", "A ratio.", {}, {}, 0.25);
  const std::string out = m.render();
  EXPECT_TRUE(contains(out, "# HELP tally_blocks_total Blocks connected.\n# TYPE tally_blocks_total counter\n"
                            "tally_blocks_total 3\n"));
  EXPECT_TRUE(contains(out, "# TYPE tally_height gauge\ntally_height 18\n"));
  EXPECT_TRUE(contains(out, "tally_ratio 0.25\n"));
}

TEST(Metrics, LabelsAreEscapedAndSorted) {
  Metrics m;
  m.counter_add("tally_x_total", "Help with \\ and\nnewline.", {"peer", "kind"}, {"b", "q\"uote"});
  m.counter_add("tally_x_total", "", {"peer", "kind"}, {"a", "back\\slash\nnl"});
  const std::string out = m.render();
  EXPECT_TRUE(contains(out, "# HELP tally_x_total Help with \\\\ and\\nnewline.\n"));
  const auto a = out.find("tally_x_total{peer=\"a\",kind=\"back\\\\slash\\nnl\"} 1\n");
  const auto b = out.find("tally_x_total{peer=\"b\",kind=\"q\\\"uote\"} 1\n");
  ASSERT_NE(a, std::string::npos) << out;
  ASSERT_NE(b, std::string::npos) << out;
  EXPECT_LT(a, b) << "series in label order";
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInf) {
  Metrics m;
  const std::vector<double> buckets = {0.125, 1, 0.5};  // unsorted on purpose
  for (double v : {0.0625, 0.125, 0.25, 0.75, 2.0, 5.0})
    m.histogram_observe("tally_latency_seconds", "Latency.", buckets, {"method"}, {"getblock"}, v);
  const std::string out = m.render();
  EXPECT_TRUE(contains(out, "# TYPE tally_latency_seconds histogram\n"));
  EXPECT_TRUE(contains(out, "tally_latency_seconds_bucket{method=\"getblock\",le=\"0.125\"} 2\n")) << out;
  EXPECT_TRUE(contains(out, "tally_latency_seconds_bucket{method=\"getblock\",le=\"0.5\"} 3\n"));
  EXPECT_TRUE(contains(out, "tally_latency_seconds_bucket{method=\"getblock\",le=\"1\"} 4\n"));
  EXPECT_TRUE(contains(out, "tally_latency_seconds_bucket{method=\"getblock\",le=\"+Inf\"} 6\n"));
  EXPECT_TRUE(contains(out, "tally_latency_seconds_sum{method=\"getblock\"} 8.1875\n"));
  EXPECT_TRUE(contains(out, "tally_latency_seconds_count{method=\"getblock\"} 6\n"));
}

TEST(Metrics, UnlabelledHistogram) {
  Metrics m;
  m.histogram_observe("tally_h", "H.", {1, 2}, {}, {}, 1.5);
  const std::string out = m.render();
  EXPECT_TRUE(contains(out, "tally_h_bucket{le=\"1\"} 0\ntally_h_bucket{le=\"2\"} 1\ntally_h_bucket{le=\"+Inf\"} 1\n"
                            "tally_h_sum 1.5\ntally_h_count 1\n"))
      << out;
}

TEST(Metrics, FamiliesRenderInNameOrder) {
  Metrics m;
  m.gauge_set("tally_z", "z", {}, {}, 1);
  m.gauge_set("tally_a", "a", {}, {}, 1);
  m.counter_add("tally_m_total", "m", {}, {});
  const std::string out = m.render();
  EXPECT_LT(out.find("tally_a"), out.find("tally_m_total"));
  EXPECT_LT(out.find("tally_m_total"), out.find("tally_z"));
  EXPECT_EQ(out, m.render()) << "stable";
}

TEST(Metrics, SpecialValues) {
  Metrics m;
  m.gauge_set("tally_inf", "i", {}, {}, std::numeric_limits<double>::infinity());
  m.gauge_set("tally_nan", "n", {}, {}, std::numeric_limits<double>::quiet_NaN());
  m.gauge_set("tally_big", "b", {}, {}, 1e21);
  const std::string out = m.render();
  EXPECT_TRUE(contains(out, "tally_inf +Inf\n"));
  EXPECT_TRUE(contains(out, "tally_nan NaN\n"));
  EXPECT_TRUE(contains(out, "tally_big 1e+21\n"));
}

TEST(Metrics, MisuseThrows) {
  Metrics m;
  EXPECT_THROW(m.gauge_set("bad name", "", {}, {}, 1), std::invalid_argument);
  EXPECT_THROW(m.gauge_set("9lives", "", {}, {}, 1), std::invalid_argument);
  EXPECT_THROW(m.gauge_set("tally_g", "", {"bad-label"}, {"x"}, 1), std::invalid_argument);
  EXPECT_THROW(m.histogram_observe("tally_h", "", {1}, {"le"}, {"x"}, 1), std::invalid_argument);
  m.gauge_set("tally_g", "", {"a"}, {"x"}, 1);
  EXPECT_THROW(m.gauge_set("tally_g", "", {"a"}, {"x", "y"}, 1), std::invalid_argument);
  EXPECT_THROW(m.gauge_set("tally_g", "", {"b"}, {"x"}, 1), std::logic_error);
  EXPECT_THROW(m.counter_add("tally_g", "", {"a"}, {"x"}), std::logic_error);
  EXPECT_THROW(m.counter_add("tally_c_total", "", {}, {}, -1), std::invalid_argument);
}

TEST(Metrics, ConcurrentUpdatesAreCounted) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 1000; ++i) {
        m.counter_add("tally_c_total", "c", {"t"}, {std::to_string(t % 2)});
        m.histogram_observe("tally_h_seconds", "h", {0.5}, {}, {}, 1.0);
        if (i % 100 == 0) (void)m.render();
      }
    });
  for (auto& t : threads) t.join();
  const std::string out = m.render();
  EXPECT_TRUE(contains(out, "tally_c_total{t=\"0\"} 2000\n"));
  EXPECT_TRUE(contains(out, "tally_c_total{t=\"1\"} 2000\n"));
  EXPECT_TRUE(contains(out, "tally_h_seconds_count 4000\n"));
}

// Every metric kind, labelled and not, with characters that need escaping.
std::string every_kind() {
  Metrics m;
  m.counter_add("tally_rpc_requests_total", "JSON-RPC calls \"answered\".", {"method", "result"}, {"getblock", "ok"}, 3);
  m.counter_add("tally_rpc_requests_total", "", {"method", "result"}, {"we\"ird\\na\nme", "error"});
  m.counter_add("tally_plain_total", "No labels.", {}, {});
  m.gauge_set("tally_chain_height", "Tip height.", {}, {}, 123);
  m.gauge_set("tally_peers", "Peers.", {"direction"}, {"inbound"}, 2);
  m.gauge_set("tally_peers", "Peers.", {"direction"}, {"outbound"}, 8);
  m.gauge_set("tally_weird", "Special values.", {"v"}, {"nan"}, std::numeric_limits<double>::quiet_NaN());
  m.gauge_set("tally_weird", "Special values.", {"v"}, {"inf"}, -std::numeric_limits<double>::infinity());
  for (double v : {0.0001, 0.003, 0.2, 40.0})
    m.histogram_observe("tally_rpc_request_duration_seconds", "Latency.", {0.001, 0.01, 0.1, 1, 10}, {"method"},
                        {"getblockcount"}, v);
  m.histogram_observe("tally_block_size_bytes", "Sizes.", {1000, 100000}, {}, {}, 5000);
  return m.render();
}

TEST(Metrics, PromtoolAcceptsEveryKind) {
  const char* promtool = "/usr/bin/promtool";
  if (::access(promtool, X_OK) != 0) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const std::string text = every_kind();
  const support::TempDir dir("tally-metrics");
  const auto path = dir / "every_kind.prom";
  {
    std::ofstream f(path);
    f << text;
  }
  support::SpawnOptions promtool_check;
  promtool_check.argv = {promtool, "check", "metrics"};
  promtool_check.stdin_from = path;
  promtool_check.out = support::Redirect::capture();
  promtool_check.err = support::Redirect::to_stdout();
  auto r = support::run(promtool_check, std::chrono::seconds(60));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->exit_code, 0) << "promtool said:\n" << r->out << "\non:\n" << text;
  // promtool prints lint problems (e.g. counters without _total) even when it exits 0.
  EXPECT_EQ(r->out, "") << text;
}

}  // namespace
}  // namespace tally::rpc
