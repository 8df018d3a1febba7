// Peers given by DNS name, as processes: a node told to --connect peer-a.tally.test:PORT finds
// the node that name stands for, and when the name moves to another address (as a Kubernetes
// pod's does when it is rescheduled) it follows it within --dnsrefresh. The name lives in a
// hosts file bind-mounted over /etc/hosts in a private mount namespace that the test makes
// for that one node (unshare(1)), so nothing outside the test sees it; that needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

std::int64_t height(TallydProcess& n) { return block_count(n); }
bool has_peer_at(TallydProcess& n, const std::string& ip_prefix) {
  auto p = n.client().call("getpeerinfo", json::array());
  if (!p) return false;
  for (const auto& peer : p->as_array())
    if (std::string(peer.at("addr").as_string()).rfind(ip_prefix, 0) == 0) return true;
  return false;
}

TEST(DaemonPeerNames, ConnectsByNameAndFollowsTheNameToItsNewAddress) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root: the test bind-mounts its own hosts file in a private mount namespace";
  if (run({"unshare", "--mount", "true"}).exit_code != 0)
    GTEST_SKIP() << "unshare --mount does not work here (no mount namespaces for this user)";
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  TallydProcess a(dir / "a", {"--chain", spec.string()});
  ASSERT_TRUE(a.start()) << read_text(a.stderr_path());
  ASSERT_TRUE(a.client().call("generate", json::array{3}));

  const fs::path hosts = dir / "hosts";
  write_text(hosts, "127.0.0.1 localhost\n127.0.0.1 peer-a.tally.test\n");
  TallydProcess b(dir / "b", {"--chain", spec.string(), "--connect",
                              "peer-a.tally.test:" + std::to_string(a.p2p_port()), "--dnsrefresh", "300ms"});
  b.set_wrapper({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                 "mount --bind \"$0\" /etc/hosts && exec \"$@\"", hosts.string()});
  ASSERT_TRUE(b.start()) << read_text(b.stderr_path());
  ASSERT_TRUE(wait_until([&] { return height(b) == 3; }, 20s)) << read_text(b.stderr_path());
  EXPECT_TRUE(has_peer_at(b, "127.0.0.1:"));

  // The name moves to 127.0.0.2, where another node listens on the same port with a longer
  // chain of its own; b follows the name there and takes that chain.
  TallydProcess c(dir / "c", {"--chain", spec.string(), "--bind", "127.0.0.2", "--port", std::to_string(a.p2p_port())});
  ASSERT_TRUE(c.start()) << read_text(c.stderr_path());
  ASSERT_TRUE(c.client().call("generate", json::array{5}));
  write_text(hosts, "127.0.0.1 localhost\n127.0.0.2 peer-a.tally.test\n");  // in place: the bind mount sees it
  EXPECT_TRUE(wait_until([&] { return height(b) == 5; }, 20s)) << read_text(b.stderr_path());
  EXPECT_TRUE(wait_until([&] { return has_peer_at(b, "127.0.0.2:"); }, 10s));
  const std::string log = read_text(b.datadir() / "debug.log");
  EXPECT_NE(log.find("peer name peer-a.tally.test resolves to 127.0.0.2"), std::string::npos) << log;
}

TEST(DaemonPeerNames, ANameThatDoesNotResolveIsRetriedNotFatal) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  TallydProcess b(dir / "b", {"--chain", spec.string(), "--connect", "no-such-peer.invalid:17077", "--dnsrefresh",
                              "200ms"});
  ASSERT_TRUE(b.start()) << read_text(b.stderr_path());
  EXPECT_TRUE(wait_until(
      [&] { return read_text(b.datadir() / "debug.log").find("no-such-peer.invalid does not resolve") != std::string::npos; },
      10s));
  EXPECT_EQ(height(b), 0);
  EXPECT_EQ(b.stop(), 0);
  const RunResult bad = run({tallyd_path(), "--datadir", (dir / "x").string(), "--chain", spec.string(),
                             "--printtoconsole", "0", "--connect", "bad_name:17077"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("host name"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace tally::e2e
