// tallyd as a process: bad configurations are refused with a clear error and a non-zero
// exit, --help, restart at the stored tip, foreign and locked datadirs, and clean shutdown by
// SIGTERM and by the RPC "stop".
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/json.hpp>

#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

// tallyd with `args` (plus --printtoconsole 0), expected to exit on its own.
RunResult tallyd(std::vector<std::string> args, std::chrono::milliseconds timeout = 20s) {
  args.insert(args.begin(), tallyd_path());
  return run(args, timeout);
}

std::vector<std::string> quiet_args(const fs::path& datadir) {
  return {"--datadir", datadir.string(), "--port", "0", "--rpcport", "0", "--printtoconsole", "0"};
}

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Refused configurations: the error goes to stderr as "tallyd: error: ...", exit code 1,
// and no daemon is left running (run() would have killed it after the timeout: -1).
void expect_refused(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 1) << "stderr: " << r.err;
  EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.err;
}

TEST(DaemonConfig, HelpExitsZeroAndListsFlags) {
  const RunResult r = tallyd({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* flag : {"--datadir", "--chain", "--port", "--rpcport", "--rpcuser", "--connect", "--mine"})
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
}

TEST(DaemonConfig, UnknownFlag) {
  TempDir dir;
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--nosuchflag", "1"})), "nosuchflag");
}

TEST(DaemonConfig, UnknownKeyInConfigFile) {
  TempDir dir;
  fs::create_directories(dir / "d");
  write_text(dir / "d" / "tally.conf", "rpcthreads=2\nbogus_setting=1\n");
  expect_refused(tallyd(quiet_args(dir / "d")), "bogus_setting");
}

TEST(DaemonConfig, BadPortNumber) {
  TempDir dir;
  auto args = quiet_args(dir / "d");
  args[4] = "70000";  // --port
  expect_refused(tallyd(args), "70000");
  args[4] = "0";
  args[6] = "-5";  // --rpcport
  EXPECT_EQ(tallyd(args).exit_code, 1);
}

TEST(DaemonConfig, PortInUse) {
  TempDir dir;
  // Hold a listening socket on a free port for the duration of the test.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));

  auto args = quiet_args(dir / "p2p");
  args[4] = port;  // --port
  expect_refused(tallyd(args), port);
  auto rpc_args = quiet_args(dir / "rpc");
  rpc_args[6] = port;  // --rpcport
  expect_refused(tallyd(rpc_args), port);
  ::close(fd);
  // A refused start leaves neither a cookie nor node.json behind.
  EXPECT_FALSE(fs::exists(dir / "rpc" / ".cookie"));
  EXPECT_FALSE(fs::exists(dir / "rpc" / "node.json"));
}

TEST(DaemonConfig, MissingOrBrokenChainSpec) {
  TempDir dir;
  const std::string missing = (dir / "no-such-spec.json").string();
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--chain", missing})), "no-such-spec.json");
  write_text(dir / "broken.json", "{\"name\": \"x\"");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--chain", (dir / "broken.json").string()})), "chain spec");
}

TEST(DaemonConfig, OtherBadSettings) {
  TempDir dir;
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--mineraddress", "tly1notanaddress"})), "--mineraddress");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--rpcbind", "0.0.0.0"})), "--rpcallowip");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--rpcpassword", "x"})), "--rpcuser");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--connect", "not-an-endpoint"})), "--connect");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--latency", "fast"})), "--latency");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--rpcauth", "carol:salt"})), "--rpcauth");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--rpcauth", "carol:s$zz"})), "--rpcauth");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--dnsrefresh", "fast"})), "--dnsrefresh");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--dnsrefresh", "10ms"})), "--dnsrefresh");
  expect_refused(tallyd(concat(quiet_args(dir / "d"), {"--connect", "bad_name:17077"})), "--connect");
}

TEST(DaemonConfig, LockedDatadir) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  TallydProcess first(dir / "d", {"--chain", spec.string()});
  ASSERT_TRUE(first.start()) << read_text(first.stderr_path());
  const RunResult second = tallyd(concat(quiet_args(dir / "d"), {"--chain", spec.string()}));
  expect_refused(second, "locked");
  // The refused second node did not disturb the first one's files.
  EXPECT_TRUE(fs::exists(dir / "d" / ".cookie"));
  auto client = first.client();
  EXPECT_TRUE(client.call("getblockcount", json::array()));
  EXPECT_EQ(first.stop(), 0);
}

// One datadir through its life: a first run mines, SIGTERM stops it cleanly, a restart
// resumes at the stored tip, the RPC "stop" stops it, and another chain is refused there.
TEST(DaemonConfig, RestartResumesAndShutdownIsClean) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  const fs::path datadir = dir / "d";
  std::string tip;
  {
    TallydProcess node(datadir, {"--chain", spec.string()});
    ASSERT_TRUE(node.start()) << read_text(node.stderr_path());
    auto client = node.client();
    ASSERT_TRUE(client.call("generate", json::array{4}));
    auto best = client.call("getbestblockhash", json::array());
    ASSERT_TRUE(best);
    tip = std::string(best->as_string());
    EXPECT_TRUE(fs::exists(datadir / ".cookie"));
    EXPECT_TRUE(fs::exists(datadir / "node.json"));

    node.process().signal(SIGTERM);
    EXPECT_EQ(node.process().wait(20s), 0) << read_text(node.stderr_path());
    EXPECT_FALSE(fs::exists(datadir / ".cookie"));
    EXPECT_FALSE(fs::exists(datadir / "node.json"));
  }
  {
    TallydProcess node(datadir, {"--chain", spec.string()});
    ASSERT_TRUE(node.start()) << read_text(node.stderr_path());
    auto client = node.client();
    auto count = client.call("getblockcount", json::array());
    ASSERT_TRUE(count);
    EXPECT_EQ(count->to_number<int>(), 4);
    EXPECT_EQ(client.call("getbestblockhash", json::array())->as_string(), tip);
    // The transaction index survived too: the tip's coinbase is found by txid.
    auto block = client.call("getblock", json::array{json::value(tip)});
    ASSERT_TRUE(block);
    const json::value txid = block->at("tx").at(0);
    EXPECT_TRUE(client.call("getrawtransaction", json::array{txid}));

    auto stop = client.call("stop", json::array());
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->as_string(), "Tally server stopping");
    EXPECT_EQ(node.process().wait(20s), 0) << read_text(node.stderr_path());
    EXPECT_FALSE(fs::exists(datadir / ".cookie"));
    EXPECT_FALSE(fs::exists(datadir / "node.json"));
  }
  // The same datadir with another chain (another chain id: another genesis).
  const fs::path other = write_fast_chain_spec(dir / "other.json", 7178, "tally-e2e-other");
  const RunResult foreign = tallyd(concat(quiet_args(datadir), {"--chain", other.string()}));
  expect_refused(foreign, "genesis");
  // ... and the embedded devnet is refused there as well.
  expect_refused(tallyd(quiet_args(datadir)), "genesis");
}

TEST(DaemonConfig, ConfigFileSettingsApplyAndFlagsWin) {
  TempDir dir;
  const fs::path spec = write_fast_chain_spec(dir / "spec.json");
  fs::create_directories(dir / "d");
  write_text(dir / "d" / "tally.conf",
             "# comment\nchain=" + spec.string() + "\nrpcuser=conf-user\nrpcpassword=conf-pw\nname=from-conf\n");
  TallydProcess node(dir / "d", {"--name", "from-flag"});
  ASSERT_TRUE(node.start()) << read_text(node.stderr_path());
  rpc::RpcClient client("127.0.0.1", node.rpc_port(), rpc::Credentials{"conf-user", "conf-pw"});
  auto info = client.call("getblockchaininfo", json::array());
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->at("chain").as_string(), "tally-e2e");
  const json::value node_json = json::parse(read_text(dir / "d" / "node.json"));
  EXPECT_EQ(node_json.at("name").as_string(), "from-flag");
  EXPECT_EQ(node.stop(), 0);
}

}  // namespace
}  // namespace tally::e2e
