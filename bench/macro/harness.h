// tally-macro's harness: child processes (tallyd, wrk) that are always stopped, temporary
// directories that are always removed, a started tallyd with its ports and cookie, polling
// with deadlines, /proc readings, statistics and the output format (a table and one JSON
// line per benchmark).
//
// Interruption: SIGINT/SIGTERM set a flag that every wait loop checks (check_interrupt()
// throws), so the stack unwinds and every destructor runs: processes are stopped and temp
// directories removed. A second signal SIGKILLs the children at once and exits. Children
// also get SIGKILL from the kernel if the harness dies (PR_SET_PDEATHSIG); spawn them from
// the main thread only.
//
// Thread-safety: none, except RpcClient objects created per thread and the free functions
// that only read (/proc, files).
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "rpc/auth.h"
#include "support/proc_status.h"
#include "rpc/rpc_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace tally::macro {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A benchmark failed; the message says why (main prints it and carries on with `all`).
struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  fs::path tallyd;       // the daemon binary
  fs::path source_dir;   // for genesis/devnet.json
  bool keep_tmp = false; // keep temp dirs (for debugging)
  bool verbose = false;  // progress on stderr
  bool no_wrk = false;   // rpc-read: use the C++ client threads even when wrk is installed
};
const Options& options();
void set_options(Options o);

// ---- interruption and deadlines -------------------------------------------------------

void install_signal_handlers();
// Sets the deadline of the running benchmark (a watchdog against anything unbounded).
void set_bench_deadline(Clock::time_point deadline);
// Throws BenchError when interrupted or past the benchmark's deadline.
void check_interrupt();
// Sleeps in small steps, checking for interruption.
void sleep_for(std::chrono::milliseconds d);
// Polls `done` every `step` until true; false on timeout. Checks interruption.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = 10ms);
double ms_since(Clock::time_point t);

// ---- files and directories --------------------------------------------------------------

std::string read_text(const fs::path& path);
void write_text(const fs::path& path, const std::string& text);

// A fresh temporary directory <prefix>-XXXXXX, removed on destruction (kept, and said so on
// stderr, with --keep-tmp). Throws BenchError when it cannot be made.
support::TempDir temp_dir(const std::string& prefix);

// A TCP port on 127.0.0.1 that was free a moment ago (support::pick_free_ports; 0 if none).
std::uint16_t free_port();

// ---- processes --------------------------------------------------------------------------

// Starts argv with stdout and stderr to `log_path` (empty: /dev/null), SIGKILLed by the
// kernel if the harness dies, and recorded for the second signal's SIGKILL; the Child stops
// it (SIGTERM, 20 s, SIGKILL) when destroyed. Throws BenchError when it cannot start.
support::Child spawn(const std::vector<std::string>& argv, const fs::path& log_path);
// Drops a stopped child from that record.
void forget_child(pid_t pid);

// ---- tallyd -----------------------------------------------------------------------------

struct TallydOptions {
  std::string name;
  fs::path chain;                     // empty: the embedded devnet spec
  std::vector<std::string> connect;   // host:port
  std::optional<std::uint16_t> rpc_port;  // default 0 (any free port)
  bool eventlog = false;
  bool mine = false;
  std::string mineraddress;
  std::vector<std::string> extra;
};

// Options with a name and a chain spec (GCC 12 warns about designated initializers that
// leave fields out, so set the others field by field).
TallydOptions node_options(std::string name, fs::path chain = {});

// A tallyd on its own datadir (<dir>/<name>), stdout/stderr in <dir>/<name>.log.
class Tallyd {
 public:
  Tallyd(fs::path dir, TallydOptions o);
  ~Tallyd();
  Tallyd(Tallyd&&) noexcept = default;
  Tallyd& operator=(Tallyd&&) noexcept = default;

  // Spawns the process; returns at once (the spawn instant is spawned_at()).
  void spawn();
  // Waits for node.json (with our pid) and the cookie; throws with the log's tail.
  void wait_ready(std::chrono::milliseconds timeout = 60s);
  void start(std::chrono::milliseconds timeout = 60s) {
    spawn();
    wait_ready(timeout);
  }
  void stop();

  rpc::RpcClient client(std::chrono::milliseconds timeout = 30s) const;
  // call() that throws BenchError (naming the node and method) on any error.
  // Uses one keep-alive connection (60 s timeout); main thread only.
  boost::json::value call(const std::string& method, const boost::json::value& params = boost::json::array{});
  std::int64_t block_count();
  // Established peers according to getpeerinfo.
  std::size_t established_peers();
  std::int64_t mempool_size();

  pid_t pid() const { return process_.pid(); }
  bool running() { return process_.running(); }
  const std::string& name() const { return opts_.name; }
  const fs::path& datadir() const { return datadir_; }
  fs::path log_path() const;
  std::string log_tail(std::size_t bytes = 2000) const;
  std::uint16_t rpc_port() const { return rpc_port_; }
  std::uint16_t p2p_port() const { return p2p_port_; }
  std::string p2p_endpoint() const { return "127.0.0.1:" + std::to_string(p2p_port_); }
  const rpc::Credentials& credentials() const { return credentials_; }
  Clock::time_point spawned_at() const { return spawned_at_; }

 private:
  fs::path dir_;
  fs::path datadir_;
  TallydOptions opts_;
  support::Child process_;
  Clock::time_point spawned_at_{};
  std::uint16_t rpc_port_ = 0;
  std::uint16_t p2p_port_ = 0;
  rpc::Credentials credentials_;
  std::unique_ptr<rpc::RpcClient> rpc_;  // call()'s keep-alive connection
};

// A chain spec for benchmarks, written to `path`: genesis/devnet.json (so the devnet keys are
// funded) with trivial proof-of-work (genesis_bits = pow_limit_bits = 0x207fffff), a 1 s
// block interval, the longest ASERT half-life and a day of allowed future drift, so that
// blocks generated back to back (far faster than the interval) neither get harder to find
// nor run into the time rules. Returns the path.
fs::path write_bench_chain_spec(const fs::path& path);

// ---- /proc --------------------------------------------------------------------------------

using support::proc_status_kib;  // a field of /proc/PID/status in KiB
using support::proc_cpu_seconds;
using support::proc_cpu_seconds_since;
using support::proc_thread_cpu;
double kib_to_mib(std::uint64_t kib);

// ---- statistics and output --------------------------------------------------------------

double median(std::vector<double> v);
double min_of(const std::vector<double>& v);
double max_of(const std::vector<double>& v);
std::string fmt(double v, int decimals = 2);

// A plain text table: a header row, then rows; columns padded.
void print_table(const std::string& title, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);
// Prints the JSON line of a benchmark's results (object with "bench": name first).
void print_json_line(const std::string& bench, boost::json::object results);

std::string load_average();

}  // namespace tally::macro
