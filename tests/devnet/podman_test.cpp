// tally-devnet's `--engine podman` against real containers of the image scripts/image.sh
// builds from this build's binaries: four containers on a network of their own converge on
// one tip and one state root, a {0,1} {2,3} partition by RPC lets the two mining sides
// diverge, healing converges them, load reaches them, the report is written from the event
// logs in the bind-mounted datadirs, and down removes every container and the network.
//
// Needs root, podman and an image (built here when this is a release build; a sanitizer
// build uses an image already built, else skips). Skipped with the reason otherwise; CI
// installs podman, mmdebstrap and runc (scripts/install-deps.sh) so that it runs there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "devnet/containers.h"
#include "devnet/devnet.h"
#include "devnet/netns.h"
#include "devnet/process.h"
#include "fast_chain.h"
#include "study/report.h"
#include "support/process.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

using testing::wait_until;

// The image of this build: scripts/image.sh with the build's binaries. Empty when built, else why not.
std::string build_image() {
  const std::filesystem::path bin = std::filesystem::path(TALLYD_PATH).parent_path();
  const char* source = std::getenv("TALLY_SOURCE_DIR");
  if (source == nullptr) return "TALLY_SOURCE_DIR is not set (run the test through ctest)";
  support::SpawnOptions o;
  o.argv = {"bash", (std::filesystem::path(source) / "scripts" / "image.sh").string(), "--build-dir",
            bin.parent_path().string()};
  o.out = support::Redirect::capture();
  o.err = support::Redirect::to_stdout();
  auto r = support::run(o, std::chrono::minutes(10));
  if (!r) return r.error();
  if (r->exit_code != 0) return r->out;
  return "";
}

TEST(DevnetPodmanOptions, PlanNamesAddressesAndRecordRoundTrip) {
  ContainerPlan p;
  p.image = "tally:0.1.0";
  p.runtime = "runc";
  p.ulimits = {"nofile=20000:20000", "nproc=32768:32768"};
  p.prefix = "tly1a2b";
  p.subnet = 9;
  p.nodes = 4;
  EXPECT_EQ(p.node_ip(0), "10.214.9.2");
  EXPECT_EQ(p.gateway(), "10.214.9.1");
  EXPECT_EQ(p.container(3), "tly1a2b-node3");
  auto back = container_plan_from_json(to_json(p));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->network(), p.network());
  EXPECT_EQ(back->runtime, "runc");
  EXPECT_EQ(back->ulimits, p.ulimits);
  const auto argv = container_run_argv(p, 1, "/d", "/d/node1", "/d/node1/stdout.log", {"--datadir", "/d/node1"});
  const std::string line = support::command_line(argv);
  for (const char* want : {"--pid host", "--ip 10.214.9.3", "--runtime runc", "--ulimit nofile=20000:20000", "--ulimit nproc=32768:32768",
                           "/d:/d:ro", "/d/node1:/d/node1:U", "tally:0.1.0 --datadir /d/node1"})
    EXPECT_NE(line.find(want), std::string::npos) << want << " in " << line;

  UpOptions o;
  o.dir = "/tmp/d";
  o.engine = "podman";
  EXPECT_TRUE(validate(o));
  o.net = "netns";
  EXPECT_FALSE(validate(o)) << "containers have their own addresses";
  o.net = "loopback";
  o.engine = "lxc";
  EXPECT_FALSE(validate(o));
  o.engine = "process";
  o.image = "tally:9";
  EXPECT_FALSE(validate(o)) << "--image needs --engine podman";
}

TEST(DevnetPodmanOptions, DockerAndMissingImagesAreClearErrors) {
  auto docker = check_container_support("docker", "tally:0.1.0");
  ASSERT_FALSE(docker);
  EXPECT_NE(docker.error().find("only podman"), std::string::npos) << docker.error();
  if (::geteuid() != 0 || support::find_program("podman").empty()) return;
  auto missing = check_container_support("podman", "tally:no-such-version");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("scripts/image.sh"), std::string::npos) << missing.error();
}

class DevnetPodmanTest : public testing::DevnetFixture {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (rootful podman)";
    if (support::find_program("podman").empty() || support::find_program("mmdebstrap").empty())
      GTEST_SKIP() << "podman or mmdebstrap is not installed (bash scripts/install-deps.sh installs them)";
    if (const std::string why = build_image(); !why.empty()) {
      if (auto ok = check_container_support("podman", default_image()); !ok)
        GTEST_SKIP() << "no image: scripts/image.sh failed (" << why << ") and " << ok.error();
      std::cerr << "using the existing image " << default_image() << ": scripts/image.sh says " << why << "\n";
    }
    if (auto ok = check_container_support("podman", default_image()); !ok) GTEST_SKIP() << ok.error();
    make_dir("tally-devnet-podman");
  }

  bool all_agree(std::uint32_t above) {
    last_ = net_->status();
    if (last_.up != last_.nodes.size() || !last_.tips_agree() || last_.best_height <= above) return false;
    for (const NodeStatus& n : last_.nodes)
      if (n.stateroot != last_.nodes[0].stateroot) return false;
    return true;
  }

  StatusReport last_;
};

TEST_F(DevnetPodmanTest, FourContainersConvergePartitionHealLoadReportAndGoDown) {
  UpOptions o = fast_options(4, "ring", {0, 2});
  o.tallyd.clear();  // the image's tallyd
  o.stop_with_parent = false;  // containers outlive their starter; TearDown takes them down
  o.start_timeout = 60s;
  o.engine = "podman";
  o.latency = "5ms";  // in-node shaping works in containers too
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  const Layout l = net_->layout();
  ASSERT_EQ(l.net, "podman");
  auto plan = container_plan_from_json(l.containers);
  ASSERT_TRUE(plan) << plan.error();
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(l.nodes[i].host, plan->node_ip(i));
    auto state = run_command({"podman", "inspect", "--format", "{{.State.Running}} {{.Config.User}}", plan->container(i)});
    ASSERT_TRUE(state) << state.error();
    EXPECT_EQ(*state, "true 10001:10001\n") << "runs as the image's non-root user";
    EXPECT_EQ(live_pids(l.nodes[i]).size(), 1u) << l.nodes[i].name;
  }
  ASSERT_TRUE(wait_until([&] { return all_agree(3); }, 60s)) << render_status(last_);

  // Load over RPC, from the host to the containers' addresses.
  auto load = net_->load(20, 3);
  ASSERT_TRUE(load) << load.error();
  EXPECT_GT(load->accepted, 20u) << to_string(*load);

  ASSERT_TRUE(net_->partition({{0, 1}, {2, 3}}));
  ASSERT_TRUE(wait_until([&] {
    const std::string a = tip(0), b = tip(2);
    return !a.empty() && !b.empty() && a != b && tip(1) == a && tip(3) == b;
  }, 30s)) << render_status(net_->status());
  ASSERT_TRUE(net_->heal());
  const std::uint32_t split_height = net_->status().best_height;
  ASSERT_TRUE(wait_until([&] { return all_agree(split_height); }, 60s)) << render_status(last_);

  // Stop and start one container: it comes back on its datadir and catches up.
  ASSERT_TRUE(net_->stop(3));
  EXPECT_TRUE(live_pids(net_->layout().nodes[3]).empty());
  auto started = net_->start(3);
  ASSERT_TRUE(started) << started.error();
  ASSERT_TRUE(wait_until([&] { return all_agree(split_height + 1); }, 60s)) << render_status(last_);

  auto report = study::write_report(l.dir);
  ASSERT_TRUE(report) << report.error();
  EXPECT_TRUE(std::filesystem::exists(l.dir / "report.html"));

  std::vector<int> pids;
  for (const NodeRecord& n : net_->layout().nodes)
    for (int pid : live_pids(n)) pids.push_back(pid);
  EXPECT_EQ(pids.size(), 4u);
  auto d = net_->down(false);
  ASSERT_TRUE(d) << d.error();
  net_.reset();
  for (int pid : pids) EXPECT_FALSE(process_running(pid)) << pid;
  auto left = run_command({"podman", "ps", "--all", "--format", "{{.Names}}"});
  ASSERT_TRUE(left) << left.error();
  EXPECT_EQ(left->find(plan->prefix), std::string::npos) << *left;
  EXPECT_FALSE(run_command({"podman", "network", "exists", plan->network()}));
}

}  // namespace
}  // namespace tally::devnet
