// tallyd's encrypted transport as processes on 127.0.0.1: the node key made on first start
// (private, the same after a restart, a damaged one refused), peers dialled by key (a wrong
// key gets no connection), an allowlist that keeps an unknown node out, keys shown by
// getnetworkinfo and getpeerinfo, handshakes counted in /metrics, and --encrypt 0 between
// plaintext nodes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>

#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

std::string node_key(TallydProcess& n) {
  auto info = n.client().call("getnetworkinfo", json::array());
  if (!info || !info->as_object().contains("nodekey")) return {};
  return std::string(info->at("nodekey").as_string());
}
std::int64_t height(TallydProcess& n) { return block_count(n); }
json::array peers(TallydProcess& n) {
  auto p = n.client().call("getpeerinfo", json::array());
  return p ? p->as_array() : json::array();
}
std::string endpoint(const TallydProcess& n) { return "127.0.0.1:" + std::to_string(n.p2p_port()); }

TEST(DaemonTransport, NodeKeyIsPrivateStableAndADamagedOneIsRefused) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  std::string key;
  {
    TallydProcess n(dir / "a", {"--chain", spec.string()});
    ASSERT_TRUE(n.start()) << read_text(n.stderr_path());
    key = node_key(n);
    EXPECT_EQ(key.size(), 66u);
    EXPECT_EQ(n.stop(), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a" / "nodekey").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    TallydProcess n(dir / "a", {"--chain", spec.string()});
    ASSERT_TRUE(n.start()) << read_text(n.stderr_path());
    EXPECT_EQ(node_key(n), key) << "the identity survives a restart";
    EXPECT_EQ(n.stop(), 0);
  }
  write_text(dir / "a" / "nodekey", "not a key\n");
  const RunResult r = run({tallyd_path(), "--datadir", (dir / "a").string(), "--port", "0", "--rpcport", "0",
                           "--printtoconsole", "0", "--chain", spec.string()},
                          20s);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("nodekey"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(dir / "a" / "nodekey"), "not a key\n") << "a damaged identity is never replaced";
}

// Bad keys in flags and files are refused at start with an error that names the flag.
TEST(DaemonTransport, BadKeysInFlagsAndFilesAreRefused) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  auto refused = [&](std::vector<std::string> extra, const std::string& needle) {
    std::vector<std::string> argv = {tallyd_path(), "--datadir", (dir / "d").string(), "--port", "0", "--rpcport", "0",
                                     "--printtoconsole", "0", "--chain", spec.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const RunResult r = run(argv, 20s);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
  };
  refused({"--peerallow", "not-a-key"}, "--peerallow");
  refused({"--connect", "zz@127.0.0.1:1"}, "--connect");
  refused({"--addnode", "0211@127.0.0.1:1"}, "--addnode");
  write_text(dir / "allow.txt", "# keys\nnot-a-key\n");
  refused({"--peerallowfile", (dir / "allow.txt").string()}, "allow.txt: line 2");
  write_text(dir / "empty.txt", "# nobody\n");
  refused({"--peerallowfile", (dir / "empty.txt").string()}, "no keys");
  refused({"--peerallowfile", (dir / "missing.txt").string()}, "missing.txt");
  refused({"--encrypt", "0", "--peerallow", "not-a-key"}, "--encrypt");
}

TEST(DaemonTransport, KeyedDialsAllowlistsAndPlaintext) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  TallydProcess a(dir / "a", {"--chain", spec.string()});
  ASSERT_TRUE(a.start()) << read_text(a.stderr_path());
  const std::string key_a = node_key(a);
  ASSERT_TRUE(a.client().call("generate", json::array{3}));

  // b dials a by a's key; c dials a expecting b's key, and gets nothing.
  TallydProcess b(dir / "b", {"--chain", spec.string(), "--connect", key_a + "@" + endpoint(a)});
  ASSERT_TRUE(b.start()) << read_text(b.stderr_path());
  const std::string key_b = node_key(b);
  ASSERT_TRUE(wait_until([&] { return height(b) == 3; }, 20s)) << read_text(b.stderr_path());
  const json::array pb = peers(b);
  ASSERT_EQ(pb.size(), 1u);
  EXPECT_EQ(pb[0].at("nodekey").as_string(), key_a);
  EXPECT_EQ(pb[0].at("encrypted"), true);

  TallydProcess c(dir / "c", {"--chain", spec.string(), "--connect", key_b + "@" + endpoint(a)});
  ASSERT_TRUE(c.start()) << read_text(c.stderr_path());
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(height(c), 0) << "a listener that is not who the dialler expects gets no connection";
  EXPECT_TRUE(peers(c).empty());
  EXPECT_EQ(c.stop(), 0);

  // d allows b only: a's dial to d is refused after the handshake, b's is served.
  TallydProcess d(dir / "d", {"--chain", spec.string(), "--peerallow", key_b});
  ASSERT_TRUE(d.start()) << read_text(d.stderr_path());
  EXPECT_EQ(d.client().call("getnetworkinfo", json::array())->at("peerallow"), 1);
  ASSERT_TRUE(a.client().call("addnode", json::array{json::value(endpoint(d)), json::value("onetry")}));
  ASSERT_TRUE(b.client().call("addnode", json::array{json::value(endpoint(d)), json::value("onetry")}));
  ASSERT_TRUE(wait_until([&] { return height(d) == 3; }, 20s));
  ASSERT_TRUE(wait_until(
      [&] {
        auto m = d.client().call("getnetworkinfo", json::array());
        return m && peers(d).size() == 1 && peers(d)[0].at("nodekey") == json::value(key_b);
      },
      10s));
  std::this_thread::sleep_for(500ms);
  for (const auto& p : peers(d)) EXPECT_EQ(p.at("nodekey").as_string(), key_b);

  // Two plaintext nodes still talk (--encrypt 0, for debugging); a key is refused there.
  TallydProcess p(dir / "p", {"--chain", spec.string(), "--encrypt", "0"});
  ASSERT_TRUE(p.start()) << read_text(p.stderr_path());
  EXPECT_EQ(p.client().call("getnetworkinfo", json::array())->at("encrypted"), false);
  ASSERT_TRUE(p.client().call("generate", json::array{1}));
  TallydProcess q(dir / "q", {"--chain", spec.string(), "--encrypt", "0", "--connect", endpoint(p)});
  ASSERT_TRUE(q.start()) << read_text(q.stderr_path());
  EXPECT_TRUE(wait_until([&] { return height(q) == 1; }, 20s));
  const RunResult keyed = run({tallyd_path(), "--datadir", (dir / "r").string(), "--port", "0", "--rpcport", "0",
                               "--printtoconsole", "0", "--chain", spec.string(), "--encrypt", "0", "--connect",
                               key_a + "@" + endpoint(a)},
                              20s);
  EXPECT_EQ(keyed.exit_code, 1);
  EXPECT_NE(keyed.err.find("--encrypt"), std::string::npos) << keyed.err;
}

}  // namespace
}  // namespace tally::e2e
