// tally-devnet's command line: one subcommand per process (up, run, status, load, partition,
// heal, stop, start, down), parsed into plain option structs. Parsing starts nothing and
// touches no file; node indices are checked against the devnet later, when it is known.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "devnet/topology.h"
#include "scenario/scenario.h"

namespace tally::devnet {

using scenario::LinkOverride;

// One node's departures from the devnet-wide settings (a scenario persona). Unset fields
// keep the devnet-wide value; recorded in devnet.json and baked into the node's tallyd
// arguments, so `start` reuses them.
struct NodeOverride {
  std::size_t node = 0;
  std::optional<bool> mining;     // mine or not, whatever --miners chose
  std::optional<unsigned> threads;  // mining threads (its share of the hash power)
  std::optional<std::string> latency;  // tallyd --latency/--jitter/--rate of this node
  std::optional<std::string> jitter;
  std::optional<std::string> rate;
  std::vector<std::string> tallyd_args;  // appended after the devnet-wide tallyd_args
  // The seed document's superpeers: a hub (many inbound slots), a relay-only node (never
  // mines, never given transactions by the load), and the seeds of a --discovery devnet.
  std::optional<std::size_t> max_inbound;   // tallyd --maxinbound (0..1024)
  std::optional<std::size_t> max_outbound;  // tallyd --maxoutbound (0..64)
  bool relay_only = false;
};

// Shaping of one link, both directions (tallyd --linkshaping on each end).

// Everything `up` needs to lay out and start a devnet.
struct UpOptions {
  std::size_t nodes = 4;
  Topology topology;          // default ring
  std::size_t miners = 1;
  std::vector<std::size_t> miner_nodes;  // explicit miner indices; empty: spread_miners()
  std::filesystem::path dir;  // REQUIRED (the CLI defaults it, see default_devnet_dir())
  std::filesystem::path tallyd;  // empty: next to this executable, else on PATH
  std::filesystem::path chain;   // custom chain spec; empty: the embedded devnet spec
  std::optional<std::int64_t> block_time_s;  // overrides the spec's block_interval_s
  std::string latency;  // tallyd's --latency/--jitter/--rate text ("50ms", "10mbit")
  std::string jitter;
  std::string rate;
  std::string loss;  // netns mode only: netem packet loss ("1%")
  // "loopback" (default): every node on 127.0.0.1, shaping inside tallyd. "netns" (root):
  // each node in its own network namespace, shaping with tc and partitions with nftables.
  std::string net = "loopback";
  // "process" (default): tallyd processes. "podman": each node a container of `image` on a
  // network of its own (devnet/containers.h; root).
  std::string engine = "process";
  std::string image;  // empty: default_image()
  unsigned threads_per_miner = 1;
  std::vector<LinkOverride> link_overrides;  // per link, over the devnet-wide shaping
  std::uint64_t seed = 0;  // random:K topology and load; 0 = pick one (recorded)
  std::vector<std::string> tallyd_args;  // extra flags for every tallyd
  std::vector<NodeOverride> node_overrides;  // at most one per node
  std::chrono::milliseconds start_timeout{30'000};  // per node, until its RPC answers
  // Nodes get SIGTERM when the thread that started them exits (prctl PR_SET_PDEATHSIG), so a
  // crashed test or launcher leaves nothing behind. Only for callers that outlive the devnet
  // on one thread (tests); `up` must leave its nodes running.
  bool stop_with_parent = false;
  // Node keys for every node, dials by key and an allowlist of the devnet's keys: only its own
  // nodes may connect (tally-devnet up --private).
  bool private_network = false;
  // Discovery instead of wiring (tally-devnet up --discovery): nodes 0..seed_nodes-1 are seeds,
  // kept connected to each other (--addnode); every other node is given only the seeds
  // (tallyd --seed) and fills its outbound slots from address gossip. The topology is unused.
  bool discovery = false;
  std::size_t seed_nodes = 2;
  // Start at the target this machine's miners meet every block_interval_s (devnet/calibrate.h)
  // instead of the spec's genesis_bits. Only for the embedded spec: a --chain spec is used as
  // given.
  bool calibrate = true;
};

// Checks ranges and cross-field rules (miners <= nodes, indices in range, shaping text).
[[nodiscard]] std::expected<void, std::string> validate(const UpOptions& options);

// The mining nodes: --miner-nodes, else spread_miners(), then the overrides' `mining`. Sorted.
std::vector<std::size_t> effective_miners(const UpOptions& options);
// The override for a node, or nullptr.
const NodeOverride* override_of(const UpOptions& options, std::size_t node);

struct UpCommand {
  UpOptions up;
  bool run = false;                // `run`: foreground with live status until a signal, then down
  std::optional<double> load_tps;  // `run --load-tps R`
  double refresh_s = 2;            // `run` status redraw interval
};
struct StatusCommand {
  std::filesystem::path dir;
  std::optional<double> watch_s;
  bool json = false;  // --json: the report as JSON (status_json), once
};
// `cli N METHOD [ARGS...]`: one RPC call to node N, arguments and result as tally-cli's.
struct CliCommand {
  std::filesystem::path dir;
  std::size_t node = 0;
  std::string method;
  std::vector<std::string> args;
};
struct LoadCommand {
  std::filesystem::path dir;
  double tps = 10;
  double duration_s = 10;
  std::uint64_t seed = 0;
  // Nodes by RPC endpoint instead of a devnet directory (the Kubernetes load Job): host:port
  // each, user --rpcuser, password from --rpcpassword-file or $TALLY_RPCPASSWORD (read when the
  // command runs), chain spec --chain (empty: the embedded devnet spec).
  std::vector<std::string> rpc;
  std::string rpcuser;
  std::filesystem::path rpcpassword_file;
  std::filesystem::path chain;
};
struct PartitionCommand {
  std::filesystem::path dir;
  std::vector<std::vector<std::size_t>> groups;
};
struct HealCommand {
  std::filesystem::path dir;
};
struct StopCommand {
  std::filesystem::path dir;
  std::size_t node = 0;
};
struct StartCommand {
  std::filesystem::path dir;
  std::size_t node = 0;
};
struct DownCommand {
  std::filesystem::path dir;
  bool clean = false;
};

// `dashboard`: a live view of the devnet on 127.0.0.1:port until a signal (devnet/dashboard.h).
struct DashboardCommand {
  std::filesystem::path dir;
  std::uint16_t port = 8080;
};

struct ReportCommand {
  std::filesystem::path dir;
};

// `scenario FILE`: the file is read and checked when the command runs (see scenario.h).
struct ScenarioCommand {
  std::filesystem::path file;
  std::filesystem::path dir;
  std::filesystem::path tallyd;  // empty: next to tally-devnet, else on PATH
};

// `k8s`: the Kubernetes side of the manifests (devnet/k8s.h); the network is in UpOptions.
struct K8sSettings {
  std::string name = "tally";  // StatefulSet, Service; pods <name>-<i>
  std::string ns = "default";  // the namespace the pods' DNS names are in
  std::string image = "tally:0.1.0";
  std::string storage = "1Gi";  // each node's volume
  std::string cpu_request = "250m", memory_request = "128Mi", cpu_limit = "1", memory_limit = "512Mi";
  std::optional<double> load_tps;  // set: the load Job runs at once; unset: it is written suspended
  double load_duration_s = 60;
  std::string format = "yaml";  // "yaml" or "json" (a Kubernetes List)
};
struct K8sCommand {
  UpOptions up;                      // the network (dir unused)
  K8sSettings k8s;
  std::filesystem::path scenario;    // read when the command runs; replaces up's network
  std::filesystem::path out;         // a directory, or "-" for stdout
};

using Command = std::variant<UpCommand, StatusCommand, LoadCommand, PartitionCommand, HealCommand, StopCommand,
                             StartCommand, DownCommand, ReportCommand, ScenarioCommand, K8sCommand,
                             DashboardCommand, CliCommand>;

struct ParsedCommandLine {
  std::optional<Command> command;  // empty when help or the version was asked for
  std::string output;              // help or version text to print
};

// argv as given to main. Errors carry a message for the user (CLI11's, or ours).
[[nodiscard]] std::expected<ParsedCommandLine, std::string> parse_command_line(int argc, const char* const* argv);

// $TALLY_DEVNET_DIR, else ~/.tally/devnet.
std::filesystem::path default_devnet_dir();



}  // namespace tally::devnet
