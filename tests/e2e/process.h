// End-to-end test helpers: real child processes (tallyd, tally-cli, tally-devnet) on loopback
// ports chosen at run time, temporary directories, and a started tallyd with an RPC client.
//
// Every process a test starts is stopped by its owner: Process's destructor sends SIGTERM,
// waits (bounded) and then SIGKILLs. A child also gets SIGKILL from the kernel if the thread
// that spawned it dies (PR_SET_PDEATHSIG), so a crashed test leaves no daemon behind; spawn
// from the test's own thread (not from a short-lived helper thread).
//
// Binary paths come from compile definitions (tests/CMakeLists.txt): TALLYD_PATH,
// TALLY_CLI_PATH, and TALLY_SOURCE_DIR for genesis/.
//
// Thread-safety: none; use each object from one thread. Header-only.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

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
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "devnet/process.h"
#include "support/ports.h"
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

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "tally-e2e") {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = (fs::path(tmp && *tmp ? tmp : "/tmp") / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago (support::pick_free_ports; 0 if
// none could be had). Another process may take it before the caller binds it; prefer
// passing port 0 to daemons.
inline std::uint16_t free_port() {
  auto ports = support::pick_free_ports(1);
  return ports ? ports->front() : 0;
}

struct SpawnOptions {
  fs::path stdout_path;  // empty: inherit the test's stdout
  fs::path stderr_path;  // empty: inherit the test's stderr
  fs::path stdin_path;   // empty: /dev/null
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) the environment
};

// One child process. Move-only; the destructor stops it (SIGTERM, 5 s, SIGKILL).
class Process {
 public:
  Process() = default;
  ~Process() { stop(5s); }
  Process(Process&& o) noexcept : pid_(std::exchange(o.pid_, -1)), status_(o.status_) {}
  Process& operator=(Process&& o) noexcept {
    if (this != &o) {
      stop(5s);
      pid_ = std::exchange(o.pid_, -1);
      status_ = o.status_;
    }
    return *this;
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // fork + exec of argv[0] (a path). Errors (the binary missing, ...) become exit code 127.
  static Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {}) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      bool replaced = false;
      for (const auto& [k, v] : options.env) replaced = replaced || entry.rfind(k + "=", 0) == 0;
      if (!replaced) env_strings.push_back(entry);
    }
    for (const auto& [k, v] : options.env) env_strings.push_back(k + "=" + v);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string in = options.stdin_path.empty() ? "/dev/null" : options.stdin_path.string();
    const std::string out = options.stdout_path.string();
    const std::string err = options.stderr_path.string();
    const pid_t parent = ::getpid();

    Process p;
    p.pid_ = ::fork();
    if (p.pid_ < 0) throw std::runtime_error("fork failed");
    if (p.pid_ == 0) {
      // Child: async-signal-safe calls only.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      auto redirect = [](const char* path, int flags, int target) {
        const int fd = ::open(path, flags | O_CLOEXEC, 0644);
        if (fd < 0 || ::dup2(fd, target) < 0) ::_exit(127);
        ::close(fd);
      };
      redirect(in.c_str(), O_RDONLY, 0);
      if (!out.empty()) redirect(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 1);
      if (!err.empty()) redirect(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 2);
      ::close_range(3, ~0u, 0);  // no sockets or files of the test leak into the child
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    return p;
  }

  pid_t pid() const { return pid_; }
  bool started() const { return pid_ > 0; }
  // True while the child runs (reaps it when it has exited).
  bool running() {
    if (pid_ <= 0 || status_) return false;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) status_ = st;
    return r == 0;
  }
  // The exit code (128 + signal number after a signal) once the child has exited within
  // the timeout; nullopt while it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return std::nullopt;
    wait_until([&] { return !running(); }, timeout);
    if (!status_) return std::nullopt;
    return exit_code(*status_);
  }
  void signal(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
  }
  // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code (see wait()).
  std::optional<int> stop(std::chrono::milliseconds grace = 10s) {
    if (pid_ <= 0) return std::nullopt;
    if (running()) {
      ::kill(pid_, SIGTERM);
      if (!wait(grace)) {
        ::kill(pid_, SIGKILL);
        wait(10s);
      }
    }
    return status_ ? std::optional<int>(exit_code(*status_)) : std::nullopt;
  }

 private:
  static int exit_code(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct RunResult {
  int exit_code = -1;  // -1: did not finish within the timeout (it was killed)
  std::string out;
  std::string err;
};

// Runs argv to completion with stdout and stderr captured (through files in a TempDir).
inline RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 30s,
                     const SpawnOptions& extra = {}) {
  TempDir dir("tally-run");
  SpawnOptions o = extra;
  o.stdout_path = dir / "stdout";
  o.stderr_path = dir / "stderr";
  Process p = Process::spawn(argv, o);
  RunResult r;
  if (auto code = p.wait(timeout)) r.exit_code = *code;
  else p.stop(1s);
  r.out = read_text(o.stdout_path);
  r.err = read_text(o.stderr_path);
  return r;
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
    std::vector<std::string> argv = {tallyd_path(), "--datadir", datadir_.string(), "--port", "0",
                                     "--rpcport", "0", "--printtoconsole", "0"};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    std::error_code ec;
    fs::create_directories(datadir_, ec);
    SpawnOptions o;
    o.stderr_path = stderr_path();
    o.stdout_path = datadir_.parent_path() / (datadir_.filename().string() + ".stdout");
    process_ = Process::spawn(argv, o);
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

  Process& process() { return process_; }
  const fs::path& datadir() const { return datadir_; }
  fs::path stderr_path() const { return datadir_.parent_path() / (datadir_.filename().string() + ".stderr"); }
  std::uint16_t rpc_port() const { return rpc_port_; }
  std::uint16_t p2p_port() const { return p2p_port_; }
  const rpc::Credentials& credentials() const { return credentials_; }

 private:
  fs::path datadir_;
  std::vector<std::string> extra_args_;
  Process process_;
  std::uint16_t rpc_port_ = 0;
  std::uint16_t p2p_port_ = 0;
  rpc::Credentials credentials_;
};

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
