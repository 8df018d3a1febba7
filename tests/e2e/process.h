// End-to-end test helpers: real child processes (tallyd, tally-cli, tally-devnet) on loopback
// ports chosen at run time, temporary directories, and a started tallyd with an RPC client.
//
// Every process a test starts is stopped by its owner: support::Child's destructor sends
// SIGTERM, waits (bounded) and then SIGKILLs. A child also gets SIGKILL from the kernel if the
// thread that spawned it dies (PR_SET_PDEATHSIG), so a crashed test leaves no daemon behind;
// spawn from the test's own thread (not from a short-lived helper thread).
//
// Binary paths come from compile definitions (tests/CMakeLists.txt): TALLYD_PATH,
// TALLY_CLI_PATH, and TALLY_SOURCE_DIR for genesis/.
//
// Thread-safety: none; use each object from one thread. Header-only.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <expected>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/ports.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "rpc/auth.h"
#include "rpc/rpc_client.h"

namespace tally::e2e {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

#ifdef TALLYD_PATH
inline const char* tallyd_path() { return TALLYD_PATH; }
#endif
#ifdef TALLY_CLI_PATH
inline const char* tally_cli_path() { return TALLY_CLI_PATH; }
#endif
#ifdef TALLY_SOURCE_DIR
inline fs::path source_dir() { return TALLY_SOURCE_DIR; }
#endif

// Whole file as a string; "" when it cannot be read.
inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Polls `done` every 10 ms until it returns true or the timeout passes.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

inline bool wait_for_file(const fs::path& path, std::chrono::milliseconds timeout) {
  return wait_until([&] { return fs::exists(path); }, timeout);
}

using support::Redirect;
using support::SpawnOptions;
using support::TempDir;

// A TCP port on 127.0.0.1 that was free a moment ago (support::pick_free_ports; 0 if
// none could be had). Another process may take it before the caller binds it; prefer
// passing port 0 to daemons.
inline std::uint16_t free_port() {
  auto ports = support::pick_free_ports(1);
  return ports ? ports->front() : 0;
}

// Starts argv (argv[0] a path) with `options` (stdout/stderr inherited unless redirected),
// SIGKILLed by the kernel if the spawning thread dies; the Child stops it (SIGTERM, 5 s,
// SIGKILL) when destroyed. A start failure is a test failure and an empty Child.
inline support::Child spawn(const std::vector<std::string>& argv, SpawnOptions options = {}) {
  options.argv = argv;
  options.parent_death_signal = SIGKILL;
  options.stop_grace = 5s;
  auto child = support::Child::spawn(options);
  if (!child) {
    ADD_FAILURE() << child.error();
    return {};
  }
  return std::move(*child);
}

struct RunResult {
  int exit_code = -1;  // -1: did not start, or did not finish within the timeout (it was killed)
  std::string out;
  std::string err;     // with the start error when it did not start
};

// Runs argv to completion with stdout and stderr captured.
inline RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s,
                     SpawnOptions options = {}) {
  options.argv = argv;
  options.out = Redirect::capture();
  options.err = Redirect::capture();
  options.parent_death_signal = SIGKILL;
  auto r = support::run(options, timeout);
  if (!r) return RunResult{-1, "", r.error()};
  return RunResult{r->exit_code.value_or(-1), std::move(r->out), std::move(r->err)};
}

#ifdef TALLYD_PATH

// A running tallyd on a datadir, with --port 0 --rpcport 0 --printtoconsole 0, its stderr
// in <datadir>/../<datadir name>.stderr. start() waits for node.json (written last by a
// started node) and reads the ports and the cookie.
class TallydProcess {
 public:
  explicit TallydProcess(fs::path datadir, std::vector<std::string> extra_args = {})
      : datadir_(std::move(datadir)), extra_args_(std::move(extra_args)) {}

  // Starts the daemon and waits until it serves RPC; the error holds tallyd's stderr.
  [[nodiscard]] std::expected<void, std::string> start(std::chrono::milliseconds timeout = 30s) {
    std::vector<std::string> argv = wrapper_;
    argv.insert(argv.end(), {tallyd_path(), "--datadir", datadir_.string(), "--rpcport", "0", "--printtoconsole", "0"});
    // --port 0 unless the test chose a port.
    if (std::find(extra_args_.begin(), extra_args_.end(), "--port") == extra_args_.end())
      argv.insert(argv.end(), {"--port", "0"});
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    std::error_code ec;
    fs::create_directories(datadir_, ec);
    SpawnOptions o;
    o.argv = argv;
    o.err = Redirect::to_file(stderr_path());
    o.out = Redirect::to_file(datadir_.parent_path() / (datadir_.filename().string() + ".stdout"));
    o.parent_death_signal = SIGKILL;
    o.stop_grace = 5s;
    auto child = support::Child::spawn(o);
    if (!child) return std::unexpected("cannot start tallyd: " + child.error());
    process_ = std::move(*child);
    const fs::path info = datadir_ / "node.json";
    boost::json::object node;
    const bool ok = wait_until(
        [&] {
          if (!process_.running()) return true;
          boost::system::error_code jec;
          auto v = boost::json::parse(read_text(info), jec);
          if (jec || !v.is_object()) return false;
          const auto* pid = v.as_object().if_contains("pid");
          if (pid == nullptr || !pid->is_number() || pid->to_number<pid_t>() != process_.pid()) return false;
          node = v.as_object();
          return true;
        },
        timeout);
    if (!process_.running())
      return std::unexpected("tallyd exited with code " + std::to_string(process_.wait(0ms).value_or(-1)) + ": " +
                             read_text(stderr_path()));
    if (!ok) return std::unexpected("tallyd did not write node.json in time: " + read_text(stderr_path()));
    rpc_port_ = node.at("rpc_port").to_number<std::uint16_t>();
    p2p_port_ = node.at("p2p_port").to_number<std::uint16_t>();
    auto cookie = rpc::read_cookie(datadir_ / ".cookie");
    if (!cookie) return std::unexpected("cannot read the cookie: " + cookie.error());
    credentials_ = *cookie;
    return {};
  }

  // A new client authenticated with the cookie.
  rpc::RpcClient client(std::chrono::milliseconds timeout = 30s) const {
    return rpc::RpcClient("127.0.0.1", rpc_port_, credentials_, timeout);
  }
  // SIGTERM and wait; the exit code, or nullopt if it had to be killed.
  std::optional<int> stop(std::chrono::milliseconds grace = 20s) { return process_.stop(grace); }

  // A command that execs tallyd in the same process (its pid is checked), for example
  // unshare(1) with a mount namespace; the tallyd command line follows it.
  void set_wrapper(std::vector<std::string> wrapper) { wrapper_ = std::move(wrapper); }

  support::Child& process() { return process_; }
  const fs::path& datadir() const { return datadir_; }
  fs::path stderr_path() const { return datadir_.parent_path() / (datadir_.filename().string() + ".stderr"); }
  std::uint16_t rpc_port() const { return rpc_port_; }
  std::uint16_t p2p_port() const { return p2p_port_; }
  const rpc::Credentials& credentials() const { return credentials_; }

 private:
  fs::path datadir_;
  std::vector<std::string> extra_args_;
  std::vector<std::string> wrapper_;
  support::Child process_;
  std::uint16_t rpc_port_ = 0;
  std::uint16_t p2p_port_ = 0;
  rpc::Credentials credentials_;
};

// The node's block count over RPC; -1 when it does not answer.
inline std::int64_t block_count(TallydProcess& n) {
  auto h = n.client().call("getblockcount", boost::json::array());
  return h ? h->to_number<std::int64_t>() : -1;
}

#endif  // TALLYD_PATH

#ifdef TALLY_SOURCE_DIR

// The chain id of the e2e chain spec unless a test asks for another.
inline constexpr std::uint32_t kFastChainId = 7177;

// The devnet spec (genesis/devnet.json, so the well-known devnet keys are funded) with
// trivial proof-of-work (genesis_bits = pow_limit_bits = 0x207fffff: about every second
// hash is a valid block), a fresh chain id and name. Blocks are generated in milliseconds.
inline std::string fast_chain_spec_json(std::uint32_t chain_id = kFastChainId, const std::string& name = "tally-e2e") {
  auto spec = boost::json::parse(read_text(source_dir() / "genesis" / "devnet.json")).as_object();
  spec["name"] = name;
  spec["chain_id"] = chain_id;
  spec["genesis_bits"] = "0x207fffff";
  spec["pow_limit_bits"] = "0x207fffff";
  return boost::json::serialize(spec);
}

// Writes fast_chain_spec_json() to `path` and returns the path.
inline fs::path write_fast_chain_spec(const fs::path& path, std::uint32_t chain_id = kFastChainId,
                                      const std::string& name = "tally-e2e") {
  write_text(path, fast_chain_spec_json(chain_id, name));
  return path;
}

// One tallyd on a fast chain spec, shared by every test of a suite: started from the
// suite's SetUpTestSuite (in a fresh temporary directory), stopped from its
// TearDownTestSuite. A failure to start (or to mine the first blocks) is kept in `error`,
// for each test's SetUp to report.
struct SuiteNode {
  std::unique_ptr<TempDir> dir;
  fs::path spec;
  std::unique_ptr<TallydProcess> node;
  std::string error;

  // Starts tallyd with --chain <spec> and `args`, then mines `blocks` blocks.
  void start(const std::string& prefix, const std::vector<std::string>& args = {}, std::uint32_t chain_id = kFastChainId,
             int blocks = 0) {
    dir = std::make_unique<TempDir>(prefix);
    spec = write_fast_chain_spec(dir->path() / "spec.json", chain_id);
    std::vector<std::string> all{"--chain", spec.string()};
    all.insert(all.end(), args.begin(), args.end());
    node = std::make_unique<TallydProcess>(dir->path() / "node", all);
    if (auto r = node->start(); !r) {
      error = r.error();
      return;
    }
    if (blocks == 0) return;
    if (auto g = node->client().call("generate", boost::json::array{blocks}); !g)
      error = "generate: " + g.error().message;
  }
  // Stops the node (it must exit cleanly) and removes the directory.
  void stop() {
    if (node) {
      EXPECT_EQ(node->stop(), 0);
    }
    node.reset();
    dir.reset();
  }
};

// The devnet keys of genesis/devnet-keys.json: {secret_key, public_key, address} hex/text.
struct DevnetKey {
  std::string secret_key;
  std::string public_key;
  std::string address;
};
inline std::vector<DevnetKey> devnet_keys() {
  std::vector<DevnetKey> out;
  auto doc = boost::json::parse(read_text(source_dir() / "genesis" / "devnet-keys.json")).as_object();
  for (const auto& k : doc.at("keys").as_array()) {
    const auto& o = k.as_object();
    out.push_back({std::string(o.at("secret_key").as_string()), std::string(o.at("public_key").as_string()),
                   std::string(o.at("address").as_string())});
  }
  return out;
}

#endif  // TALLY_SOURCE_DIR

}  // namespace tally::e2e
