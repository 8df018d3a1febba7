// tally-devnet's `--net netns` mode against real tallyd processes, each in its own network
// namespace on a bridge: a line of three nodes syncs, --rate puts a tbf qdisc on every
// node's veth, a {0} {1,2} partition (nftables drop rules) lets the two mining sides diverge
// and healing converges them, and down removes every namespace and leaves no process. A
// latency request on a kernel without netem fails with a clear error and leaves nothing.
//
// Needs root and working `ip netns` (skipped otherwise). Every namespace and process is
// removed in TearDown (down()), and the nodes get SIGTERM should the test process die.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "base/files.h"
#include "devnet/devnet.h"
#include "devnet/netns.h"
#include "devnet/process.h"
#include "ledger/embedded_spec.h"
#include "fast_chain.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

using testing::wait_until;

bool namespace_listed(const std::string& name) {
  auto list = run_command({"ip", "netns", "list"});
  if (!list) return false;
  return list->find(name + " ") != std::string::npos || list->find(name + "\n") != std::string::npos;
}

// check_netns_support() as an unprivileged user: as root, in a child that drops to nobody
// (uid and gid 65534) first, so the refusal is checked whoever runs the suite.
std::string netns_support_error_without_root() {
  if (::geteuid() != 0) {
    auto r = check_netns_support();
    return r ? std::string() : r.error();
  }
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    std::string out = "could not drop root";
    if (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 && ::setresuid(65534, 65534, 65534) == 0) {
      auto r = check_netns_support();
      out = r ? std::string() : r.error();
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return out;
}

TEST(DevnetNetnsOptions, WithoutRootSaysSoAndOffersLoopback) {
  const std::string error = netns_support_error_without_root();
  ASSERT_FALSE(error.empty()) << "netns support was reported without root";
  EXPECT_NE(error.find("needs root"), std::string::npos) << error;
  EXPECT_NE(error.find("loopback"), std::string::npos) << error;
}

TEST(DevnetNetnsOptions, NamesFitInterfacesAndRoundTrip) {
  NetnsPlan p;
  p.prefix = "tly1a2b";
  p.subnet = 7;
  p.nodes = 250;
  EXPECT_LE(p.host_veth(249).size(), 15u);
  EXPECT_LE(p.node_veth(249).size(), 15u);
  EXPECT_LE(p.bridge().size(), 15u);
  EXPECT_EQ(p.node_ip(0), "10.213.7.1");
  EXPECT_EQ(p.bridge_ip(), "10.213.7.254");
  auto back = netns_plan_from_json(to_json(p));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->prefix, p.prefix);
  EXPECT_EQ(back->subnet, p.subnet);
  EXPECT_EQ(back->nodes, p.nodes);
}

TEST(DevnetNetnsOptions, LayoutRecordsHostsAndNamespaces) {
  Layout l;
  l.dir = "/tmp/d";
  l.net = "netns";
  NetnsPlan p;
  p.prefix = "tly00ff";
  p.subnet = 9;
  p.nodes = 1;
  l.netns = to_json(p);
  NodeRecord n;
  n.name = "node0";
  n.datadir = "/tmp/d/node0";
  n.host = p.node_ip(0);
  n.netns = p.ns(0);
  n.p2p_port = 20444;
  l.nodes.push_back(n);
  auto back = layout_from_json(to_json(l));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->net, "netns");
  EXPECT_EQ(back->nodes[0].host, "10.213.9.1");
  EXPECT_EQ(back->nodes[0].netns, "tly00ff-0");
  EXPECT_EQ(back->nodes[0].p2p_endpoint(), "10.213.9.1:20444");
  auto plan = netns_plan_from_json(back->netns);
  ASSERT_TRUE(plan) << plan.error();
  EXPECT_EQ(plan->bridge(), "tly00ff-br");
}

TEST(DevnetNetnsOptions, LossNeedsNetns) {
  UpOptions o;
  o.dir = "/tmp/d";
  o.loss = "1%";
  EXPECT_FALSE(validate(o));
  o.net = "netns";
  EXPECT_TRUE(validate(o));
  o.loss = "lots";
  EXPECT_FALSE(validate(o));
}

class DevnetNetnsTest : public testing::DevnetFixture {
 protected:
  void SetUp() override {
    if (auto ok = check_netns_support(); !ok) GTEST_SKIP() << ok.error();
    make_dir("tally-devnet-netns");
  }

  UpOptions options(const std::string& sub) const {
    UpOptions o;
    o.nodes = 3;
    o.topology = *parse_topology("line");
    o.miner_nodes = {0, 2};
    o.miners = 2;
    o.dir = dir_ / sub;
    o.tallyd = TALLYD_PATH;
    o.chain = chain_file_;
    o.start_timeout = 20s;
    o.stop_with_parent = true;
    o.net = "netns";
    return o;
  }

  bool all_agree() {
    last_ = net_->status();
    return last_.up == last_.nodes.size() && last_.tips_agree() && last_.best_height > 3;
  }

  StatusReport last_;
};

TEST_F(DevnetNetnsTest, LineSyncsShapesPartitionsHealsAndGoesDown) {
  UpOptions o = options("devnet");
  o.rate = "20mbit";
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  const Layout l = net_->layout();
  ASSERT_EQ(l.net, "netns");
  auto plan = netns_plan_from_json(l.netns);
  ASSERT_TRUE(plan) << plan.error();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(namespace_listed(plan->ns(i))) << plan->ns(i);
    EXPECT_EQ(l.nodes[i].host, plan->node_ip(i));
    auto q = run_command({"tc", "-n", plan->ns(i), "qdisc", "show", "dev", plan->node_veth(i)});
    ASSERT_TRUE(q) << q.error();
    EXPECT_NE(q->find("tbf"), std::string::npos) << *q;
  }

  ASSERT_TRUE(wait_until([&] { return all_agree(); }, 20s)) << render_status(last_);

  ASSERT_TRUE(net_->partition({{0}, {1, 2}}));
  ASSERT_TRUE(wait_until([&] {
    const std::string a = tip(0), b = tip(2);
    return !a.empty() && !b.empty() && a != b && tip(1) == b;
  }, 15s)) << render_status(net_->status());
  // Stays split for a while: no block crosses the cut.
  std::this_thread::sleep_for(2s);
  EXPECT_NE(tip(0), tip(1));

  ASSERT_TRUE(net_->heal());
  ASSERT_TRUE(wait_until([&] { return all_agree(); }, 25s)) << render_status(last_);

  std::vector<int> pids;
  for (const NodeRecord& n : net_->layout().nodes)
    for (int pid : live_pids(n)) pids.push_back(pid);
  EXPECT_EQ(pids.size(), 3u);
  auto d = net_->down(false);
  ASSERT_TRUE(d) << d.error();
  net_.reset();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(namespace_listed(plan->ns(i))) << plan->ns(i);
  auto links = run_command({"ip", "-o", "link", "show"});
  ASSERT_TRUE(links);
  EXPECT_EQ(links->find(plan->prefix), std::string::npos) << *links;
  for (int pid : pids) EXPECT_FALSE(process_running(pid)) << pid;
}

// --discovery in namespaces: every node has its own address (one /16 group for all, unlike
// loopback's one group per endpoint), and 12 nodes still find each other from one seed.
TEST_F(DevnetNetnsTest, DiscoveryOfTwelveNodesFillsOutboundSlotsFromGossip) {
  UpOptions o = options("discovery");
  o.nodes = 12;
  o.miner_nodes = {0};
  o.miners = 1;
  o.discovery = true;
  o.seed_nodes = 1;
  o.tallyd_args = {"--maxoutbound", "4"};  // see DevnetProcessTest.DiscoveryDevnet...
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  ASSERT_TRUE(wait_until(
      [&] {
        if (!all_agree()) return false;
        for (const NodeStatus& n : last_.nodes)
          if (n.index >= o.seed_nodes && n.outbound < 2) return false;
        return true;
      },
      60s))
      << render_status(last_);
}

TEST_F(DevnetNetnsTest, NetemRequestWithoutNetemIsAClearError) {
  UpOptions o = options("netem");
  o.latency = "50ms";
  auto probe_plan = plan_netns(o.dir, 1);
  ASSERT_TRUE(probe_plan) << probe_plan.error();
  auto created = netns_create(*probe_plan);
  const bool has_netem = created && netem_available(*probe_plan);
  (void)netns_teardown(*probe_plan);
  ASSERT_TRUE(created) << created.error();
  if (has_netem) GTEST_SKIP() << "this kernel has netem";

  auto up = Devnet::up(o);
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().find("netem"), std::string::npos) << up.error();
  EXPECT_NE(up.error().find("loopback"), std::string::npos) << up.error();
  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(namespace_listed(probe_plan->ns(i)));
  auto links = run_command({"ip", "-o", "link", "show"});
  ASSERT_TRUE(links);
  EXPECT_EQ(links->find(probe_plan->prefix), std::string::npos) << *links;
}

}  // namespace
}  // namespace tally::devnet
