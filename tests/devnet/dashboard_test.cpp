// The live dashboard (`tally-devnet dashboard`): its model (the block tree's tips and branch
// ends, wanted headers, propagation, peer edges, marks) from made-up inputs, and the real
// thing: a 4-node devnet whose dashboard page headless Chromium opens with no console errors;
// after a partition with both sides mining the block tree shows two tips, after the heal one.
// Screenshots are kept in $TALLY_SCREENSHOT_DIR (default: <tmp>/tally-screenshots), and the
// test prints where (dashboard-partitioned.png, dashboard-healed.png).
// The Chromium part skips without Chromium (scripts/install-deps.sh installs it).
#include "devnet/dashboard.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "devnet/dashboard_model.h"
#include "devnet/devnet.h"
#include "fast_chain.h"
#include "rpc/rpc_client.h"
#include "support/temp_dir.h"
#include "tests/chromium.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::wait_until;

std::string h(char c) { return std::string(64, c); }

NodeStatus up_node(std::size_t i, std::uint32_t height, const std::string& tip) {
  NodeStatus n;
  n.index = i;
  n.name = "node" + std::to_string(i);
  n.up = true;
  n.height = height;
  n.tip = tip;
  return n;
}

TEST(DashboardModel, TwoSidesOfAPartitionAreTwoTipsAndTheTreeFillsFromWantedHeaders) {
  Layout l;
  l.dir = "/tmp/d";
  for (std::size_t i = 0; i < 4; ++i) {
    NodeRecord n;
    n.index = i;
    n.name = "node" + std::to_string(i);
    n.p2p_port = static_cast<std::uint16_t>(20000 + i);
    l.nodes.push_back(n);
  }
  DashboardModel m;
  m.set_layout(l);
  m.on_outbound_peers(1, {"127.0.0.1:20000", "10.9.9.9:1"});
  StatusReport r;
  r.nodes = {up_node(0, 3, h('a')), up_node(1, 3, h('a')), up_node(2, 3, h('b')), up_node(3, 3, h('b'))};
  r.partition = {{0, 1}, {2, 3}};
  m.on_status(r);
  auto wanted = m.wanted_headers(10);
  ASSERT_EQ(wanted.size(), 2u);
  EXPECT_EQ(wanted[0], std::make_pair(h('a'), std::size_t{0}));
  EXPECT_EQ(wanted[1], std::make_pair(h('b'), std::size_t{2}));
  // a and b fork from c (height 2), whose parent d (height 1) is still missing.
  m.on_header(h('a'), h('c'), 3);
  m.on_header(h('b'), h('c'), 3);
  wanted = m.wanted_headers(10);
  ASSERT_EQ(wanted.size(), 1u);
  EXPECT_EQ(wanted[0].first, h('c'));
  m.on_header(h('c'), h('d'), 2);
  m.on_header(h('d'), "", 1);
  EXPECT_TRUE(m.wanted_headers(10).empty());

  events::Event seen = events::make_event(events::EventType::kHeaderSeen, 1'000'000, "node0");
  seen.hash = h('a');
  m.on_event(0, seen);
  seen.ts_us = 1'004'000;
  m.on_event(1, seen);
  m.on_control(events::make_control_event(events::ControlType::kHeal, 5));

  const json::object s = m.snapshot(2'000'000);
  EXPECT_EQ(s.at("tips").to_number<std::int64_t>(), 2);
  EXPECT_EQ(s.at("leaves").to_number<std::int64_t>(), 2);
  EXPECT_EQ(s.at("blocks").as_array().size(), 4u);
  EXPECT_EQ(s.at("edges").as_array().size(), 1u) << "only endpoints of the devnet's nodes are edges";
  const json::object& p = s.at("propagation").as_array().at(0).as_object();
  EXPECT_EQ(p.at("hash").as_string(), h('a'));
  EXPECT_DOUBLE_EQ(p.at("delay_ms").at("1").as_double(), 4.0);
  EXPECT_EQ(s.at("partition").as_array().size(), 2u);
  EXPECT_EQ(s.at("marks").as_array().at(0).at("event").as_string(), "heal");
}

class DashboardTest : public testing::DevnetFixture {
 protected:
  void SetUp() override { make_dir("tally-devnet-dashboard"); }

  json::object state() {
    rpc::RpcClient c("127.0.0.1", dashboard_->port(), rpc::Credentials{}, 5s);
    auto r = c.get("/api/state", false);
    if (!r || r->first != 200) return {};
    boost::system::error_code ec;
    auto v = json::parse(r->second, ec);
    return !ec && v.is_object() ? v.as_object() : json::object{};
  }
  std::int64_t tips() {
    auto s = state();
    return s.contains("tips") ? s.at("tips").to_number<std::int64_t>() : -1;
  }

  static std::filesystem::path screenshot_dir() {
    const char* env = std::getenv("TALLY_SCREENSHOT_DIR");
    std::filesystem::path dir = env && *env ? env : std::filesystem::temp_directory_path() / "tally-screenshots";
    std::filesystem::create_directories(dir);
    return dir;
  }

  // The page as headless Chromium leaves it after a few seconds of its own polling; a
  // screenshot of it is kept as `png` in screenshot_dir().
  std::string render(const std::string& png) {
    const std::string url = "http://127.0.0.1:" + std::to_string(dashboard_->port()) + "/";
    support::TempDir work("tally-chromium");
    auto shot_args = chromium::chromium_args(work.path() / "shot");
    shot_args.insert(shot_args.end(), {"--virtual-time-budget=3000", "--window-size=1200,1000",
                                       "--screenshot=" + (screenshot_dir() / png).string(), url});
    const auto shot = chromium::run_bounded(shot_args, 90s);
    EXPECT_TRUE(shot.finished) << shot.err;
    EXPECT_TRUE(chromium::console_errors(shot.err).empty()) << shot.err;
    std::cerr << "screenshot: " << (screenshot_dir() / png).string() << "\n";
    auto dom_args = chromium::chromium_args(work.path() / "dom");
    dom_args.insert(dom_args.end(), {"--virtual-time-budget=3000", "--dump-dom", url});
    const auto dom = chromium::run_bounded(dom_args, 90s);
    EXPECT_TRUE(dom.finished) << dom.err;
    EXPECT_TRUE(chromium::console_errors(dom.err).empty()) << dom.err;
    return dom.out;
  }

  std::unique_ptr<Dashboard> dashboard_;
};

TEST_F(DashboardTest, ChromiumShowsTwoBranchesWhilePartitionedAndOneAfterTheHeal) {
  if (!std::filesystem::exists(chromium::chromium_path()))
    GTEST_SKIP() << chromium::chromium_path() << " is not installed (scripts/install-deps.sh installs it)";
  const UpOptions o = fast_options(4, "ring", {0, 2});
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  auto d = Dashboard::start(o.dir, 0);
  ASSERT_TRUE(d) << d.error();
  dashboard_ = std::move(*d);
  ASSERT_TRUE(wait_until([&] { return tips() == 1 && state().at("blocks").as_array().size() > 3; }, 60s))
      << json::serialize(state());

  ASSERT_TRUE(net_->partition({{0, 1}, {2, 3}}));
  // Each side's miner goes on mining: for the moment a new block has reached one node of its
  // side but not the other, the page shows three tips. Render again (bounded) until it shows
  // the two branches.
  std::string dom;
  for (int attempt = 0; attempt < 4; ++attempt) {
    ASSERT_TRUE(wait_until([&] { return tips() == 2; }, 60s)) << json::serialize(state());
    dom = render("dashboard-partitioned.png");
    if (dom.find("data-tips=\"2\"") != std::string::npos) break;
    std::cerr << "partitioned render " << attempt << " showed another tip count; rendering again\n";
  }
  EXPECT_NE(dom.find("data-tips=\"2\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_NE(dom.find("now partitioned: {0,1} {2,3}"), std::string::npos);

  ASSERT_TRUE(net_->heal());
  ASSERT_TRUE(wait_until([&] { return tips() == 1; }, 60s)) << json::serialize(state());
  // Healed, both miners mine on one chain again, and two blocks found a moment apart can
  // make a short-lived fork (two tips) while Chromium renders: render again, a bounded
  // number of times, until the page shows the one tip.
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (attempt > 0) {
      ASSERT_TRUE(wait_until([&] { return tips() == 1; }, 60s)) << json::serialize(state());
    }
    dom = render("dashboard-healed.png");
    if (dom.find("data-tips=\"1\"") != std::string::npos) break;
    std::cerr << "healed render " << attempt << " showed another tip count; rendering again\n";
  }
  EXPECT_NE(dom.find("data-tips=\"1\""), std::string::npos) << dom.substr(0, 3000);
  EXPECT_NE(dom.find("partition {0,1} {2,3}"), std::string::npos) << "the partition stays marked";
  EXPECT_NE(dom.find("heal"), std::string::npos);
  dashboard_->stop();
}

}  // namespace
}  // namespace tally::devnet
