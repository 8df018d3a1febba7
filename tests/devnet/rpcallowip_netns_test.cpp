// tallyd --rpcallowip against clients at real non-loopback addresses: two network namespaces
// this test creates, joined by a veth pair (10.250.N.1 and 10.250.N.2), nothing else. The
// node runs in the first with its RPC bound to 10.250.N.1 and only 10.250.N.2 allowed. A
// client in the second namespace gets answers; a client at 10.250.N.1 itself (the node's own
// namespace, not loopback, not allowed) is closed at accept, and the refusal is counted in
// tally_rpc_clients_refused_total.
//
// Needs root, `ip netns` and curl (skipped otherwise). TearDown stops the node and deletes
// both namespaces (which deletes the veth pair).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <random>
#include <thread>

#include "devnet/netns.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace tally::devnet {
namespace {

using namespace std::chrono_literals;

class RpcAllowIpNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto ok = check_netns_support(); !ok) GTEST_SKIP() << ok.error();
    if (support::find_program("curl").empty()) GTEST_SKIP() << "curl is not installed";
    std::random_device rd;
    const unsigned tag = rd() % 100000;
    subnet_ = "10.250." + std::to_string(1 + tag % 250) + ".";
    node_ns_ = "tlyRa" + std::to_string(tag);
    client_ns_ = "tlyRb" + std::to_string(tag);
    dir_.emplace("tally-rpcallowip");
    const std::string va = "tvA" + std::to_string(tag), vb = "tvB" + std::to_string(tag);
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "netns", "add", node_ns_},
             {"ip", "netns", "add", client_ns_},
             {"ip", "link", "add", va, "netns", node_ns_, "type", "veth", "peer", "name", vb, "netns", client_ns_},
             {"ip", "-n", node_ns_, "addr", "add", subnet_ + "1/24", "dev", va},
             {"ip", "-n", client_ns_, "addr", "add", subnet_ + "2/24", "dev", vb},
             {"ip", "-n", node_ns_, "link", "set", "lo", "up"},
             {"ip", "-n", node_ns_, "link", "set", va, "up"},
             {"ip", "-n", client_ns_, "link", "set", "lo", "up"},
             {"ip", "-n", client_ns_, "link", "set", vb, "up"}}) {
      auto r = run_command(argv);
      ASSERT_TRUE(r) << r.error();
    }
  }

  void TearDown() override {
    node_.stop(20s);
    for (const auto& ns : {node_ns_, client_ns_})
      if (!ns.empty()) (void)run_command({"ip", "netns", "del", ns});
    if (dir_ && HasFailure()) dir_->keep();
  }

  // curl from inside `ns`: the response body, or an error (curl's message and exit status).
  std::expected<std::string, std::string> post(const std::string& ns, const std::string& path,
                                               const std::string& body) const {
    std::vector<std::string> argv{"ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "5", "--user", cookie_};
    if (!body.empty()) argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data", body});
    argv.push_back("http://" + subnet_ + "1:" + std::to_string(kRpcPort) + path);
    return run_command(argv);
  }

  static constexpr int kRpcPort = 18555;  // inside a namespace of our own: free
  std::string subnet_, node_ns_, client_ns_, cookie_;
  std::optional<support::TempDir> dir_;  // kept when the test fails
  support::Child node_;
};

TEST_F(RpcAllowIpNetns, AllowedClientAnswersOthersAreClosedAndCounted) {
  const auto datadir = dir_->path() / "node";
  support::SpawnOptions spec;
  // `ip netns exec` execs tallyd: the same process, which TearDown stops.
  spec.argv = {"ip", "netns", "exec", node_ns_, TALLYD_PATH, "--datadir", datadir.string(), "--port", "0",
               "--rpcbind", subnet_ + "1", "--rpcport", std::to_string(kRpcPort), "--rpcallowip", subnet_ + "2",
               "--printtoconsole", "0"};
  const auto log_file = dir_->path() / "tallyd.log";
  spec.out = support::Redirect::to_file(log_file);
  spec.err = support::Redirect::to_stdout();
  spec.parent_death_signal = SIGTERM;
  auto node = support::Child::spawn(spec);
  ASSERT_TRUE(node) << node.error();
  node_ = std::move(*node);

  // The cookie appears once the RPC server is up.
  const auto cookie_file = datadir / ".cookie";
  for (int i = 0; i < 200 && !std::filesystem::exists(cookie_file); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(std::filesystem::exists(cookie_file)) << "no cookie; see " << log_file;
  std::ifstream(cookie_file) >> cookie_;
  ASSERT_FALSE(cookie_.empty());

  const std::string request = R"({"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[]})";
  auto allowed = post(client_ns_, "/", request);
  ASSERT_TRUE(allowed) << allowed.error();
  EXPECT_NE(allowed->find(R"("result":0)"), std::string::npos) << *allowed;

  // From the node's own namespace the client's address is 10.250.N.1: not loopback, not
  // allowed. The server closes the connection without a response.
  auto refused = post(node_ns_, "/", request);
  EXPECT_FALSE(refused) << "a client outside --rpcallowip got an answer: " << *refused;

  auto metrics = post(client_ns_, "/metrics", "");
  ASSERT_TRUE(metrics) << metrics.error();
  EXPECT_NE(metrics->find("tally_rpc_clients_refused_total 1"), std::string::npos) << *metrics;
}

}  // namespace
}  // namespace tally::devnet
