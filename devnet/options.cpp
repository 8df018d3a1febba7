#include "devnet/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "base/units.h"
#include "base/files.h"

namespace tally::devnet {

namespace {

constexpr std::size_t kMaxNodes = 256;

// "30", "30s", "500ms", "2m" -> seconds.
std::expected<double, std::string> parse_seconds(const std::string& text, const std::string& what) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::unexpected(what + ": bad duration '" + text + "' (e.g. 30, 30s, 500ms, 2m)");
  }
  const std::string unit = text.substr(used);
  if (unit == "ms") v /= 1000;
  else if (unit == "m") v *= 60;
  else if (!unit.empty() && unit != "s") return std::unexpected(what + ": bad duration unit '" + unit + "'");
  if (!(v >= 0) || v > 365.0 * 86400) return std::unexpected(what + ": duration out of range");
  return v;
}

// Storage the CLI11 options write into for `up`/`run`; converted to UpOptions afterwards.
struct UpFlags {
  std::size_t nodes = 4;
  std::string topology = "ring";
  std::size_t miners = 1;
  std::string miner_nodes;
  std::string dir;
  std::string tallyd;
  std::string chain;
  std::int64_t block_time_s = 0;
  std::string latency, jitter, rate, loss;
  std::string net = "loopback";
  std::string engine = "process";
  std::string image;
  unsigned threads_per_miner = 1;
  std::uint64_t seed = 0;
  std::vector<std::string> tallyd_args;
  double start_timeout_s = 30;
  double load_tps = 0;
  double refresh_s = 2;
  bool private_network = false;
  bool discovery = false;
  std::size_t seed_nodes = 2;
  bool calibrate = true;
};

void add_up_flags(CLI::App* cmd, UpFlags& f, bool run) {
  cmd->add_option("--nodes,-n", f.nodes, "Number of nodes")->check(CLI::Range(std::size_t{1}, kMaxNodes));
  cmd->add_option("--topology,-t", f.topology, "line, ring, star, mesh or random:K")->capture_default_str();
  cmd->add_option("--miners,-m", f.miners, "Number of mining nodes, spread along the topology")
      ->check(CLI::Range(std::size_t{0}, kMaxNodes));
  cmd->add_option("--miner-nodes", f.miner_nodes, "Explicit miner indices (e.g. 0,4); overrides --miners");
  cmd->add_option("--dir,-d", f.dir, "Devnet directory (default $TALLY_DEVNET_DIR or ~/.tally/devnet)");
  cmd->add_option("--tallyd", f.tallyd, "tallyd binary (default: next to tally-devnet, else on PATH)");
  cmd->add_option("--chain", f.chain, "Chain spec JSON file (default: the embedded devnet spec)");
  cmd->add_option("--block-time", f.block_time_s, "Target block interval in seconds (overrides the spec)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}));
  cmd->add_option("--latency", f.latency, "Added latency of each node's outgoing P2P traffic (e.g. 50ms)");
  cmd->add_option("--jitter", f.jitter, "Random jitter on top of --latency (e.g. 10ms)");
  cmd->add_option("--rate", f.rate, "Bandwidth cap of each node's outgoing P2P traffic (e.g. 10mbit)");
  cmd->add_option("--net", f.net, "loopback (default) or netns: each node in its own network namespace (root)")
      ->check(CLI::IsMember({"loopback", "netns"}));
  cmd->add_option("--engine", f.engine,
                  "process (default): tallyd processes; podman: each node a container of --image on a network of its "
                  "own (root; build the image with scripts/image.sh)")
      ->check(CLI::IsMember({"process", "podman", "docker"}));
  cmd->add_option("--image", f.image, "With --engine podman: the image (default tally:<version>)");
  cmd->add_option("--loss", f.loss, "netns mode: packet loss of each node's outgoing traffic (e.g. 1%; needs netem)");
  cmd->add_option("--threads-per-miner", f.threads_per_miner, "Mining threads per miner")
      ->check(CLI::Range(1u, 256u));
  cmd->add_option("--seed", f.seed, "Seed of random:K and of the load (0 = random; recorded in devnet.json)");
  cmd->add_option("--tallyd-arg", f.tallyd_args, "Extra flag passed to every tallyd (repeatable, e.g. --tallyd-arg=--loglevel=debug)");
  cmd->add_flag("--private", f.private_network,
               "A permissioned devnet: node keys for every node, dials by key, and only the devnet's keys may connect");
  cmd->add_flag("--discovery", f.discovery,
               "No wiring: the first --seeds nodes are seeds, every other node bootstraps from them and finds its "
               "peers by address gossip (replaces --topology)");
  cmd->add_option("--seeds", f.seed_nodes, "With --discovery: the number of seed nodes")
      ->check(CLI::Range(std::size_t{1}, kMaxNodes))
      ->capture_default_str();
  cmd->add_option("--calibrate", f.calibrate,
                  "1: start at the target this machine's miners meet every block interval (measured); 0: the "
                  "spec's genesis target. Ignored with --chain")
      ->capture_default_str();
  cmd->add_option("--start-timeout", f.start_timeout_s, "Seconds to wait for each node's RPC")
      ->check(CLI::Range(1.0, 3600.0));
  if (run) {
    cmd->add_option("--load-tps", f.load_tps, "Also submit this many transfers per second")
        ->check(CLI::Range(0.0, 100000.0));
    cmd->add_option("--refresh", f.refresh_s, "Status redraw interval in seconds")->check(CLI::Range(0.1, 3600.0));
  }
}

std::expected<UpCommand, std::string> up_command(const UpFlags& f, bool run) {
  UpCommand c;
  c.run = run;
  UpOptions& o = c.up;
  o.nodes = f.nodes;
  auto topology = parse_topology(f.topology);
  if (!topology) return std::unexpected(topology.error());
  o.topology = *topology;
  o.miners = f.miners;
  if (!f.miner_nodes.empty()) {
    auto set = parse_node_set(f.miner_nodes);
    if (!set) return std::unexpected("--miner-nodes: " + set.error());
    o.miner_nodes = *set;
    o.miners = set->size();
  }
  o.dir = f.dir.empty() ? default_devnet_dir() : std::filesystem::path(f.dir);
  o.tallyd = f.tallyd;
  o.chain = f.chain;
  if (f.block_time_s > 0) o.block_time_s = f.block_time_s;
  o.latency = f.latency;
  o.jitter = f.jitter;
  o.rate = f.rate;
  o.loss = f.loss;
  o.net = f.net;
  o.engine = f.engine;
  o.image = f.image;
  o.threads_per_miner = f.threads_per_miner;
  o.seed = f.seed;
  o.tallyd_args = f.tallyd_args;
  o.private_network = f.private_network;
  o.discovery = f.discovery;
  o.seed_nodes = f.seed_nodes;
  o.calibrate = f.calibrate;
  o.start_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(f.start_timeout_s * 1000));
  if (run && f.load_tps > 0) c.load_tps = f.load_tps;
  c.refresh_s = f.refresh_s;
  if (auto ok = validate(o); !ok) return std::unexpected(ok.error());
  return c;
}

std::filesystem::path dir_or_default(const std::string& dir) {
  return dir.empty() ? default_devnet_dir() : std::filesystem::path(dir);
}

// Storage of `k8s`'s flags: the network ones as `up` names them, then the cluster's.
struct K8sFlags {
  UpFlags up;
  K8sSettings k8s;
  std::string scenario, out, load_duration = "60s";
  double load_tps = 0;
};

void add_k8s_flags(CLI::App* cmd, K8sFlags& f) {
  CLI::Option* nodes = cmd->add_option("--nodes,-n", f.up.nodes, "Number of nodes")->check(CLI::Range(std::size_t{1}, kMaxNodes));
  CLI::Option* topology = cmd->add_option("--topology,-t", f.up.topology, "line, ring, star, mesh or random:K");
  CLI::Option* miners = cmd->add_option("--miners,-m", f.up.miners, "Number of mining nodes, spread along the topology")
                            ->check(CLI::Range(std::size_t{0}, kMaxNodes));
  CLI::Option* discovery = cmd->add_flag("--discovery", f.up.discovery, "Seeds and address gossip instead of wiring");
  CLI::Option* seeds = cmd->add_option("--seeds", f.up.seed_nodes, "With --discovery: the number of seed nodes")
                           ->check(CLI::Range(std::size_t{1}, kMaxNodes));
  cmd->add_option("--threads-per-miner", f.up.threads_per_miner, "Mining threads per miner")->check(CLI::Range(1u, 256u));
  cmd->add_option("--chain", f.up.chain, "Chain spec JSON file (default: the embedded devnet spec)");
  cmd->add_option("--block-time", f.up.block_time_s, "Target block interval in seconds (overrides the spec)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{86400}));
  cmd->add_option("--seed", f.up.seed, "Seed of random:K (0 = random; recorded in devnet.json)");
  cmd->add_option("--tallyd-arg", f.up.tallyd_args, "Extra tallyd flag for every node's config (repeatable)");
  cmd->add_option("--scenario", f.scenario, "Take the network from a scenario file (what manifests can express)")
      ->excludes(nodes)->excludes(topology)->excludes(miners)->excludes(discovery)->excludes(seeds);
  cmd->add_option("--out,-o", f.out, "Directory for tally-devnet.yaml and devnet.json, or - for stdout (default .)");
  cmd->add_option("--format", f.k8s.format, "yaml or json (a Kubernetes List)")->check(CLI::IsMember({"yaml", "json"}));
  cmd->add_option("--image", f.k8s.image, "Container image")->capture_default_str();
  cmd->add_option("--namespace", f.k8s.ns, "Namespace the manifests are applied in")->capture_default_str();
  cmd->add_option("--name", f.k8s.name, "Name of the StatefulSet and Service; pods are NAME-<i>")->capture_default_str();
  cmd->add_option("--storage", f.k8s.storage, "Volume size of each node")->capture_default_str();
  cmd->add_option("--cpu-request", f.k8s.cpu_request, "CPU request of each container")->capture_default_str();
  cmd->add_option("--cpu-limit", f.k8s.cpu_limit, "CPU limit of each container")->capture_default_str();
  cmd->add_option("--memory-request", f.k8s.memory_request, "Memory request of each container")->capture_default_str();
  cmd->add_option("--memory-limit", f.k8s.memory_limit, "Memory limit of each container")->capture_default_str();
  cmd->add_option("--load-tps", f.load_tps, "Run the load Job at this rate (without: the Job is written suspended)")
      ->check(CLI::Range(0.001, 100000.0));
  cmd->add_option("--load-duration", f.load_duration, "How long the load Job runs (seconds, or 500ms, 2m)")
      ->capture_default_str();
}

std::expected<K8sCommand, std::string> k8s_command(const K8sFlags& f) {
  K8sCommand c;
  c.k8s = f.k8s;
  if (f.load_tps > 0) c.k8s.load_tps = f.load_tps;
  auto duration = parse_seconds(f.load_duration, "--load-duration");
  if (!duration) return std::unexpected(duration.error());
  c.k8s.load_duration_s = *duration;
  c.scenario = f.scenario;
  c.out = f.out.empty() ? "." : f.out;
  auto up = up_command(f.up, false);  // the network settings are `up`'s, checked the same way
  if (!up) return std::unexpected(up.error());
  c.up = up->up;
  c.up.calibrate = false;  // the cluster's hash rate is unknown here: the spec's target
  return c;
}

}  // namespace

std::filesystem::path default_devnet_dir() {
  if (const char* env = std::getenv("TALLY_DEVNET_DIR"); env != nullptr && *env != '\0') return env;
  return base::default_datadir_root() / "devnet";
}

std::expected<void, std::string> validate(const UpOptions& o) {
  if (o.nodes < 1 || o.nodes > kMaxNodes) return std::unexpected("--nodes must be 1.." + std::to_string(kMaxNodes));
  if (o.discovery && (o.seed_nodes < 1 || o.seed_nodes > o.nodes))
    return std::unexpected("--seeds must be 1..--nodes (" + std::to_string(o.nodes) + ")");
  if (o.miners > o.nodes) return std::unexpected("--miners must not exceed --nodes");
  for (std::size_t m : o.miner_nodes)
    if (m >= o.nodes) return std::unexpected("--miner-nodes: node " + std::to_string(m) + " does not exist");
  for (const auto& l : o.link_overrides) {
    if (l.a >= o.nodes || l.b >= o.nodes || l.a == l.b)
      return std::unexpected("link " + std::to_string(l.a) + "-" + std::to_string(l.b) +
                             ": both ends must be distinct existing nodes");
  }
  if (o.dir.empty()) return std::unexpected("--dir is required");
  if (o.threads_per_miner < 1) return std::unexpected("--threads-per-miner must be at least 1");
  if (o.block_time_s && *o.block_time_s < 1) return std::unexpected("--block-time must be at least 1 second");
  if (!o.latency.empty())
    if (auto v = base::parse_duration_ms(o.latency); !v) return std::unexpected("--latency: " + v.error());
  if (!o.jitter.empty())
    if (auto v = base::parse_duration_ms(o.jitter); !v) return std::unexpected("--jitter: " + v.error());
  if (!o.rate.empty())
    if (auto v = base::parse_rate(o.rate); !v) return std::unexpected("--rate: " + v.error());
  if (o.net != "loopback" && o.net != "netns") return std::unexpected("--net must be loopback or netns");
  if (!o.loss.empty()) {
    if (o.net != "netns") return std::unexpected(std::string("--loss needs --net netns"));
    std::string digits = o.loss.ends_with('%') ? o.loss.substr(0, o.loss.size() - 1) : o.loss;
    std::size_t used = 0;
    double v = -1;
    try {
      v = std::stod(digits, &used);
    } catch (const std::exception&) {
    }
    if (digits.empty() || used != digits.size() || !(v >= 0 && v <= 100)) return std::unexpected("--loss: bad percentage '" + o.loss + "' (e.g. 1%)");
  }
  if (o.engine != "process" && o.engine != "podman" && o.engine != "docker")
    return std::unexpected("--engine must be process or podman");
  if (o.engine != "process" && o.net == "netns")
    return std::unexpected(std::string("--engine podman gives every node its own address already; leave out --net netns"));
  if (o.engine == "process" && !o.image.empty()) return std::unexpected(std::string("--image needs --engine podman"));
  if (o.engine != "process" && o.nodes > 250) return std::unexpected(std::string("--engine podman supports at most 250 nodes"));
  if (o.net == "netns" && o.nodes > 250) return std::unexpected(std::string("--net netns supports at most 250 nodes"));
  std::vector<bool> seen(o.nodes, false);
  for (const NodeOverride& n : o.node_overrides) {
    const std::string what = "node " + std::to_string(n.node) + ": ";
    if (n.node >= o.nodes) return std::unexpected(what + "does not exist");
    if (seen[n.node]) return std::unexpected(what + "more than one override");
    seen[n.node] = true;
    if (n.threads && (*n.threads < 1 || *n.threads > 256)) return std::unexpected(what + "threads must be 1..256");
    if (n.max_inbound && *n.max_inbound > 1024) return std::unexpected(what + "max_inbound: tallyd allows at most 1024");
    if (n.max_outbound && *n.max_outbound > 64) return std::unexpected(what + "max_outbound: tallyd allows at most 64");
    if (n.relay_only && n.mining.value_or(false)) return std::unexpected(what + "a relay-only node does not mine");
    if (n.latency)
      if (auto v = base::parse_duration_ms(*n.latency); !v) return std::unexpected(what + "latency: " + v.error());
    if (n.jitter)
      if (auto v = base::parse_duration_ms(*n.jitter); !v) return std::unexpected(what + "jitter: " + v.error());
    if (n.rate)
      if (auto v = base::parse_rate(*n.rate); !v) return std::unexpected(what + "rate: " + v.error());
  }
  return {};
}

const NodeOverride* override_of(const UpOptions& o, std::size_t node) {
  for (const NodeOverride& n : o.node_overrides)
    if (n.node == node) return &n;
  return nullptr;
}

std::vector<std::size_t> effective_miners(const UpOptions& o) {
  std::vector<std::size_t> miners = o.miner_nodes.empty() ? spread_miners(o.nodes, o.miners) : o.miner_nodes;
  for (const NodeOverride& n : o.node_overrides) {
    if (n.relay_only) std::erase(miners, n.node);
    if (!n.mining) continue;
    std::erase(miners, n.node);
    if (*n.mining) miners.push_back(n.node);
  }
  std::sort(miners.begin(), miners.end());
  miners.erase(std::unique(miners.begin(), miners.end()), miners.end());
  return miners;
}

std::expected<ParsedCommandLine, std::string> parse_command_line(int argc, const char* const* argv) {
  CLI::App app{"tally-devnet: start, watch, load, partition and stop a devnet of tallyd nodes on this machine.\n"
               "Every subcommand finds the devnet again through DIR/devnet.json."};
  app.set_version_flag("--version", "tally-devnet 0.1.0");
  app.require_subcommand(1);
  // A flag given twice takes its last value, so scripts can append overrides to defaults.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  UpFlags up_flags, run_flags;
  CLI::App* up = app.add_subcommand("up", "Start a devnet in the background and record it in DIR/devnet.json");
  add_up_flags(up, up_flags, false);
  CLI::App* run = app.add_subcommand("run", "Like up, then show live status (and load) until Ctrl-C, then down");
  add_up_flags(run, run_flags, true);

  std::string dir;
  double watch_s = 0;
  CLI::App* status = app.add_subcommand("status", "Heights, tips, peers and agreement of every node");
  status->add_option("--dir,-d", dir, "Devnet directory");
  status->add_option("--watch,-w", watch_s, "Redraw every this many seconds until Ctrl-C")->check(CLI::Range(0.1, 3600.0));
  bool status_json = false;
  status->add_flag("--json", status_json, "Print the status as JSON (once)");

  std::size_t cli_node = 0;
  std::string cli_method;
  std::vector<std::string> cli_args;
  CLI::App* cli = app.add_subcommand(
      "cli", "Call an RPC method on node N, like tally-cli: args are JSON when they parse, else strings");
  cli->add_option("--dir,-d", dir, "Devnet directory");
  cli->add_option("node", cli_node, "Node index")->required();
  cli->add_option("method", cli_method, "RPC method")->required();
  cli->add_option("args", cli_args, "Its arguments (after --, also ones that start with '-')");

  std::string tps_text = "10", duration_text = "10";
  std::uint64_t load_seed = 0;
  CLI::App* load = app.add_subcommand("load", "Submit signed transfers from the devnet keys to random nodes");
  load->add_option("--dir,-d", dir, "Devnet directory");
  load->add_option("--tps", tps_text, "Transfers per second")->capture_default_str();
  load->add_option("--duration", duration_text, "How long (seconds, or 500ms, 2m)")->capture_default_str();
  load->add_option("--seed", load_seed, "Random seed (0 = random)");
  LoadCommand remote_load;
  load->add_option("--rpc", remote_load.rpc,
                   "A node's RPC endpoint host:port instead of a devnet directory (repeatable; the Kubernetes load Job)");
  load->add_option("--rpcuser", remote_load.rpcuser, "With --rpc: the RPC user")->envname("TALLY_RPCUSER");
  load->add_option("--rpcpassword-file", remote_load.rpcpassword_file,
                   "With --rpc: a file holding the password (default $TALLY_RPCPASSWORD)");
  load->add_option("--chain", remote_load.chain, "With --rpc: the nodes' chain spec (default: the embedded devnet spec)");

  std::vector<std::string> groups;
  CLI::App* partition = app.add_subcommand(
      "partition", "Split the network: nodes of different groups refuse each other (e.g. partition 0-1 2-4)");
  partition->add_option("--dir,-d", dir, "Devnet directory");
  partition->add_option("groups", groups, "Node groups: ranges and lists such as 0-1 2,3,4")->required();

  CLI::App* heal = app.add_subcommand("heal", "Undo partition: every node accepts every peer again");
  heal->add_option("--dir,-d", dir, "Devnet directory");

  std::size_t node_index = 0;
  CLI::App* stop = app.add_subcommand("stop", "Stop one node (RPC stop, then wait for its process to exit)");
  stop->add_option("--dir,-d", dir, "Devnet directory");
  stop->add_option("node", node_index, "Node index")->required();
  CLI::App* start = app.add_subcommand("start", "Start a stopped node again with its recorded flags");
  start->add_option("--dir,-d", dir, "Devnet directory");
  start->add_option("node", node_index, "Node index")->required();

  bool clean = false;
  CLI::App* down = app.add_subcommand("down", "Stop every node of the devnet (keeps the datadirs unless --clean)");
  down->add_option("--dir,-d", dir, "Devnet directory");
  down->add_flag("--clean", clean, "Also remove the devnet directory");

  std::string scenario_file, scenario_tallyd;
  CLI::App* scenario = app.add_subcommand(
      "scenario", "Run a scripted experiment from a JSON file (docs/SCENARIOS.md): up, load, timed partitions, "
                  "heals, stops and starts, then the report and down");
  scenario->add_option("file", scenario_file, "Scenario JSON file")->required();
  scenario->add_option("--dir,-d", dir, "Devnet directory");
  scenario->add_option("--tallyd", scenario_tallyd, "tallyd binary (default: next to tally-devnet, else on PATH)");

  std::string report_dir;
  CLI::App* report = app.add_subcommand(
      "report", "Convergence report from the nodes' event logs: DIR/report.html and DIR/report.json");
  report->add_option("dir", report_dir, "Devnet directory (default: --dir or $TALLY_DEVNET_DIR)");
  report->add_option("--dir,-d", dir, "Devnet directory");

  std::uint16_t dashboard_port = 8080;
  CLI::App* dashboard = app.add_subcommand(
      "dashboard", "Serve a live view of the devnet (peer graph, block tree, heights, propagation, partitions) on "
                   "http://127.0.0.1:PORT until Ctrl-C");
  dashboard->add_option("--dir,-d", dir, "Devnet directory");
  dashboard->add_option("--port,-p", dashboard_port, "Port on 127.0.0.1 (0: any free port)")->capture_default_str();

  K8sFlags k8s_flags;
  CLI::App* k8s = app.add_subcommand(
      "k8s", "Write Kubernetes manifests (ConfigMap, Secret, headless Service, StatefulSet, load Job) for a devnet "
             "on a cluster, peers wired by DNS name (docs/DEVNET.md, \"Kubernetes\")");
  add_k8s_flags(k8s, k8s_flags);

  ParsedCommandLine out;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.output = app.help();
    for (CLI::App* sub : app.get_subcommands()) out.output = sub->help();
    return out;
  } catch (const CLI::CallForVersion&) {
    out.output = "tally-devnet 0.1.0\n";
    return out;
  } catch (const CLI::ParseError& e) {
    return std::unexpected(std::string(e.what()));
  }

  if (up->parsed() || run->parsed()) {
    const bool is_run = run->parsed();
    auto c = up_command(is_run ? run_flags : up_flags, is_run);
    if (!c) return std::unexpected(c.error());
    out.command = std::move(*c);
  } else if (status->parsed()) {
    StatusCommand c{dir_or_default(dir), std::nullopt, status_json};
    if (watch_s > 0) c.watch_s = watch_s;
    if (c.json && c.watch_s) return std::unexpected("status: --json and --watch do not go together");
    out.command = c;
  } else if (cli->parsed()) {
    out.command = CliCommand{dir_or_default(dir), cli_node, cli_method, cli_args};
  } else if (load->parsed()) {
    LoadCommand c = remote_load;
    if (!c.rpc.empty() && c.rpcuser.empty()) return std::unexpected("--rpc needs --rpcuser (or $TALLY_RPCUSER)");
    c.dir = dir_or_default(dir);
    try {
      std::size_t used = 0;
      c.tps = std::stod(tps_text, &used);
      if (used != tps_text.size() || !(c.tps > 0) || c.tps > 100000) throw std::invalid_argument("tps");
    } catch (const std::exception&) {
      return std::unexpected("--tps: must be a number in (0, 100000]");
    }
    auto d = parse_seconds(duration_text, "--duration");
    if (!d) return std::unexpected(d.error());
    c.duration_s = *d;
    c.seed = load_seed;
    out.command = c;
  } else if (partition->parsed()) {
    PartitionCommand c;
    c.dir = dir_or_default(dir);
    for (const auto& g : groups) {
      auto set = parse_node_set(g);
      if (!set) return std::unexpected(set.error());
      c.groups.push_back(*set);
    }
    out.command = c;
  } else if (heal->parsed()) {
    out.command = HealCommand{dir_or_default(dir)};
  } else if (stop->parsed()) {
    out.command = StopCommand{dir_or_default(dir), node_index};
  } else if (start->parsed()) {
    out.command = StartCommand{dir_or_default(dir), node_index};
  } else if (down->parsed()) {
    out.command = DownCommand{dir_or_default(dir), clean};
  } else if (scenario->parsed()) {
    out.command = ScenarioCommand{scenario_file, dir_or_default(dir), scenario_tallyd};
  } else if (report->parsed()) {
    out.command = ReportCommand{report_dir.empty() ? dir_or_default(dir) : std::filesystem::path(report_dir)};
  } else if (dashboard->parsed()) {
    out.command = DashboardCommand{dir_or_default(dir), dashboard_port};
  } else if (k8s->parsed()) {
    auto c = k8s_command(k8s_flags);
    if (!c) return std::unexpected(c.error());
    out.command = std::move(*c);
  }
  return out;
}

}  // namespace tally::devnet
