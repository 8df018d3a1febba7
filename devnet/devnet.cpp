#include "devnet/devnet.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "crypto/address.h"
#include "crypto/hex.h"
#include "crypto/keys.h"
#include "crypto/node_key.h"
#include "base/files.h"
#include "base/json_read.h"
#include "devnet/calibrate.h"
#include "devnet/containers.h"
#include "devnet/netns.h"
#include "events/control_event.h"
#include "devnet/process.h"
#include "support/ports.h"
#include "support/process.h"
#include "ledger/embedded_spec.h"

namespace tally::devnet {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kRpcStopGrace{15'000};  // RPC stop -> exit (RocksDB closes in well under that)
constexpr milliseconds kTermGrace{5'000};      // SIGTERM -> exit
constexpr milliseconds kKillGrace{5'000};      // SIGKILL -> gone
constexpr milliseconds kQuickRpc{3'000};
constexpr milliseconds kDefaultStartTimeout{30'000};
constexpr int kStartAttempts = 3;
constexpr std::uint16_t kNetnsP2pPort = 20444;  // netns mode: every node on its own address
constexpr std::uint16_t kNetnsRpcPort = 20443;

std::expected<ledger::ChainSpec, std::string> spec_from_layout(const Layout& l) {
  if (l.chain.empty()) return ledger::parse_chain_spec(ledger::embedded_devnet_spec());
  auto spec = ledger::load_chain_spec_file(l.chain.string());
  if (!spec) return std::unexpected("chain spec " + l.chain.string() + ": " + spec.error());
  return spec;
}

// Writes DIR/chain.json when the devnet runs a custom spec or block time; returns its path
// (empty: the embedded spec unchanged) and the parsed spec.
// The measured hash rate and the starting target chosen from it (UpOptions::calibrate).
struct Calibration {
  double hashes_per_s_per_thread = 0;
  double mining_threads = 0;
  std::uint32_t genesis_bits = 0;
};

// Mining threads of the devnet: each miner's own (persona) count or --threads-per-miner.
unsigned miner_thread_count(const UpOptions& o, const std::vector<std::size_t>& miners) {
  unsigned total = 0;
  for (std::size_t m : miners) {
    const NodeOverride* own = override_of(o, m);
    total += own && own->threads ? *own->threads : o.threads_per_miner;
  }
  return total;
}

std::expected<std::pair<std::filesystem::path, ledger::ChainSpec>, std::string> prepare_chain(
    const UpOptions& o, const std::filesystem::path& dir, unsigned miner_threads, std::optional<Calibration>& cal) {
  const bool calibrate = o.calibrate && o.chain.empty() && miner_threads > 0;
  if (o.chain.empty() && !o.block_time_s && !calibrate) {
    auto spec = ledger::parse_chain_spec(ledger::embedded_devnet_spec());
    if (!spec) return std::unexpected("embedded chain spec: " + spec.error());
    return std::pair{std::filesystem::path(), std::move(*spec)};
  }
  std::string text;
  if (o.chain.empty()) {
    text = ledger::embedded_devnet_spec();
  } else {
    auto t = base::read_file(o.chain);
    if (!t) return std::unexpected("--chain: " + t.error());
    text = std::move(*t);
  }
  json::value v;
  try {
    v = json::parse(text);
  } catch (const std::exception& e) {
    return std::unexpected("chain spec: " + std::string(e.what()));
  }
  if (!v.is_object()) return std::unexpected(std::string("chain spec: not a JSON object"));
  if (o.block_time_s) v.get_object()["block_interval_s"] = *o.block_time_s;
  // A devnet restarted on its datadirs keeps the target it was calibrated to: a new
  // measurement would give another genesis, and the datadirs would belong to another chain.
  const std::filesystem::path previous_file = dir / "chain.json";
  if (calibrate && std::filesystem::exists(previous_file)) {
    if (auto previous_text = base::read_file(previous_file)) {
      auto previous = ledger::parse_chain_spec(*previous_text);
      auto wanted = ledger::parse_chain_spec(json::serialize(v));
      if (previous && wanted && previous->block_interval_s == wanted->block_interval_s &&
          previous->name == wanted->name && previous->chain_id == wanted->chain_id) {
        Calibration c;
        c.genesis_bits = previous->genesis_bits;
        cal = c;
        return std::pair{previous_file, std::move(*previous)};
      }
    }
  }
  if (calibrate) {
    auto base = ledger::parse_chain_spec(json::serialize(v));
    if (!base) return std::unexpected("chain spec: " + base.error());
    Calibration c;
    c.hashes_per_s_per_thread = measure_hash_rate_per_thread(std::chrono::milliseconds(800));
    c.mining_threads = effective_mining_threads(miner_threads, std::thread::hardware_concurrency());
    c.genesis_bits = bits_for_interval(c.hashes_per_s_per_thread * c.mining_threads,
                                       static_cast<double>(base->block_interval_s), base->pow_limit_bits);
    char bits[16];
    std::snprintf(bits, sizeof bits, "0x%08x", c.genesis_bits);
    v.get_object()["genesis_bits"] = bits;
    v.get_object()["asert_half_life_s"] = calibrated_half_life_s(base->asert_half_life_s, base->block_interval_s);
    cal = c;
  }
  const std::string out = pretty_json(v);
  auto spec = ledger::parse_chain_spec(out);
  if (!spec) return std::unexpected("chain spec: " + spec.error());
  const std::filesystem::path file = dir / "chain.json";
  if (auto w = base::write_file_atomic(file, out); !w) return std::unexpected(w.error());
  return std::pair{file, std::move(*spec)};
}

json::object options_json(const UpOptions& o, const std::vector<std::size_t>& miners) {
  json::array miner_nodes, extra;
  for (std::size_t m : miners) miner_nodes.emplace_back(m);
  for (const auto& a : o.tallyd_args) extra.emplace_back(a);
  json::object j{{"nodes", o.nodes},
                 {"topology", to_string(o.topology)},
                 {"miners", miners.size()},
                 {"miner_nodes", std::move(miner_nodes)},
                 {"chain", o.chain.string()},
                 {"latency", o.latency},
                 {"jitter", o.jitter},
                 {"rate", o.rate},
                 {"loss", o.loss},
                 {"net", o.net},
                 {"engine", o.engine},
                 {"threads_per_miner", o.threads_per_miner},
                 {"tallyd_args", std::move(extra)},
                 {"start_timeout_ms", o.start_timeout.count()},
                 {"stop_with_parent", o.stop_with_parent},
                 {"private", o.private_network},
                 {"discovery", o.discovery},
                 {"calibrate", o.calibrate}};
  if (o.discovery) j["seeds"] = o.seed_nodes;
  if (o.block_time_s) j["block_time_s"] = *o.block_time_s;
  if (!o.node_overrides.empty()) {
    json::array overrides;
    for (const NodeOverride& n : o.node_overrides) {
      json::object one{{"node", n.node}};
      if (n.mining) one["mining"] = *n.mining;
      if (n.threads) one["threads"] = *n.threads;
      if (n.latency) one["latency"] = *n.latency;
      if (n.jitter) one["jitter"] = *n.jitter;
      if (n.rate) one["rate"] = *n.rate;
      if (n.max_inbound) one["max_inbound"] = *n.max_inbound;
      if (n.max_outbound) one["max_outbound"] = *n.max_outbound;
      if (n.relay_only) one["relay_only"] = true;
      if (!n.tallyd_args.empty()) {
        json::array args;
        for (const auto& a : n.tallyd_args) args.emplace_back(a);
        one["tallyd_args"] = std::move(args);
      }
      overrides.push_back(std::move(one));
    }
    j["node_overrides"] = std::move(overrides);
  }
  return j;
}

milliseconds start_timeout_of(const Layout& l) {
  auto ms = base::read_json_with([&] { return base::json_optional<std::int64_t>(l.options, "start_timeout_ms"); });
  if (ms && *ms && **ms > 0) return milliseconds(**ms);
  return kDefaultStartTimeout;
}

std::optional<int> node_json_pid(const std::filesystem::path& datadir) {
  auto text = base::read_file(datadir / "node.json");
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  const json::value v = json::parse(*text, ec);
  if (ec) return std::nullopt;
  auto pid = base::read_json_with([&] { return base::json_field<int>(base::json_object(v), "pid"); });
  return pid ? std::optional<int>(*pid) : std::nullopt;
}

// Waits for every pid to exit, escalating to SIGTERM and then SIGKILL; returns the survivors.
std::vector<int> terminate_all(std::vector<int> pids, milliseconds grace) {
  auto wait_all = [&](milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      std::erase_if(pids, [](int pid) { return !process_running(pid); });
      if (pids.empty() || Clock::now() >= deadline) return;
      std::this_thread::sleep_for(milliseconds(20));
    }
  };
  wait_all(grace);
  for (int pid : pids) send_signal(pid, SIGTERM);
  wait_all(kTermGrace);
  for (int pid : pids) send_signal(pid, SIGKILL);
  wait_all(kKillGrace);
  return pids;
}

std::int64_t unix_now_s() { return static_cast<std::int64_t>(std::time(nullptr)); }

// The node records of a fresh layout: names, datadirs, ports and each tallyd's flags.
std::vector<NodeRecord> make_nodes(const UpOptions& options, const Layout& l, const std::vector<std::uint16_t>& ports,
                                   const std::vector<std::size_t>& miners, const ledger::ChainSpec& spec,
                                   const NetnsPlan* plan = nullptr, const ContainerPlan* containers = nullptr) {
  std::vector<NodeRecord> nodes;
  for (std::size_t i = 0; i < options.nodes; ++i) {
    NodeRecord n;
    n.index = i;
    n.name = "node" + std::to_string(i);
    n.datadir = l.dir / n.name;
    n.p2p_port = ports[2 * i];
    n.rpc_port = ports[2 * i + 1];
    n.mining = std::find(miners.begin(), miners.end(), i) != miners.end();
    if (plan != nullptr) {
      n.host = plan->node_ip(i);
      n.netns = plan->ns(i);
    }
    if (containers != nullptr) {
      n.host = containers->node_ip(i);
      n.container = containers->container(i);
    }
    nodes.push_back(std::move(n));
  }
  for (NodeRecord& n : nodes) {
    auto& a = n.args;
    a = {"--datadir", n.datadir.string(), "--name", n.name, "--port", std::to_string(n.p2p_port),
         "--rpcport", std::to_string(n.rpc_port), "--eventlog", "1", "--printtoconsole", "0"};
    if (!l.chain.empty()) a.insert(a.end(), {"--chain", l.chain.string()});
    if (plan != nullptr) a.insert(a.end(), {"--bind", n.host, "--rpcbind", n.host, "--rpcallowip", plan->cidr()});
    if (containers != nullptr)
      a.insert(a.end(), {"--bind", n.host, "--rpcbind", n.host, "--rpcallowip", containers->cidr()});
    if (options.discovery) {
      // Seeds keep each other; the rest know only the seeds and find the others by gossip.
      const bool is_seed = n.index < options.seed_nodes;
      for (std::size_t s = 0; s < options.seed_nodes; ++s)
        if (s != n.index) a.insert(a.end(), {is_seed ? "--addnode" : "--seed", nodes[s].p2p_endpoint()});
    } else {
      const auto targets = dial_targets(n.index, l.edges);
      for (std::size_t t : targets) a.insert(a.end(), {"--connect", nodes[t].p2p_endpoint()});
      // A node that dials nobody would otherwise discover (and dial) peers outside the topology.
      if (targets.empty()) a.insert(a.end(), {"--maxoutbound", "0"});
    }
    const NodeOverride* own = override_of(options, n.index);
    if (n.mining) {
      const auto key = devnet_key(n.index % kDevnetKeyCount);
      const unsigned threads = own && own->threads ? *own->threads : options.threads_per_miner;
      a.insert(a.end(), {"--mine", "1", "--minethreads", std::to_string(threads), "--mineraddress",
                         crypto::encode_address(crypto::address_of(key.public_key()), spec.address_prefix)});
    }
    // In netns mode the devnet-wide shaping is done by tc on the node's veth, not by tallyd.
    static const std::string kNone;
    const std::string& latency = own && own->latency ? *own->latency : plan ? kNone : options.latency;
    const std::string& jitter = own && own->jitter ? *own->jitter : plan ? kNone : options.jitter;
    const std::string& rate = own && own->rate ? *own->rate : plan ? kNone : options.rate;
    if (!latency.empty()) a.insert(a.end(), {"--latency", latency});
    if (!jitter.empty()) a.insert(a.end(), {"--jitter", jitter});
    if (!rate.empty()) a.insert(a.end(), {"--rate", rate});
    for (const LinkOverride& link : options.link_overrides) {
      if (link.a != n.index && link.b != n.index) continue;
      const NodeRecord& other = nodes[link.a == n.index ? link.b : link.a];
      a.insert(a.end(), {"--linkshaping", other.p2p_endpoint() + "=" + link.latency + "/" + link.jitter + "/" + link.rate});
    }
    if (own && own->max_inbound) a.insert(a.end(), {"--maxinbound", std::to_string(*own->max_inbound)});
    if (own && own->max_outbound) a.insert(a.end(), {"--maxoutbound", std::to_string(*own->max_outbound)});
    n.relay_only = own && own->relay_only;
    a.insert(a.end(), options.tallyd_args.begin(), options.tallyd_args.end());
    if (own) a.insert(a.end(), own->tallyd_args.begin(), own->tallyd_args.end());
  }
  return nodes;
}


// --private: a permissioned devnet. Every node gets a node key (kept in its datadir as
// tallyd keeps it: 64 hex digits, mode 0600; an existing valid one is kept), dials its
// topology's peers by key (KEY@host:port) and admits only the devnet's own keys
// (<dir>/allowed-keys.txt, passed with --peerallowfile).
std::expected<void, std::string> make_private(std::vector<NodeRecord>& nodes, const std::filesystem::path& dir) {
  std::vector<std::string> pubs;
  for (const NodeRecord& n : nodes) {
    std::error_code ec;
    std::filesystem::create_directories(n.datadir, ec);
    if (ec) return std::unexpected("cannot create " + n.datadir.string() + ": " + ec.message());
    // An existing valid key is kept (a devnet restarted on its datadirs); a damaged one is
    // an error, as tallyd would report it.
    const auto path = n.datadir / "nodekey";
    std::optional<crypto::SecretKey> key;
    if (std::filesystem::exists(path, ec)) {
      auto text = base::read_file(path);
      if (!text) return std::unexpected(text.error());
      auto k = crypto::parse_node_key_file(*text);
      if (!k) return std::unexpected(path.string() + ": " + k.error());
      key = *k;
    } else {
      key = crypto::SecretKey::generate();
      if (auto w = base::write_new_private_file(path, crypto::node_key_file_text(*key)); !w) return std::unexpected(w.error());
    }
    pubs.push_back(crypto::to_hex(key->compressed_public_key().span()));
  }
  std::string allow = "# node keys of the devnet in " + dir.string() + " (tally-devnet up --private)\n";
  for (std::size_t i = 0; i < nodes.size(); ++i) allow += pubs[i] + "  # " + nodes[i].name + "\n";
  const auto allow_path = dir / "allowed-keys.txt";
  if (auto w = base::write_file_atomic(allow_path, allow); !w) return std::unexpected(allow_path.string() + ": " + w.error());
  for (NodeRecord& n : nodes) {
    for (std::size_t a = 0; a + 1 < n.args.size(); ++a) {
      if (n.args[a] != "--connect" && n.args[a] != "--addnode" && n.args[a] != "--seed") continue;
      for (std::size_t t = 0; t < nodes.size(); ++t)
        if (nodes[t].p2p_endpoint() == n.args[a + 1]) n.args[a + 1] = pubs[t] + "@" + n.args[a + 1];
    }
    n.args.insert(n.args.end(), {"--peerallowfile", allow_path.string()});
  }
  return {};
}

}  // namespace

std::vector<int> live_pids(const NodeRecord& n) {
  std::vector<int> out;
  if (is_tallyd_for(n.pid, n.datadir)) out.push_back(n.pid);
  if (auto p = node_json_pid(n.datadir); p && *p != n.pid && is_tallyd_for(*p, n.datadir)) out.push_back(*p);
  return out;
}

std::string tail_file(const std::filesystem::path& file, std::size_t max_lines) {
  std::ifstream in(file);
  if (!in) return "";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "    " + l + "\n";
  return out;
}

Devnet::Devnet(Layout layout, std::shared_ptr<const ledger::ChainSpec> spec, LogFn log)
    : mu_(std::make_unique<std::mutex>()), layout_(std::move(layout)), spec_(std::move(spec)), log_(std::move(log)) {}
Devnet::Devnet(Devnet&&) noexcept = default;
Devnet& Devnet::operator=(Devnet&&) noexcept = default;
Devnet::~Devnet() = default;

void Devnet::say(const std::string& message) const {
  if (log_) log_(message);
}

Layout Devnet::layout() const {
  std::lock_guard lock(*mu_);
  return layout_;
}

void Devnet::reload() {
  auto l = load_layout(layout().dir);
  if (!l) return;  // keep the last known layout (e.g. the file was removed by down --clean)
  std::lock_guard lock(*mu_);
  layout_ = std::move(*l);
}

std::expected<void, std::string> Devnet::save() {
  return save_layout(layout());
}

std::expected<Devnet, std::string> Devnet::open(const std::filesystem::path& dir, LogFn log) {
  std::error_code ec;
  const auto abs = std::filesystem::absolute(dir, ec);
  auto layout = load_layout(ec ? dir : abs);
  if (!layout) return std::unexpected(layout.error());
  auto spec = spec_from_layout(*layout);
  if (!spec) return std::unexpected(spec.error());
  return Devnet(std::move(*layout), std::make_shared<const ledger::ChainSpec>(std::move(*spec)), std::move(log));
}

std::expected<Devnet, std::string> Devnet::up(const UpOptions& options, LogFn log) {
  if (auto ok = validate(options); !ok) return std::unexpected(ok.error());
  if (options.net == "netns")
    if (auto ok = check_netns_support(); !ok) return std::unexpected(ok.error());
  ContainerSupport container_support;
  const std::string image = options.image.empty() ? default_image() : options.image;
  if (options.engine != "process") {
    auto r = check_container_support(options.engine, image);
    if (!r) return std::unexpected(r.error());
    container_support = *r;
  }
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::absolute(options.dir, ec).lexically_normal();
  if (ec) return std::unexpected("--dir " + options.dir.string() + ": " + ec.message());
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected("cannot create " + dir.string() + ": " + ec.message());

  // A devnet recorded here must not be running; a stopped one is started afresh on its datadirs.
  if (auto previous = load_layout(dir)) {
    std::string running;
    for (const NodeRecord& n : previous->nodes)
      for (int pid : live_pids(n)) running += " " + n.name + " (pid " + std::to_string(pid) + ")";
    if (!running.empty())
      return std::unexpected("a devnet is already running in " + dir.string() + ":" + running +
                             "; stop it first with `tally-devnet down --dir " + dir.string() + "`");
  }

  std::filesystem::path tallyd = options.tallyd.empty() ? find_default_tallyd() : options.tallyd;
  if (options.engine == "process") {  // containers run the image's tallyd
    if (tallyd.empty()) return std::unexpected(std::string("tallyd not found next to tally-devnet or on PATH; use --tallyd"));
    tallyd = std::filesystem::absolute(tallyd, ec);
    if (ec || !std::filesystem::is_regular_file(tallyd, ec))
      return std::unexpected("--tallyd " + tallyd.string() + ": no such file");
  }

  const std::vector<std::size_t> miners = effective_miners(options);
  std::optional<Calibration> cal;
  auto chain = prepare_chain(options, dir, miner_thread_count(options, miners), cal);
  if (!chain) return std::unexpected(chain.error());

  Layout l;
  l.dir = dir;
  l.tallyd = tallyd;
  l.chain = chain->first;
  l.topology = options.topology;
  l.seed = options.seed != 0 ? options.seed : (std::uint64_t{std::random_device{}()} << 32 | std::random_device{}());
  if (!options.discovery) l.edges = make_edges(options.nodes, options.topology, l.seed);
  l.created_unix_s = unix_now_s();
  l.options = options_json(options, miners);
  if (cal) {
    char bits[16];
    std::snprintf(bits, sizeof bits, "0x%08x", cal->genesis_bits);
    l.options["calibration"] = json::object{{"hashes_per_s_per_thread", cal->hashes_per_s_per_thread},
                                            {"mining_threads", cal->mining_threads},
                                            {"genesis_bits", bits}};
    if (log && cal->hashes_per_s_per_thread == 0)
      log(std::string("kept the starting target calibrated before (") + bits + " in " + chain->first.string() + ")");
    else if (log)
      log("calibrated the starting target: " + std::to_string(static_cast<long long>(cal->hashes_per_s_per_thread)) +
          " H/s per thread x " + std::to_string(static_cast<int>(cal->mining_threads)) + " mining threads -> bits " +
          bits + " for " + std::to_string(chain->second.block_interval_s) + " s blocks");
  }

  // Ports are picked free, but another process may take one before its tallyd binds it:
  // then the whole layout is tried again on fresh ports.
  auto shared_spec = std::make_shared<const ledger::ChainSpec>(std::move(chain->second));
  if (options.net == "netns") return up_netns(options, std::move(l), shared_spec, miners, std::move(log));
  if (options.engine != "process") {
    auto plan = plan_containers(dir, options.nodes, options.engine, image, container_support);
    if (!plan) return std::unexpected(plan.error());
    return up_containers(options, std::move(l), shared_spec, miners, *plan, std::move(log));
  }
  std::optional<Devnet> started;
  for (int attempt = 1; !started; ++attempt) {
    auto ports = support::pick_free_ports(2 * options.nodes);
    if (!ports) return std::unexpected("picking free ports: " + ports.error());
    Layout attempt_layout = l;
    attempt_layout.nodes = make_nodes(options, attempt_layout, *ports, miners, *shared_spec);
    if (options.private_network)
      if (auto p = make_private(attempt_layout.nodes, dir); !p) return std::unexpected(p.error());
    Devnet net(std::move(attempt_layout), shared_spec, log);
    auto r = net.start_all(options.start_timeout);
    if (r) {
      started.emplace(std::move(net));
    } else {
      (void)net.down(false);
      if (r.error().find("belongs to another chain") != std::string::npos)
        return std::unexpected(r.error() + "the datadirs in " + dir.string() +
                               " were made with another chain spec or --block-time; start afresh with "
                               "`tally-devnet down --clean --dir " + dir.string() + "` or use another --dir");
      if (attempt >= kStartAttempts || r.error().find("already in use") == std::string::npos)
        return std::unexpected(r.error());
      net.say("a port was taken meanwhile; trying again with other ports");
    }
  }
  Devnet& net = *started;
  net.say("devnet of " + std::to_string(options.nodes) + " nodes up in " + dir.string() + " (" +
          to_string(options.topology) + ", " + std::to_string(miners.size()) + " miners)");
  return std::move(net);
}

std::expected<Devnet, std::string> Devnet::up_netns(const UpOptions& options, Layout l,
                                                     std::shared_ptr<const ledger::ChainSpec> spec,
                                                     const std::vector<std::size_t>& miners, LogFn log) {
  // What a crashed netns devnet of this directory left behind (its nodes are not running).
  if (auto previous = load_layout(l.dir); previous && !previous->netns.empty())
    if (auto old = netns_plan_from_json(previous->netns)) (void)netns_teardown(*old);
  auto plan = plan_netns(l.dir, options.nodes);
  if (!plan) return std::unexpected(plan.error());
  l.net = "netns";
  l.netns = to_json(*plan);
  // Every node has its own address, so every node uses the same ports.
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < options.nodes; ++i) ports.insert(ports.end(), {kNetnsP2pPort, kNetnsRpcPort});
  l.nodes = make_nodes(options, l, ports, miners, *spec, &*plan);
  if (options.private_network)
    if (auto p = make_private(l.nodes, l.dir); !p) return std::unexpected(p.error());
  Devnet net(std::move(l), std::move(spec), std::move(log));
  // Recorded before anything is made, so that `down` removes whatever a crash leaves behind.
  if (auto s = net.save(); !s) return std::unexpected(s.error());
  auto fail = [&net](const std::string& error) -> std::expected<Devnet, std::string> {
    (void)net.down(false);
    return std::unexpected(error);
  };
  if (auto r = netns_create(*plan); !r) return fail("setting up the namespaces: " + r.error());
  net.say("namespaces " + plan->ns(0) + ".." + plan->ns(options.nodes - 1) + " on bridge " + plan->bridge() + " (" +
          plan->cidr() + ")");
  if (auto r = netns_shape(*plan, NetnsShaping{options.rate, options.latency, options.jitter, options.loss}); !r)
    return fail(r.error());
  if (auto r = net.start_all(options.start_timeout); !r) return fail(r.error());
  net.say("devnet of " + std::to_string(options.nodes) + " nodes up in " + net.layout().dir.string() +
          " (netns, " + to_string(options.topology) + ", " + std::to_string(miners.size()) + " miners)");
  return net;
}

std::expected<Devnet, std::string> Devnet::up_containers(const UpOptions& options, Layout l,
                                                         std::shared_ptr<const ledger::ChainSpec> spec,
                                                         const std::vector<std::size_t>& miners,
                                                         const ContainerPlan& plan, LogFn log) {
  // What a crashed container devnet of this directory left behind (its nodes are not running).
  if (auto previous = load_layout(l.dir); previous && !previous->containers.empty())
    if (auto old = container_plan_from_json(previous->containers)) (void)containers_teardown(*old);
  l.net = "podman";
  l.containers = to_json(plan);
  // Every container has its own address, so every node uses the same ports.
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < options.nodes; ++i) ports.insert(ports.end(), {kNetnsP2pPort, kNetnsRpcPort});
  l.nodes = make_nodes(options, l, ports, miners, *spec, nullptr, &plan);
  if (options.private_network)
    if (auto p = make_private(l.nodes, l.dir); !p) return std::unexpected(p.error());
  // The image's user must be able to enter the devnet directory (mounted read-only).
  std::error_code ec;
  std::filesystem::permissions(l.dir, std::filesystem::perms::others_read | std::filesystem::perms::others_exec,
                               std::filesystem::perm_options::add, ec);
  Devnet net(std::move(l), std::move(spec), std::move(log));
  // Recorded before anything is made, so that `down` removes whatever a crash leaves behind.
  if (auto s = net.save(); !s) return std::unexpected(s.error());
  auto fail = [&net](const std::string& error) -> std::expected<Devnet, std::string> {
    (void)net.down(false);
    return std::unexpected(error);
  };
  if (auto r = containers_create_network(plan); !r) return fail("creating the network: " + r.error());
  net.say("network " + plan.network() + " (" + plan.cidr() + "), image " + plan.image +
          (plan.runtime.empty() ? "" : ", runtime " + plan.runtime));
  if (auto r = net.start_all(options.start_timeout); !r) return fail(r.error());
  net.say("devnet of " + std::to_string(options.nodes) + " containers up in " + net.layout().dir.string() + " (" +
          (options.discovery ? std::string("discovery") : to_string(options.topology)) + ", " +
          std::to_string(miners.size()) + " miners)");
  return net;
}

std::optional<ContainerPlan> Devnet::container_plan() const {
  const Layout l = layout();
  if (l.net != "podman" || l.containers.empty()) return std::nullopt;
  auto plan = container_plan_from_json(l.containers);
  if (!plan) return std::nullopt;
  return *plan;
}

std::optional<NetnsPlan> Devnet::netns_plan() const {
  const Layout l = layout();
  if (l.net != "netns" || l.netns.empty()) return std::nullopt;
  auto plan = netns_plan_from_json(l.netns);
  if (!plan) return std::nullopt;
  return *plan;
}

std::expected<void, std::string> Devnet::start_all(milliseconds timeout) {
  // Recorded before anything starts, so that `down` finds whatever a crash leaves behind.
  if (auto s = save(); !s) return s;
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < layout().nodes.size(); ++i) {
    if (auto s = spawn(i); !s) return s;
    all.push_back(i);
  }
  return wait_ready(all, timeout);
}

std::expected<void, std::string> Devnet::spawn(std::size_t index) {
  NodeRecord n;
  std::filesystem::path tallyd;
  bool die_with_parent = false;
  {
    std::lock_guard lock(*mu_);
    n = layout_.nodes.at(index);
    tallyd = layout_.tallyd;
    auto stop = base::read_json_with([&] { return base::json_optional<bool>(layout_.options, "stop_with_parent"); });
    die_with_parent = stop && stop->value_or(false);
  }
  std::error_code ec;
  std::filesystem::create_directories(n.datadir, ec);
  if (ec) return std::unexpected("cannot create " + n.datadir.string() + ": " + ec.message());
  if (!n.container.empty()) return spawn_container(index, n);
  // A new session, so Ctrl-C in the devnet's terminal does not reach the node; released, so
  // it outlives this tally-devnet invocation.
  support::SpawnOptions spawn_options;
  spawn_options.argv = {tallyd.string()};
  if (!n.netns.empty()) {
    // `ip netns exec` enters the namespace and execs tallyd in place (same pid).
    if (support::find_program("ip").empty()) return std::unexpected(n.name + ": `ip` not found (install iproute2)");
    spawn_options.argv = {"ip", "netns", "exec", n.netns, tallyd.string()};
  }
  spawn_options.argv.insert(spawn_options.argv.end(), n.args.begin(), n.args.end());
  spawn_options.out = support::Redirect::append_to(n.log_file());
  spawn_options.err = support::Redirect::to_stdout();
  spawn_options.new_session = true;
  if (die_with_parent) spawn_options.parent_death_signal = SIGTERM;
  auto child = support::Child::spawn(spawn_options);
  if (!child) return std::unexpected(n.name + ": " + child.error());
  const int pid = child->release();
  {
    std::lock_guard lock(*mu_);
    layout_.nodes[index].pid = pid;
  }
  say("started " + n.name + " (pid " + std::to_string(pid) + ") p2p " + n.p2p_endpoint() + ", rpc " + n.host + ":" +
      std::to_string(n.rpc_port) + (n.mining ? ", mining" : ""));
  return save();
}

// podman mode: `podman run --detach` starts the container; its tallyd's host pid is recorded.
std::expected<void, std::string> Devnet::spawn_container(std::size_t index, const NodeRecord& n) {
  auto plan = container_plan();
  if (!plan) return std::unexpected(std::string("devnet.json has no valid \"containers\" record"));
  auto run = run_command(container_run_argv(*plan, index, layout().dir, n.datadir, n.log_file(), n.args));
  if (!run) return std::unexpected(n.name + ": " + run.error());
  auto pid = container_pid(*plan, index);
  if (!pid) return std::unexpected(n.name + ": " + pid.error() + "; last lines of " + n.log_file().string() + ":\n" +
                                   tail_file(n.log_file()));
  {
    std::lock_guard lock(*mu_);
    layout_.nodes[index].pid = *pid;
  }
  say("started " + n.name + " (container " + n.container + ", pid " + std::to_string(*pid) + ") p2p " +
      n.p2p_endpoint() + ", rpc " + n.host + ":" + std::to_string(n.rpc_port) + (n.mining ? ", mining" : ""));
  return save();
}

std::expected<void, std::string> Devnet::wait_ready(const std::vector<std::size_t>& nodes, milliseconds timeout) {
  const Layout l = layout();
  std::set<std::size_t> pending(nodes.begin(), nodes.end());
  const auto deadline = Clock::now() + timeout;
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      const NodeRecord& n = l.nodes.at(*it);
      if (!process_running(n.pid)) {
        return std::unexpected(n.name + " exited during start; last lines of " + n.log_file().string() + ":\n" +
                               tail_file(n.log_file()));
      }
      bool ready = false;
      if (node_json_pid(n.datadir) == n.pid) {
        if (auto cookie = rpc::read_cookie(n.datadir / rpc::kCookieFileName)) {
          rpc::RpcClient c(n.host, n.rpc_port, *cookie, milliseconds(2000));
          ready = c.call("getblockcount", json::array{}).has_value();
        }
      }
      it = ready ? pending.erase(it) : std::next(it);
    }
    if (pending.empty()) break;
    if (Clock::now() >= deadline) {
      std::string names;
      for (std::size_t i : pending) names += " " + l.nodes[i].name;
      return std::unexpected("timed out waiting for the RPC of" + names + "; see " +
                             l.nodes[*pending.begin()].log_file().string());
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return {};
}

std::expected<rpc::RpcClient, std::string> Devnet::client(std::size_t index, milliseconds timeout) const {
  const Layout l = layout();
  if (index >= l.nodes.size()) return std::unexpected("no node " + std::to_string(index));
  const NodeRecord& n = l.nodes[index];
  auto cookie = rpc::read_cookie(n.datadir / rpc::kCookieFileName);
  if (!cookie) return std::unexpected(n.name + ": " + cookie.error());
  return rpc::RpcClient(n.host, n.rpc_port, *cookie, timeout);
}

namespace {

NodeStatus query_node(const NodeRecord& n) {
  NodeStatus s;
  s.index = n.index;
  s.name = n.name;
  s.pid = n.pid;
  s.rpc_port = n.rpc_port;
  const auto pids = live_pids(n);
  if (pids.empty()) {
    s.error = n.pid == 0 ? "stopped" : "not running";
    return s;
  }
  s.pid = pids.front();
  auto cookie = rpc::read_cookie(n.datadir / rpc::kCookieFileName);
  if (!cookie) {
    s.error = "no RPC cookie yet";
    return s;
  }
  rpc::RpcClient c(n.host, n.rpc_port, *cookie, kQuickRpc);
  auto fail = [&](const rpc::RpcCallError& e) {
    s.error = "RPC: " + e.message;
    return s;
  };
  auto info = c.call("getblockchaininfo", json::array{});
  if (!info) return fail(info.error());
  auto peers = c.call("getpeerinfo", json::array{});
  if (!peers) return fail(peers.error());
  auto pool = c.call("getmempoolinfo", json::array{});
  if (!pool) return fail(pool.error());
  auto mining = c.call("getmininginfo", json::array{});
  if (!mining) return fail(mining.error());
  auto read = base::read_json_with([&] {
    const json::object& o = base::json_object(*info);
    s.height = base::json_field<std::uint32_t>(o, "blocks");
    s.tip = base::json_field<std::string>(o, "bestblockhash");
    s.stateroot = base::json_field<std::string>(o, "stateroot");
    s.chainwork = base::json_field<std::string>(o, "chainwork");
    s.peers = base::json_array(*peers).size();
    for (const json::value& p : base::json_array(*peers))
      ++(base::json_field<bool>(base::json_object(p), "inbound") ? s.inbound : s.outbound);
    s.mempool = base::json_field<std::size_t>(base::json_object(*pool), "size");
    s.mining = base::json_field<bool>(base::json_object(*mining), "mining");
    s.hashes_per_s = base::json_field<double>(base::json_object(*mining), "hashespersec");
    return true;
  });
  if (!read) {
    s.error = "unexpected RPC answer: " + read.error();
    return s;
  }
  s.up = true;
  return s;
}

}  // namespace

namespace {

// The header time of a block (by height or hash) on one node, or nullopt.
std::optional<std::int64_t> block_time(const NodeRecord& n, const json::value& which) {
  auto cookie = rpc::read_cookie(n.datadir / rpc::kCookieFileName);
  if (!cookie) return std::nullopt;
  rpc::RpcClient c(n.host, n.rpc_port, *cookie, kQuickRpc);
  json::value hash = which;
  if (which.is_int64()) {
    auto h = c.call("getblockhash", json::array{which});
    if (!h) return std::nullopt;
    hash = *h;
  }
  auto header = c.call("getblockheader", json::array{hash});
  if (!header || !header->is_object()) return std::nullopt;
  const json::value* t = header->as_object().if_contains("time");
  if (t == nullptr || !t->is_number()) return std::nullopt;
  return t->to_number<std::int64_t>();
}

}  // namespace

StatusReport Devnet::status() {
  reload();
  const Layout l = layout();
  std::vector<std::future<NodeStatus>> futures;
  for (const NodeRecord& n : l.nodes) futures.push_back(std::async(std::launch::async, query_node, n));
  std::vector<NodeStatus> nodes;
  for (auto& f : futures) nodes.push_back(f.get());
  StatusReport r = summarize(std::move(nodes));
  r.partition = l.partition;
  r.requested_interval_s = spec_->block_interval_s;
  for (const NodeStatus& n : r.nodes) {
    if (!n.up || n.height != r.best_height || n.height < 2) continue;
    if (auto first = block_time(l.nodes.at(n.index), json::value(1)), tip = block_time(l.nodes.at(n.index), json::value(n.tip));
        first && tip && *tip > *first)
      r.measured_interval_s = static_cast<double>(*tip - *first) / (n.height - 1);
    break;
  }
  return r;
}

std::expected<LoadReport, std::string> Devnet::load(double tps, double duration_s, const std::atomic<bool>* stop,
                                                    std::uint64_t seed,
                                                    std::function<void(const LoadReport&)> progress) {
  reload();
  LoadOptions o;
  o.tps = tps;
  o.duration_s = duration_s;
  o.stop = stop;
  o.seed = seed;
  o.progress = std::move(progress);
  return run_load(layout(), *spec_, o);
}

std::expected<void, std::string> Devnet::apply_partition(std::size_t index) {
  const Layout l = layout();
  json::array endpoints;
  for (const auto& group : l.partition) {
    if (std::find(group.begin(), group.end(), index) != group.end()) continue;
    for (std::size_t other : group) endpoints.emplace_back(l.nodes.at(other).p2p_endpoint());
  }
  auto c = client(index, kQuickRpc);
  if (!c) return std::unexpected(c.error());
  auto r = c->call("setnetworkpartition", json::array{std::move(endpoints)});
  if (!r) return std::unexpected(l.nodes[index].name + ": setnetworkpartition: " + r.error().message);
  return {};
}

namespace {
// DIR/control.jsonl: what the devnet tool did and when (partitions, heals, node stops and
// starts), so the convergence report can mark them. Best effort: a failure to log never
// fails the command.
void log_control(const std::filesystem::path& dir, events::ControlEvent event) {
  event.ts_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  if (std::FILE* f = std::fopen((dir / "control.jsonl").c_str(), "a")) {
    std::fputs((events::to_json_line(event) + "\n").c_str(), f);
    std::fclose(f);
  }
}

events::ControlEvent control_event(events::ControlType type) { return events::make_control_event(type, 0); }

events::ControlEvent node_control_event(events::ControlType type, const std::string& node_name) {
  auto e = control_event(type);
  e.node.name = node_name;
  return e;
}
}  // namespace

std::expected<void, std::string> Devnet::partition(const std::vector<std::vector<std::size_t>>& groups) {
  reload();
  const std::size_t count = layout().nodes.size();
  std::vector<int> group_of(count, -1);
  std::vector<std::vector<std::size_t>> full;
  for (const auto& g : groups) {
    if (g.empty()) continue;
    for (std::size_t i : g) {
      if (i >= count) return std::unexpected("no node " + std::to_string(i) + " (the devnet has " + std::to_string(count) + ")");
      if (group_of[i] >= 0) return std::unexpected("node " + std::to_string(i) + " is in two groups");
      group_of[i] = static_cast<int>(full.size());
    }
    full.push_back(g);
  }
  std::vector<std::size_t> rest;
  for (std::size_t i = 0; i < count; ++i)
    if (group_of[i] < 0) rest.push_back(i);
  if (!rest.empty()) full.push_back(rest);
  if (full.size() < 2) return std::unexpected(std::string("a partition needs at least two groups"));
  {
    std::lock_guard lock(*mu_);
    layout_.partition = full;
  }
  if (auto s = save(); !s) return s;
  {
    auto event = control_event(events::ControlType::kPartition);
    for (const auto& g : full) {
      auto& group = event.groups.emplace_back();
      for (std::size_t i : g) group.push_back(events::NodeRef{.index = i, .name = {}});
    }
    log_control(layout().dir, std::move(event));
  }
  if (layout().net == "netns") {
    auto plan = netns_plan();
    if (!plan) return std::unexpected(std::string("devnet.json has no valid \"netns\" record"));
    return netns_partition(*plan, full);
  }
  std::string errors;
  for (std::size_t i = 0; i < count; ++i) {
    if (live_pids(layout().nodes[i]).empty()) continue;  // gets its list when started
    if (auto r = apply_partition(i); !r) errors += (errors.empty() ? "" : "; ") + r.error();
  }
  if (!errors.empty()) return std::unexpected(errors);
  return {};
}

std::expected<void, std::string> Devnet::heal() {
  reload();
  {
    std::lock_guard lock(*mu_);
    layout_.partition.clear();
  }
  if (auto s = save(); !s) return s;
  log_control(layout().dir, control_event(events::ControlType::kHeal));
  if (layout().net == "netns") {
    auto plan = netns_plan();
    if (!plan) return std::unexpected(std::string("devnet.json has no valid \"netns\" record"));
    return netns_heal(*plan);
  }
  std::string errors;
  for (std::size_t i = 0; i < layout().nodes.size(); ++i) {
    if (live_pids(layout().nodes[i]).empty()) continue;
    if (auto r = apply_partition(i); !r) errors += (errors.empty() ? "" : "; ") + r.error();
  }
  if (!errors.empty()) return std::unexpected(errors);
  return {};
}

std::expected<void, std::string> Devnet::stop(std::size_t index) {
  reload();
  const Layout l = layout();
  if (index >= l.nodes.size()) return std::unexpected("no node " + std::to_string(index));
  const NodeRecord& n = l.nodes[index];
  const auto pids = live_pids(n);
  if (!pids.empty()) {
    if (auto c = client(index, kQuickRpc)) (void)c->call("stop", json::array{});
    const auto survivors = terminate_all(pids, kRpcStopGrace);
    if (!survivors.empty()) return std::unexpected(n.name + ": pid " + std::to_string(survivors.front()) + " survived SIGKILL");
    say("stopped " + n.name);
    log_control(l.dir, node_control_event(events::ControlType::kStopNode, n.name));
  } else {
    say(n.name + " was not running");
  }
  {
    std::lock_guard lock(*mu_);
    layout_.nodes[index].pid = 0;
  }
  return save();
}

std::expected<void, std::string> Devnet::start(std::size_t index) {
  reload();
  const Layout l = layout();
  if (index >= l.nodes.size()) return std::unexpected("no node " + std::to_string(index));
  if (auto pids = live_pids(l.nodes[index]); !pids.empty())
    return std::unexpected(l.nodes[index].name + " is already running (pid " + std::to_string(pids.front()) + ")");
  if (auto s = spawn(index); !s) return s;
  if (auto r = wait_ready({index}, start_timeout_of(l)); !r) {
    const int pid = layout().nodes[index].pid;
    (void)terminate_all({pid}, milliseconds(0));
    return r;
  }
  log_control(l.dir, node_control_event(events::ControlType::kStartNode, l.nodes[index].name));
  // In netns mode the partition's drop rules stay in the node's namespace.
  if (!l.partition.empty() && l.net != "netns") return apply_partition(index);
  return {};
}

std::expected<void, std::string> Devnet::down(bool clean) {
  reload();
  const Layout l = layout();
  std::vector<int> pids;
  std::vector<std::future<void>> stops;
  for (const NodeRecord& n : l.nodes) {
    const auto live = live_pids(n);
    if (live.empty()) continue;
    pids.insert(pids.end(), live.begin(), live.end());
    stops.push_back(std::async(std::launch::async, [this, i = n.index] {
      if (auto c = client(i, kQuickRpc)) (void)c->call("stop", json::array{});
    }));
  }
  for (auto& f : stops) f.get();
  const auto survivors = terminate_all(pids, kRpcStopGrace);
  if (!pids.empty()) say("stopped " + std::to_string(pids.size() - survivors.size()) + " nodes");
  std::string net_error;
  if (auto plan = netns_plan()) {
    if (auto t = netns_teardown(*plan); !t) net_error = "removing the namespaces: " + t.error();
    else say("removed namespaces " + plan->prefix + "-*, their veths and bridge " + plan->bridge());
  }
  if (auto plan = container_plan()) {
    if (auto t = containers_teardown(*plan); !t) net_error = "removing the containers: " + t.error();
    else say("removed containers " + plan->prefix + "-node* and network " + plan->network());
  }
  {
    std::lock_guard lock(*mu_);
    for (NodeRecord& n : layout_.nodes) n.pid = 0;
    layout_.partition.clear();
  }
  if (!survivors.empty()) {
    (void)save();
    return std::unexpected("pid " + std::to_string(survivors.front()) + " survived SIGKILL");
  }
  if (!net_error.empty()) {
    (void)save();
    return std::unexpected(net_error);
  }
  if (!clean) return save();

  // Remove only what up() made, then the directory if nothing else is left in it.
  std::error_code ec;
  for (const NodeRecord& n : l.nodes) {
    if (n.datadir.parent_path() == l.dir) std::filesystem::remove_all(n.datadir, ec);
    if (ec) return std::unexpected("cannot remove " + n.datadir.string() + ": " + ec.message());
  }
  for (const char* f : {"chain.json", "devnet.json", "devnet.json.tmp", "control.jsonl"}) std::filesystem::remove(l.dir / f, ec);
  if (std::filesystem::is_empty(l.dir, ec) && std::filesystem::remove(l.dir, ec)) say("removed " + l.dir.string());
  else say("removed the devnet's files; kept " + l.dir.string() + ": it holds files tally-devnet did not make");
  return {};
}

}  // namespace tally::devnet
