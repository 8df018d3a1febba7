#include "node/node.h"

#include <pthread.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <sstream>

#include "base/files.h"
#include "crypto/hex.h"
#include "crypto/random.h"
#include "ledger/block_assembler.h"
#include "ledger/embedded_spec.h"
#include "ledger/rocksdb_store.h"
#include "ledger/thread_pool.h"
#include "node/core_views.h"
#include "node/datadir.h"
#include "node/event_log.h"
#include "node/miner.h"
#include "node/node_key.h"
#include "node/peer_names.h"
#include "p2p/asio_transport.h"
#include "rpc/http_server.h"
#include "p2p/event_record.h"
#include "rpc/auth.h"
#include "rpc/event_hub.h"
#include "rpc/metrics.h"

namespace tally::node {

namespace asio = boost::asio;

namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string to_lower_hex(const ledger::Uint256& v) {
  std::stringstream ss;
  ss << std::hex << v;
  std::string s = ss.str();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_loopback_host(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Short, bounded label for a rejection message: the rule's text without per-block detail.
std::string reason_label(const std::string& message) {
  return message.substr(0, message.find(" ("));
}

const std::vector<double> kDepthBuckets = {1, 2, 3, 4, 6, 8, 12, 16, 32, 64};
const std::vector<double> kDelayBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30};

}  // namespace

struct Node::Core {
  explicit Core(const CoreRunner& runner) : views(runner) {}

  std::optional<DatadirLock> lock;
  ledger::ChainSpec spec;
  std::unique_ptr<ledger::RocksDbStore> store;
  // Signature checks: the chain's blocks (on the core thread) and the RPC's transactions
  // (on RPC threads) share these workers, each caller joining in. Null with --verifythreads 1.
  std::unique_ptr<ledger::ThreadPool> verify_pool;
  ledger::InlineExecutor inline_executor;
  std::unique_ptr<ledger::Chain> chain;
  std::unique_ptr<ledger::Mempool> mempool;
  std::unique_ptr<p2p::AddrBook> book;
  std::unique_ptr<p2p::NetCore> net;
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<p2p::AsioTransport> transport;
  // The encrypted transport: this node's key (none with --encrypt 0), the keys given with
  // KEY@host:port peers, and the allowlist.
  std::optional<crypto::SecretKey> node_key;
  std::map<p2p::NetAddress, crypto::CompressedPublicKey> known_keys;
  std::set<crypto::CompressedPublicKey> allowed_keys;
  std::thread thread;
  // --connect/--addnode/--seed given by DNS name: resolved, and again, on their own thread.
  std::vector<NamedPeer> named_peers;
  std::unique_ptr<PeerNameThread> peer_names;
  std::unique_ptr<rpc::RpcServer> rpc;
  std::unique_ptr<Miner> miner;
  std::mutex miner_mu;
  crypto::Address miner_address;
  std::optional<EventLog> events;
  rpc::Metrics metrics;
  rpc::EventHub event_hub;  // GET /events: every event of the core, to each subscriber
  CoreViews views;  // what RPC handlers see of chain, mempool and network
  std::shared_ptr<spdlog::logger> log;
  std::int64_t last_peers_save_ms = 0;
  std::int64_t last_metrics_ms = 0;
  // First time each block was seen here (for propagation delay of blocks from peers).
  std::unordered_map<ledger::BlockHash, std::int64_t> first_seen_ms;
};

Node::Node(NodeConfig config)
    : config_(std::move(config)),
      core_(std::make_unique<Core>([this](const std::function<void(CoreParts&)>& fn) { return with_core(fn); })) {}

Node::~Node() { shutdown(); }

const ledger::ChainSpec& Node::spec() const { return core_->spec; }
rpc::Metrics& Node::metrics() { return core_->metrics; }
rpc::EventHub* Node::event_hub() { return &core_->event_hub; }
std::int64_t Node::uptime_s() const { return (wall_ms() - started_ms_) / 1000; }
std::shared_ptr<const rpc::TipSnapshot> Node::tip() const { return snapshot_.load(); }
rpc::ChainView& Node::chain() { return core_->views.chain; }
rpc::MempoolView& Node::mempool() { return core_->views.mempool; }
rpc::NetworkControl& Node::network() { return core_->views.network; }
ledger::Executor& Node::verify_executor() {
  if (core_->verify_pool) return *core_->verify_pool;
  return core_->inline_executor;
}

std::expected<void, std::string> Node::start() {
  started_ms_ = wall_ms();
  if (auto r = resolve_spec_and_datadir(); !r) return r;
  if (auto r = open_log(); !r) return r;
  if (auto r = check_rpc_exposure(); !r) return r;
  if (auto r = resolve_miner_address(); !r) return r;
  if (auto r = open_ledger(); !r) return r;
  const std::uint64_t seed = crypto::random_u64();
  restore_address_book(seed);
  if (auto r = load_transport_keys(); !r) return r;
  if (auto r = make_net_core(seed); !r) return r;
  restore_bans();
  if (auto r = start_transport(); !r) return r;
  if (auto r = open_event_log(); !r) return r;
  core_->transport->set_activity_hook([this] { on_core_activity(); });
  publish_snapshot();
  if (auto r = start_rpc(); !r) return r;
  start_core_thread();
  start_peer_names();
  start_miner();
  write_node_json();
  core_->log->info("{} started: chain {} at height {}, p2p {}:{}, rpc {}:{}, datadir {}", name_, core_->spec.name,
                   core_->chain->height(), config_.bind, p2p_port_, config_.rpcbind, rpc_port_, datadir_.string());
  return {};
}

std::uint16_t Node::configured_p2p_port() const { return config_.port.value_or(core_->spec.default_p2p_port); }

// Chain spec: a file, or the devnet built in. Then the datadir (default: per chain), locked.
std::expected<void, std::string> Node::resolve_spec_and_datadir() {
  Core& c = *core_;
  auto spec = config_.chain.empty() ? ledger::parse_chain_spec(ledger::embedded_devnet_spec())
                                    : ledger::load_chain_spec_file(config_.chain);
  if (!spec) return std::unexpected("chain spec: " + spec.error());
  c.spec = *spec;
  datadir_ = config_.datadir.empty() ? base::default_datadir_root() / c.spec.name : config_.datadir;
  auto lock = DatadirLock::acquire(datadir_);
  if (!lock) return std::unexpected(lock.error());
  c.lock.emplace(std::move(*lock));
  return {};
}

// Logging: terminal (optional) and debug.log.
std::expected<void, std::string> Node::open_log() {
  Core& c = *core_;
  std::vector<spdlog::sink_ptr> sinks;
  if (config_.printtoconsole) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  try {
    sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>((datadir_ / "debug.log").string()));
  } catch (const std::exception& e) {
    return std::unexpected(std::string("cannot open log file: ") + e.what());
  }
  c.log = std::make_shared<spdlog::logger>("tallyd", sinks.begin(), sinks.end());
  c.log->set_level(spdlog::level::from_str(config_.loglevel));
  c.log->flush_on(spdlog::level::info);
  return {};
}

// RPC bound beyond loopback must be confirmed with --rpcallowip, and is logged.
std::expected<void, std::string> Node::check_rpc_exposure() {
  if (is_loopback_host(config_.rpcbind)) return {};
  if (config_.rpcallowip.empty())
    return std::unexpected("--rpcbind " + config_.rpcbind +
                           " exposes RPC beyond this machine: confirm with --rpcallowip");
  core_->log->warn("RPC is bound to {}: it is reachable beyond this machine", config_.rpcbind);
  return {};
}

// Mining address: --mineraddress, else the spec's first funded account.
std::expected<void, std::string> Node::resolve_miner_address() {
  Core& c = *core_;
  if (!config_.mineraddress.empty()) {
    auto a = crypto::decode_address(config_.mineraddress, c.spec.address_prefix);
    if (!a) return std::unexpected("--mineraddress: " + std::string(crypto::to_string(a.error())));
    c.miner_address = *a;
  } else if (!c.spec.accounts.empty()) {
    c.miner_address = c.spec.accounts.front().address;
  } else if (config_.mine) {
    return std::unexpected("--mine needs --mineraddress (the chain spec funds no account)");
  }
  return {};
}

// Ledger: the RocksDB store in <datadir>/chain, the chain over it, an empty mempool.
std::expected<void, std::string> Node::open_ledger() {
  Core& c = *core_;
  ledger::RocksDbOptions store_options;
  store_options.verify_on_open = config_.checkdb;
  auto store = ledger::RocksDbStore::open((datadir_ / "chain").string(), store_options);
  if (!store) return std::unexpected("datadir " + datadir_.string() + ": " + store.error().message);
  c.store = std::move(*store);
  ledger::ChainOptions chain_options;
  chain_options.tx_index = config_.txindex;
  chain_options.address_index = config_.addressindex;
  if (config_.verifythreads > 1) {
    c.verify_pool = std::make_unique<ledger::ThreadPool>(config_.verifythreads - 1, "tally-verify");
    chain_options.executor = c.verify_pool.get();
  }
  auto chain = ledger::Chain::open(c.spec, *c.store, chain_options);
  if (!chain) return std::unexpected("datadir " + datadir_.string() + ": " + chain.error().message);
  c.chain = std::move(*chain);
  c.mempool = std::make_unique<ledger::Mempool>(c.spec);
  return {};
}

// Peers: the address book survives restarts (a damaged file is ignored, with a warning).
void Node::restore_address_book(std::uint64_t seed) {
  Core& c = *core_;
  if (auto bytes = base::read_file(datadir_ / "peers.dat")) {
    auto book = p2p::AddrBook::deserialize(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size()));
    if (book) {
      c.book = std::make_unique<p2p::AddrBook>(std::move(*book));
    } else {
      c.log->warn("ignoring damaged peers.dat: {}", book.error());
    }
  }
  if (!c.book) c.book = std::make_unique<p2p::AddrBook>(seed ^ 0x9e3779b97f4a7c15ull);
}

// The P2P core, configured from --listen/--max*/--connect/--addnode/--seed/--eventlog.
std::expected<void, std::string> Node::make_net_core(std::uint64_t seed) {
  Core& c = *core_;
  p2p::NetConfig net;
  net.listen_port = config_.listen ? configured_p2p_port() : 0;
  net.max_outbound = config_.maxoutbound;
  net.max_inbound = config_.maxinbound;
  net.compact_relay = config_.compactrelay;
  net.event_txids = !config_.eventlog.empty();
  auto parse_list = [&](const std::vector<std::string>& list, const char* flag,
                        std::vector<p2p::NetAddress>& out) -> std::expected<void, std::string> {
    for (const auto& s : list) {
      auto a = parse_peer_argument(s);
      if (!a) return std::unexpected(std::string(flag) + " " + s + ": " + a.error());
      if (a->key && !config_.encrypt)
        return std::unexpected(std::string(flag) + " " + s + ": a node key needs the encrypted transport (--encrypt 1)");
      if (!a->address) {  // a DNS name: resolved once the core runs (node/peer_names.h)
        const auto role = &out == &net.seeds ? NamedPeer::Role::kSeed : NamedPeer::Role::kFixed;
        c.named_peers.push_back(NamedPeer{a->host_name, a->port, role, a->key});
        continue;
      }
      if (a->key) c.known_keys[*a->address] = *a->key;
      out.push_back(*a->address);
    }
    return {};
  };
  if (!config_.connect.empty()) {
    net.discovery = false;
    if (auto r = parse_list(config_.connect, "--connect", net.fixed_peers); !r) return r;
  }
  if (auto r = parse_list(config_.addnode, "--addnode", net.fixed_peers); !r) return r;
  if (auto r = parse_list(config_.seed, "--seed", net.seeds); !r) return r;
  c.net = std::make_unique<p2p::NetCore>(net, *c.chain, *c.mempool, *c.book, seed, wall_ms());
  c.net->set_event_clock(wall_us);
  return {};
}

// Bans survive restarts: banlist.dat holds "key until_ms reason" lines.
void Node::restore_bans() {
  auto bans = base::read_file(datadir_ / "banlist.dat");
  if (!bans) return;
  std::istringstream in(*bans);
  std::string key, reason;
  std::int64_t until = 0;
  while (in >> key >> until && std::getline(in, reason))
    if (until > wall_ms()) core_->net->ban(key, until, reason.empty() ? "" : reason.substr(1));
}

// The node key (made on first start) and the allowlist, unless --encrypt 0.
std::expected<void, std::string> Node::load_transport_keys() {
  Core& c = *core_;
  if (!config_.encrypt) {
    if (!config_.peerallow.empty() || !config_.peerallowfile.empty())
      return std::unexpected("--peerallow and --peerallowfile need the encrypted transport (--encrypt 1)");
    c.log->warn("--encrypt 0: the P2P transport is plaintext and unauthenticated (for debugging only)");
    return {};
  }
  auto key = load_or_create_node_key(datadir_);
  if (!key) return std::unexpected(key.error());
  c.node_key.emplace(std::move(*key));
  for (const auto& text : config_.peerallow) {
    auto k = crypto::parse_node_key(text);
    if (!k) return std::unexpected("--peerallow: " + k.error());
    c.allowed_keys.insert(*k);
  }
  if (!config_.peerallowfile.empty()) {
    auto keys = read_allow_file(config_.peerallowfile);
    if (!keys) return std::unexpected("--peerallowfile: " + keys.error());
    c.allowed_keys.insert(keys->begin(), keys->end());
  }
  return {};
}

namespace {
// The bytes that bind handshakes to this chain: nodes of two chains never complete one.
crypto::Bytes transport_prologue(const ledger::ChainSpec& spec) {
  crypto::Bytes p = {'t', 'a', 'l', 'l', 'y'};
  for (int i = 0; i < 4; ++i) p.push_back(static_cast<std::uint8_t>(spec.network_magic >> (8 * i)));
  return p;
}
}  // namespace

// The Asio transport (link shaping from the flags) listens; the node's name needs its port.
std::expected<void, std::string> Node::start_transport() {
  Core& c = *core_;
  p2p::TransportConfig tc;
  tc.node_key = c.node_key;
  tc.prologue = transport_prologue(c.spec);
  tc.known_keys = c.known_keys;
  tc.allowed_keys = c.allowed_keys;
  tc.bind_address = config_.bind;
  tc.port = configured_p2p_port();
  tc.listen = config_.listen;
  tc.shaping = p2p::LinkShaping{config_.latency_ms, config_.jitter_ms, config_.rate_bytes_per_s};
  for (const auto& link : config_.linkshaping) {
    auto endpoint = p2p::parse_net_address(link.endpoint);
    if (!endpoint) return std::unexpected("--linkshaping " + link.endpoint + ": " + endpoint.error());
    tc.per_link[*endpoint] = p2p::LinkShaping{link.latency_ms, link.jitter_ms, link.rate_bytes_per_s};
  }
  c.transport = std::make_unique<p2p::AsioTransport>(c.io, *c.net, tc, wall_ms);
  auto bound = c.transport->start();
  if (!bound) return std::unexpected(bound.error());
  p2p_port_ = *bound;
  // With --port 0 the transport picked the port: advertise that one, not 0 ("no inbound").
  if (config_.listen) c.net->set_listen_port(p2p_port_);
  name_ = config_.name.empty() ? "tallyd-" + std::to_string(p2p_port_) : config_.name;
  return {};
}

// The event log: --eventlog 1 (or true) for <datadir>/events.jsonl, or a path.
std::expected<void, std::string> Node::open_event_log() {
  Core& c = *core_;
  if (config_.eventlog.empty()) return {};
  const auto path = (config_.eventlog == "1" || config_.eventlog == "true") ? datadir_ / "events.jsonl"
                                                                            : std::filesystem::path(config_.eventlog);
  auto log = EventLog::open(path, name_);
  if (!log) return std::unexpected(log.error());
  c.events.emplace(std::move(*log));
  c.events->write_lifecycle(events::EventType::kNodeStarted, c.chain->height(), wall_us());
  return {};
}

// The RPC server, on its own threads; the cookie goes to the datadir. Stops the transport
// when it cannot start.
std::expected<void, std::string> Node::start_rpc() {
  Core& c = *core_;
  rpc::RpcServerConfig rc;
  rc.bind_address = config_.rpcbind;
  rc.port = config_.rpcport.value_or(c.spec.default_rpc_port);
  rc.threads = config_.rpcthreads;
  rc.worker_threads = config_.rpcworkers;
  rc.wait_threads = config_.rpcwaiters;
  rc.cookie_dir = datadir_;
  rc.allow_ips = config_.rpcallowip;
  if (!config_.rpcuser.empty()) rc.users.push_back(rpc::Credentials{config_.rpcuser, config_.rpcpassword});
  for (const auto& line : config_.rpcauth) rc.hashed_users.push_back(*rpc::parse_rpcauth(line));  // checked by parse_config
  c.rpc = std::make_unique<rpc::RpcServer>(*this, rc);
  auto rpc_bound = c.rpc->start();
  if (!rpc_bound) {
    c.transport->stop();
    return std::unexpected("RPC: " + rpc_bound.error());
  }
  rpc_port_ = *rpc_bound;
  return {};
}

// The core thread runs the io_context (transport, P2P core, with_core calls) until shutdown.
void Node::start_core_thread() {
  Core& c = *core_;
  c.work.emplace(c.io.get_executor());
  c.thread = std::thread([this] {
    ::pthread_setname_np(::pthread_self(), "tally-core");
    try {
      core_->io.run();
    } catch (const std::exception& e) {
      fail(std::string("core thread stopped: ") + e.what());
    }
  });
}

// The miner builds templates and submits what it finds through the core thread.
void Node::start_miner() {
  Core& c = *core_;
  c.miner = std::make_unique<Miner>(
      [this]() -> std::optional<ledger::Block> {
        crypto::Address to;
        {
          std::lock_guard guard(core_->miner_mu);
          to = core_->miner_address;
        }
        return build_template(to);
      },
      [this](const ledger::Block& block) {
        with_core([&](CoreParts& parts) {
          auto r = parts.net.submit_block(block, parts.now_ms);
          if (r) {
            core_->log->info("mined block {} at height {}", crypto::to_hex(block.hash()), block.header.height);
          } else {
            core_->log->warn("mined block {} rejected: {}", crypto::to_hex(block.hash()), r.error().message);
          }
        });
      },
      c.spec.pow_limit());
  if (config_.mine) c.miner->set_enabled(true, config_.minethreads);
}

// Where to find this node (tally-devnet and scripts read it).
void Node::write_node_json() {
  boost::json::object info{{"pid", ::getpid()}, {"name", name_}, {"p2p_port", p2p_port_}, {"rpc_port", rpc_port_},
                           {"chain", core_->spec.name}};
  (void)base::write_file_atomic(datadir_ / "node.json", boost::json::serialize(info) + "\n");
}

void Node::wait_for_stop() {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait(lock, [&] { return stop_requested_; });
}

std::optional<std::string> Node::failure() const {
  std::lock_guard lock(stop_mu_);
  return failure_;
}

void Node::fail(const std::string& why) {
  {
    std::lock_guard lock(stop_mu_);
    if (failure_) return;
    failure_ = why;
  }
  core_->log->critical("{}; stopping", why);
  request_stop();
}

bool Node::stopping() const {
  if (stopping_) return true;
  std::lock_guard lock(stop_mu_);
  return stop_requested_;
}

void Node::request_stop() {
  {
    std::lock_guard lock(stop_mu_);
    stop_requested_ = true;
  }
  stop_cv_.notify_all();
}

void Node::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  Core& c = *core_;
  stopping_ = true;
  if (c.log) c.log->info("shutting down");
  if (c.miner) c.miner->stop();
  if (c.peer_names) c.peer_names->stop();
  if (c.rpc) c.rpc->stop();
  if (c.thread.joinable()) {
    std::promise<void> done;
    asio::post(c.io, [&] {
      save_peers();
      if (c.events) {
        c.events->write_lifecycle(events::EventType::kNodeStopped, c.chain->height(), wall_us());
        c.events->flush();
      }
      c.transport->stop();
      done.set_value();
    });
    done.get_future().wait();
    c.work.reset();
    c.io.stop();
    c.thread.join();
  } else if (c.transport) {
    c.transport->stop();
  }
  c.miner.reset();
  c.rpc.reset();
  c.transport.reset();
  c.net.reset();
  c.chain.reset();
  c.store.reset();  // closes RocksDB (everything was written batch by batch)
  std::error_code ec;
  if (!datadir_.empty()) std::filesystem::remove(datadir_ / "node.json", ec);
  if (c.log) c.log->info("stopped");
  c.lock.reset();
}

// Peers given by name: each resolved address goes into the core (replacing the name's previous
// one), with the key given for it, if any.
void Node::start_peer_names() {
  Core& c = *core_;
  if (c.named_peers.empty()) return;
  auto apply = [this](const NamedPeer& peer, const PeerNameChange& change) {
    Core& core = *core_;
    core.log->info("peer name {} resolves to {}{}", peer.host, change.current.to_string(),
                   change.previous ? " (was " + change.previous->to_string() + ")" : std::string());
    with_core([&](CoreParts& parts) {
      if (peer.key) core.transport->set_known_key(change.current, *peer.key);
      if (peer.role == NamedPeer::Role::kSeed) {
        parts.net.add_known_address(change.current, parts.now_ms);
        return;
      }
      if (change.previous) parts.net.remove_peer_address(*change.previous);
      parts.net.add_peer_address(change.current, parts.now_ms);
    });
  };
  auto warn = [this](const NamedPeer& peer, const std::string& why) {
    core_->log->warn("peer name {} does not resolve ({}); trying again", peer.host, why);
  };
  c.peer_names = std::make_unique<PeerNameThread>(
      c.named_peers, PeerNames::Timing{config_.dnsrefresh_ms, std::min<std::int64_t>(2'000, config_.dnsrefresh_ms)}, apply,
      warn);
}

bool Node::with_core(const std::function<void(CoreParts&)>& fn) {
  Core& c = *core_;
  if (stopping_ || !c.thread.joinable()) return false;
  if (std::this_thread::get_id() == c.thread.get_id()) {
    CoreParts parts{*c.chain, *c.mempool, *c.net, wall_ms(), c.transport.get()};
    fn(parts);
    c.transport->pump();
    return true;
  }
  std::promise<void> done;
  auto future = done.get_future();
  asio::post(c.io, [&] {
    CoreParts parts{*c.chain, *c.mempool, *c.net, wall_ms(), c.transport.get()};
    try {
      fn(parts);
    } catch (...) {
      c.transport->pump();
      done.set_exception(std::current_exception());
      return;
    }
    c.transport->pump();  // send what the call caused (relay, announcements)
    done.set_value();
  });
  future.get();  // rethrows what fn threw
  return true;
}

std::optional<ledger::Block> Node::build_template(const crypto::Address& to) {
  std::optional<ledger::Block> out;
  with_core([&](CoreParts& parts) {
    const std::int64_t now_s = parts.net.chain_time_s(parts.now_ms);  // the mock time, when set
    auto block = assemble_template(parts, to);
    if (block && static_cast<std::int64_t>(block->header.time) > now_s + parts.chain.spec().max_future_drift_s) {
      // The median-time rule pushed the next timestamp past the allowed drift (blocks came
      // faster than one per second): the block would be rejected, so wait for the clock.
      core_->log->debug("next block time {} is too far ahead; waiting", block->header.time);
    } else if (block) {
      out = std::move(*block);
    } else {
      core_->log->warn("cannot build a block template: {}", block.error().message());
    }
  });
  return out;
}

rpc::MiningStatus Node::mining_status() const {
  rpc::MiningStatus s;
  const Core& c = *core_;
  if (!c.miner) return s;
  s.enabled = c.miner->enabled();
  s.threads = c.miner->threads();
  s.hashes_per_second = c.miner->hashes_per_second();
  s.blocks_mined = c.miner->blocks_mined();
  std::lock_guard lock(core_->miner_mu);
  s.miner_address = crypto::encode_address(c.miner_address, c.spec.address_prefix);
  return s;
}

std::expected<void, std::string> Node::set_mining(bool on, unsigned threads, std::optional<crypto::Address> address) {
  if (!core_->miner) return std::unexpected(std::string("node is not running"));
  if (threads > 256) return std::unexpected(std::string("at most 256 mining threads"));
  if (address) {
    std::lock_guard lock(core_->miner_mu);
    core_->miner_address = *address;
  }
  core_->miner->set_enabled(on, threads);
  core_->log->info("mining {} ({} threads)", on ? "on" : "off", core_->miner->threads());
  return {};
}

std::expected<std::vector<ledger::BlockHash>, std::string> Node::generate(unsigned n, const crypto::Address& to) {
  std::vector<ledger::BlockHash> hashes;
  ledger::NonceSearcher searcher(std::max(1u, config_.minethreads));
  const ledger::Uint256 limit = core_->spec.pow_limit();
  unsigned attempts = 0;
  while (hashes.size() < n) {
    if (stopping_) return std::unexpected(std::string("node is shutting down"));
    if (++attempts > n * 4 + 16) return std::unexpected(std::string("the tip keeps moving; try again"));
    auto block = build_template(to);
    if (!block) return std::unexpected(std::string("cannot build a block template"));
    std::optional<ledger::BlockHeader> found;
    for (std::uint64_t first = 0; !found && first < ledger::NonceSearcher::kNonceSpace;
         first += std::uint64_t{1} << 26) {
      found = searcher.search(block->header, limit, static_cast<std::uint32_t>(first), std::uint64_t{1} << 26);
      if (stopping_) return std::unexpected(std::string("node is shutting down"));
    }
    if (!found) continue;  // nonce space exhausted: a new template has a new time
    block->header = *found;
    bool connected = false;
    std::string error;
    if (!with_core([&](CoreParts& parts) {
          auto r = parts.net.submit_block(*block, parts.now_ms);
          if (!r) error = r.error().message;
          connected = parts.chain.tip().hash == block->hash();
        }))
      return std::unexpected(std::string("node is shutting down"));
    if (!error.empty()) return std::unexpected("generated block rejected: " + error);
    if (connected) hashes.push_back(block->hash());
  }
  return hashes;
}

void Node::save_peers() {
  Core& c = *core_;
  const auto bytes = c.book->serialize();
  if (auto r = base::write_file_atomic(datadir_ / "peers.dat", std::string(bytes.begin(), bytes.end())); !r)
    c.log->warn("{}", r.error());
  std::ostringstream bans;
  for (const auto& b : c.net->bans()) bans << b.key << ' ' << b.until_ms << ' ' << b.reason << '\n';
  if (auto r = base::write_file_atomic(datadir_ / "banlist.dat", bans.str()); !r) c.log->warn("{}", r.error());
}

void Node::on_core_activity() {
  Core& c = *core_;
  const auto events = c.net->take_events();
  const std::int64_t now = wall_ms();
  bool tip_changed = false;
  const bool streaming = c.event_hub.has_subscribers();
  for (const auto& ev : events) {
    if (c.events) c.events->write(ev, ev.time_us);
    if (streaming) {
      const auto record = p2p::to_event_record(ev, ev.time_us, name_);
      c.event_hub.publish(record.type_name, events::to_json_line(record));
    }
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, p2p::HeaderSeenEvent>) {
            c.first_seen_ms.try_emplace(e.hash, now);
            if (e.from != 0) {
              if (const auto* entry = c.chain->find(e.hash)) {
                const double delay = std::max<double>(0, static_cast<double>(now) / 1000.0 - entry->header.time);
                c.metrics.histogram_observe("tally_block_propagation_seconds",
                                            "Delay from a block's header time to its first sighting here",
                                            kDelayBuckets, {}, {}, delay);
              }
            }
          } else if constexpr (std::is_same_v<T, p2p::BlockConnectedEvent>) {
            c.metrics.counter_add("tally_blocks_connected_total", "Blocks connected to the active chain", {}, {});
          } else if constexpr (std::is_same_v<T, p2p::TipChangedEvent>) {
            tip_changed = true;
            c.log->debug("new tip {} at height {}", crypto::to_hex(e.new_tip), e.height);
          } else if constexpr (std::is_same_v<T, p2p::ReorgEvent>) {
            c.metrics.counter_add("tally_reorgs_total", "Chain reorganizations", {}, {});
            c.metrics.histogram_observe("tally_reorg_depth", "Blocks disconnected per reorganization", kDepthBuckets,
                                        {}, {}, static_cast<double>(e.depth));
            c.log->info("reorg of depth {} to {}", e.depth, crypto::to_hex(e.new_tip));
          } else if constexpr (std::is_same_v<T, p2p::BlockRejectedEvent>) {
            c.metrics.counter_add("tally_blocks_rejected_total", "Blocks and headers rejected, by rule", {"reason"},
                                  {reason_label(e.reason)});
            c.log->warn("rejected block {} from peer {}: {}", crypto::to_hex(e.hash), e.from, e.reason);
          } else if constexpr (std::is_same_v<T, p2p::TxAcceptedEvent>) {
            c.metrics.counter_add("tally_txs_accepted_total", "Transactions accepted into the mempool", {}, {});
          } else if constexpr (std::is_same_v<T, p2p::TxRejectedEvent>) {
            c.metrics.counter_add("tally_txs_rejected_total", "Transactions rejected, by reason", {"reason"},
                                  {e.reason});
          } else if constexpr (std::is_same_v<T, p2p::PeerConnectedEvent>) {
            c.log->info("peer {} connected: {} {} {}", e.peer, e.address.to_string(), e.inbound ? "inbound" : "outbound",
                        e.user_agent);
          } else if constexpr (std::is_same_v<T, p2p::PeerDisconnectedEvent>) {
            c.log->info("peer {} ({}) disconnected: {}", e.peer, e.address.to_string(), e.reason);
          }
        },
        ev.body);
  }
  if (c.events && !events.empty()) c.events->flush();
  if (c.first_seen_ms.size() > 10000) c.first_seen_ms.clear();
  if (tip_changed && c.miner) c.miner->on_new_tip();
  // A store failure seen by the P2P core (blocks from peers, mined or submitted over RPC) or
  // by any reader of the store (a corrupt record): the node stops, and tallyd exits non-zero.
  std::optional<std::string> fatal = c.net->fatal_error();
  if (!fatal)
    if (auto f = c.store->failure()) fatal = f->message;
  if (fatal) fail("storage failure in " + (datadir_ / "chain").string() + ": " + *fatal);
  if (now - c.last_peers_save_ms > 60'000) {
    c.last_peers_save_ms = now;
    save_peers();
  }
  publish_snapshot();
}

void Node::publish_snapshot() {
  Core& c = *core_;
  auto s = std::make_shared<rpc::TipSnapshot>();
  const auto& tip = c.chain->tip();
  s->height = tip.height();
  s->hash = tip.hash;
  s->state_hash = tip.header.state_root;
  s->time = tip.header.time;
  s->bits = tip.header.bits;
  s->chain_work_hex = to_lower_hex(tip.chain_work);
  s->best_header_height = c.chain->best_header().height();
  s->mempool_size = c.mempool->size();
  s->mempool_bytes = c.mempool->bytes();
  s->peers_in = c.net->inbound_count();
  s->peers_out = c.net->outbound_count();
  snapshot_.store(std::move(s));

  // Gauges are refreshed at most four times a second: this runs after every core event, and
  // /metrics scrapes are far rarer than transactions.
  const std::int64_t now_ms = wall_ms();
  if (now_ms - c.last_metrics_ms < 250) return;
  c.last_metrics_ms = now_ms;
  const auto now_s = static_cast<double>(now_ms) / 1000.0;
  c.metrics.gauge_set("tally_chain_height", "Height of the active chain's tip", {}, {}, tip.height());
  c.metrics.gauge_set("tally_tip_age_seconds", "Seconds since the tip's header time", {}, {},
                      std::max(0.0, now_s - tip.header.time));
  c.metrics.gauge_set("tally_peers", "Connected peers", {"direction"}, {"inbound"},
                      static_cast<double>(c.net->inbound_count()));
  c.metrics.gauge_set("tally_peers", "Connected peers", {"direction"}, {"outbound"},
                      static_cast<double>(c.net->outbound_count()));
  c.metrics.gauge_set("tally_mempool_transactions", "Transactions in the mempool", {}, {},
                      static_cast<double>(c.mempool->size()));
  c.metrics.gauge_set("tally_mempool_bytes", "Bytes of transactions in the mempool", {}, {},
                      static_cast<double>(c.mempool->bytes()));
  const auto& traffic = c.net->traffic();
  for (std::size_t t = 1; t <= p2p::kLastMessageType; ++t) {
    const char* name = p2p::message_name(static_cast<p2p::MessageType>(t));
    c.metrics.gauge_set("tally_p2p_received_bytes", "P2P bytes received, by message type (since start)", {"type"},
                        {name}, static_cast<double>(traffic[t].received));
    c.metrics.gauge_set("tally_p2p_sent_bytes", "P2P bytes sent, by message type (since start)", {"type"}, {name},
                        static_cast<double>(traffic[t].sent));
  }
  const auto& cs = c.net->compact_stats();
  const std::pair<const char*, std::uint64_t> compact[] = {
      {"received", cs.blocks_received}, {"reconstructed", cs.reconstructed}, {"round_trip", cs.round_trips},
      {"fallback", cs.fallbacks},       {"sent", cs.blocks_sent}};
  for (const auto& [what, n] : compact)
    c.metrics.gauge_set("tally_compact_blocks", "Compact blocks by outcome (since start)", {"outcome"}, {what},
                        static_cast<double>(n));
  c.metrics.gauge_set("tally_compact_block_txs", "Compact block slots filled from our pool (hit) or asked for (miss)",
                      {"source"}, {"hit"}, static_cast<double>(cs.txs_from_pool));
  c.metrics.gauge_set("tally_compact_block_txs", "Compact block slots filled from our pool (hit) or asked for (miss)",
                      {"source"}, {"miss"}, static_cast<double>(cs.txs_requested));
  c.metrics.gauge_set("tally_p2p_inbound_evictions", "Inbound peers evicted to make room for new ones (since start)",
                      {}, {}, static_cast<double>(c.net->inbound_evictions()));
  if (c.transport) {
    const p2p::TransportCounters& t = c.transport->counters();
    const std::pair<const char*, std::uint64_t> handshakes[] = {{"completed", t.handshakes_completed},
                                                                {"failed", t.handshakes_failed},
                                                                {"not_allowed", t.peers_not_allowed}};
    for (const auto& [what, n] : handshakes)
      c.metrics.gauge_set("tally_transport_handshakes", "Encrypted transport handshakes by outcome (since start)",
                          {"outcome"}, {what}, static_cast<double>(n));
    c.metrics.gauge_set("tally_transport_records_rejected",
                        "Encrypted records that failed authentication after a handshake (since start)", {}, {},
                        static_cast<double>(t.records_rejected));
  }
  if (c.miner)
    c.metrics.gauge_set("tally_miner_hashes_per_second", "Local mining hash rate", {}, {},
                        c.miner->hashes_per_second());
}

}  // namespace tally::node
