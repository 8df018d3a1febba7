// Simulator: node lifecycle (state, boots, stops), the start-up schedule, partitions and
// scripted actions, and the run's chain spec.
#include <algorithm>
#include <set>

#include "crypto/sha256.h"
#include "events/control_event.h"
#include "ledger/embedded_spec.h"
#include "ledger/memory_store.h"
#include "scenario/topology.h"
#include "sim/sim_internal.h"

namespace tally::sim {

namespace {

crypto::SecretKey key_from_text(const std::string& text) {
  const auto h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  return *crypto::SecretKey::from_bytes(h.span());
}

}  // namespace

crypto::SecretKey sim_sender_key(std::size_t index) { return key_from_text("Tally sim sender " + std::to_string(index)); }

ledger::ChainSpec sim_chain_spec(const SimConfig& config) {
  ledger::ChainSpec spec = *ledger::parse_chain_spec(ledger::embedded_devnet_spec());
  spec.name = "tally-sim";
  spec.block_interval_s = std::max<std::int64_t>(1, std::llround(config.block_interval_s));
  spec.asert_half_life_s = config.asert_half_life_s > 0
                               ? config.asert_half_life_s
                               : std::max<std::int64_t>(spec.asert_half_life_s, 24 * spec.block_interval_s);
  spec.genesis_bits = config.genesis_bits;
  spec.max_block_txs = config.max_block_txs;
  spec.accounts.clear();
  for (std::size_t i = 0; i < config.load.senders; ++i)
    spec.accounts.push_back(ledger::GenesisAccount{crypto::address_of(sim_sender_key(i).public_key()),
                                                   ledger::Amount{1'000'000'000'000'000}});
  return spec;
}

void Simulator::build_node_state(SimNode& n, bool fresh) {
  if (!fresh && n.chain) return;
  n.chain.reset();
  n.store = std::make_unique<ledger::MemoryStore>();
  ledger::ChainOptions options;
  // The RPC indexes are not part of validation; a simulated node has no RPC.
  options.tx_index = false;
  options.address_index = false;
  options.executor = &executor_;
  auto chain = ledger::Chain::open(spec_, *n.store, options);
  if (!chain) throw std::runtime_error(n.name + ": cannot open the chain: " + chain.error().message);
  n.chain = std::move(*chain);
  n.book = std::make_unique<p2p::AddrBook>(n.seed ^ 0x5bd1e995);
}

namespace {

// Fidelity trade-off (docs/STUDY.md): each peer remembers the inventory it knows of for five
// minutes of the load (at least 1,024 entries, at most tallyd's 50,000) instead of tallyd's
// 50,000. The core consults it only when it announces, seconds after it learned of an item,
// so older entries never change what is sent; at 16,000 peer ends they would cost gigabytes.
std::size_t known_inventory_max(const SimConfig& c) {
  const auto five_minutes = static_cast<std::size_t>(c.load.tps * 300 + 300 / std::max(1.0, c.block_interval_s));
  return std::clamp<std::size_t>(five_minutes, 1024, p2p::NetConfig{}.known_inventory_max);
}

}  // namespace

void Simulator::boot(SimNode& n) {
  ++n.boot;
  const std::int64_t now = now_us();
  const std::int64_t now_ms = now / 1000;
  n.mempool = std::make_unique<ledger::Mempool>(spec_);
  p2p::NetConfig net;
  net.listen_port = kListenPort;
  net.max_inbound = n.persona.max_inbound;
  net.max_outbound = n.persona.max_outbound;
  net.event_txids = config_.log_tx_events;
  net.tx_inv_interval_ms = config_.tx_inv_interval_ms;
  net.ping_interval_ms = config_.ping_interval_ms;
  net.compact_relay = config_.compact_relay;
  net.known_inventory_max = known_inventory_max(config_);
  if (config_.topology.kind == TopologyKind::kDiscovery) {
    net.discovery = true;
    for (std::size_t s = 0; s < std::min(config_.topology.seeds, nodes_.size()); ++s)
      if (s != n.index) net.seeds.push_back(nodes_[s]->address);
  } else {
    net.discovery = false;
    for (std::size_t t : dial_targets_[n.index]) net.fixed_peers.push_back(nodes_[t]->address);
  }
  n.core = std::make_unique<p2p::NetCore>(net, *n.chain, *n.mempool, *n.book, n.seed ^ (std::uint64_t{n.boot} << 32),
                                          now_ms);
  n.online = true;
  n.busy_until_us = now;
  n.tick_at_us = -1;
  log_lifecycle(n, events::EventType::kNodeStarted);
  apply_partition(n);
  drain(n, now, 0);
}

void Simulator::schedule_start() {
  // Fixed topologies: who dials whom, as tally-devnet wires them.
  dial_targets_.assign(nodes_.size(), {});
  if (config_.topology.kind != TopologyKind::kDiscovery && config_.topology.kind != TopologyKind::kNone) {
    scenario::Topology t;
    switch (config_.topology.kind) {
      case TopologyKind::kLine: t.kind = scenario::Topology::Kind::kLine; break;
      case TopologyKind::kRing: t.kind = scenario::Topology::Kind::kRing; break;
      case TopologyKind::kStar: t.kind = scenario::Topology::Kind::kStar; break;
      case TopologyKind::kMesh: t.kind = scenario::Topology::Kind::kMesh; break;
      default: t.kind = scenario::Topology::Kind::kRandom; t.degree = config_.topology.degree; break;
    }
    const auto edges = scenario::make_edges(nodes_.size(), t, config_.seed);
    for (std::size_t i = 0; i < nodes_.size(); ++i) dial_targets_[i] = scenario::dial_targets(i, edges);
  }
  // Seeds (and every node of a fixed topology) start at once; the other nodes of a discovery
  // network join over the first 10 s, so they do not all dial the seeds in the same instant.
  const bool discovery = config_.topology.kind == TopologyKind::kDiscovery;
  for (auto& n : nodes_) {
    std::int64_t at = 0;
    if (discovery && n->index >= config_.topology.seeds)
      at = std::uniform_int_distribution<std::int64_t>(0, 10'000'000)(work_rng_);
    const auto self = static_cast<std::uint32_t>(n->index);
    push(*n, self, start_us_ + at, Ev{.kind = EvKind::kOnline, .aux = 1});
    for (const auto& w : n->persona.offline) {
      push(*n, self, start_us_ + w.from_ms * 1000, Ev{.kind = EvKind::kOffline});
      if (w.to_ms < config_.duration_ms)
        push(*n, self, start_us_ + w.to_ms * 1000, Ev{.kind = EvKind::kOnline, .aux = w.keep_state ? 1u : 0u});
    }
  }
  for (std::size_t i = 0; i < config_.actions.size(); ++i)
    push_global(start_us_ + config_.actions[i].at_ms * 1000, Ev{.kind = EvKind::kAction, .aux = static_cast<std::uint32_t>(i)});
  bool any_miner = false;
  for (const auto& n : nodes_) any_miner = any_miner || n->persona.mining;
  if (any_miner) push_global(start_us_ + exponential_us(config_.block_interval_s), Ev{.kind = EvKind::kMine});
  if (config_.load.tps > 0) push_global(start_us_ + exponential_us(1.0 / config_.load.tps), Ev{.kind = EvKind::kLoad});
}

void Simulator::start_node(std::size_t i, bool keep_state) {
  SimNode& n = *nodes_[i];
  if (n.online) return;
  if (!keep_state) build_node_state(n, /*fresh=*/true);
  boot(n);
}

void Simulator::stop_node(std::size_t i) {
  SimNode& n = *nodes_[i];
  if (!n.online) return;
  log_lifecycle(n, events::EventType::kNodeStopped);
  // Every connection closes; the peers learn it one latency later.
  const std::int64_t now = now_us();
  for (const auto& [peer, link] : n.links) send_close(n, *link, link->end[0] == n.index ? 0 : 1, now);
  n.links.clear();
  inbox_[i].clear();
  n.online = false;
  n.core.reset();
  n.mempool.reset();
  n.tick_at_us = -1;
}

void Simulator::connect(std::size_t from, std::size_t to) {
  SimNode& a = *nodes_[from];
  if (!a.online) return;
  a.core->connect_once(nodes_[to]->address, now_us() / 1000);
  drain(a, now_us(), 0);
}

void Simulator::apply_partition(SimNode& n) {
  std::set<p2p::NetAddress> blocked;
  if (!group_of_.empty())
    for (const auto& other : nodes_)
      if (cut(n.index, other->index)) blocked.insert(other->address);
  n.core->set_blocked(blocked, now_us() / 1000);
}

void Simulator::partition(const std::vector<std::vector<std::size_t>>& groups) {
  group_of_.assign(nodes_.size(), -1);
  int next = 0;
  for (const auto& g : groups) {
    for (std::size_t i : g) group_of_[i] = next;
    ++next;
  }
  for (auto& g : group_of_)
    if (g < 0) g = next;  // the nodes named in no group form one more
  auto event = events::make_control_event(events::ControlType::kPartition, now_us_);
  std::vector<std::vector<events::NodeRef>> refs(static_cast<std::size_t>(next) + 1);
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    refs[static_cast<std::size_t>(group_of_[i])].push_back(events::NodeRef{.index = i, .name = {}});
  for (auto& r : refs)
    if (!r.empty()) event.groups.push_back(std::move(r));
  log_control(events::to_json_line(event));
  for (auto& n : nodes_) {
    if (!n->online) continue;
    apply_partition(*n);
    drain(*n, now_us_, 0);
  }
}

void Simulator::heal() {
  group_of_.clear();
  log_control(events::to_json_line(events::make_control_event(events::ControlType::kHeal, now_us_)));
  for (auto& n : nodes_) {
    if (!n->online) continue;
    apply_partition(*n);
    drain(*n, now_us_, 0);
  }
}

void Simulator::log_node_control(events::ControlType type, std::size_t node, bool by_node) {
  auto e = events::make_control_event(type, now_us());
  e.node.name = nodes_[node]->name;
  log_control(events::to_json_line(e), by_node ? nodes_[node].get() : nullptr);
}

void Simulator::on_action(const TimedAction& a) {
  switch (a.kind) {
    case ActionKind::kPartition: return partition(a.groups);
    case ActionKind::kHeal: return heal();
    case ActionKind::kStop:
      log_node_control(events::ControlType::kStopNode, a.node, /*by_node=*/false);
      return stop_node(a.node);
    case ActionKind::kStart:
      log_node_control(events::ControlType::kStartNode, a.node, /*by_node=*/false);
      return start_node(a.node, a.keep_state);
  }
}

}  // namespace tally::sim
