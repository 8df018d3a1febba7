#include "sim/scenario_config.h"

#include <algorithm>

#include "base/units.h"
#include "ledger/chain_spec.h"
#include "ledger/embedded_spec.h"

namespace tally::sim {

namespace {

using Error = std::unexpected<std::string>;

std::expected<std::uint64_t, std::string> bits_per_s(const std::string& rate, const std::string& field) {
  auto r = base::parse_rate(rate);
  if (!r) return Error(field + ": " + r.error());
  return *r * 8;  // parse_rate gives bytes per second
}

std::expected<double, std::string> ms_of(const std::string& duration, const std::string& field) {
  auto d = base::parse_duration_ms(duration);
  if (!d) return Error(field + ": " + d.error());
  return static_cast<double>(*d);
}

std::expected<NetworkModel, std::string> network_of(const scenario::Scenario& s) {
  if (!s.network) {
    // No "network": the devnet's "links" shaping, read as the simulated internet.
    auto latency = ms_of(s.latency.empty() ? "50ms" : s.latency, "links.latency");
    if (!latency) return Error(latency.error());
    std::uint64_t bandwidth = 0;
    if (!s.rate.empty()) {
      auto b = bits_per_s(s.rate, "links.rate");
      if (!b) return Error(b.error());
      bandwidth = *b;
    }
    NetworkModel m = NetworkModel::constant(*latency, bandwidth);
    if (!s.jitter.empty()) {
      auto j = ms_of(s.jitter, "links.jitter");
      if (!j) return Error(j.error());
      m.jitter_ms = *j;
    }
    return m;
  }
  const scenario::NetworkSpec& n = *s.network;
  NetworkModel m;
  if (n.preset == "bitcoin-2019") {
    m = NetworkModel::bitcoin_2019();
  } else {
    auto latency = ms_of(n.latency, "network.latency");
    if (!latency) return Error(latency.error());
    std::uint64_t bandwidth = 0;
    if (!n.bandwidth.empty()) {
      auto b = bits_per_s(n.bandwidth, "network.bandwidth");
      if (!b) return Error(b.error());
      bandwidth = *b;
    }
    m = NetworkModel::constant(*latency, bandwidth);
  }
  if (!n.jitter.empty()) {
    auto j = ms_of(n.jitter, "network.jitter");
    if (!j) return Error(j.error());
    m.jitter_ms = *j;
  }
  m.loss_percent = n.loss_percent;
  m.bandwidth_scale = n.bandwidth_scale;
  return m;
}

std::expected<void, std::string> apply_persona(const scenario::Persona& p, const std::string& where, Persona& out) {
  if (p.hash_share) out.hash_share = *p.hash_share;
  if (p.relay_only) out.relay_only = *p.relay_only;
  if (p.max_inbound) out.max_inbound = *p.max_inbound;
  if (p.max_outbound) out.max_outbound = *p.max_outbound;
  if (p.latency) {
    auto l = ms_of(*p.latency, where + ".latency");
    if (!l) return Error(l.error());
    out.extra_latency_ms = *l;
  }
  if (p.rate) {
    auto b = bits_per_s(*p.rate, where + ".rate");
    if (!b) return Error(b.error());
    out.upload_bps = *b;
  }
  if (p.download_rate) {
    auto b = bits_per_s(*p.download_rate, where + ".download_rate");
    if (!b) return Error(b.error());
    out.download_bps = *b;
  }
  for (const auto& [from_s, to_s] : p.offline)
    out.offline.push_back(OfflineWindow{static_cast<std::int64_t>(from_s * 1000), static_cast<std::int64_t>(to_s * 1000),
                                        !p.offline_empty.value_or(false)});
  return {};
}

// Miners as tally-devnet chooses them: "miners" spread along the nodes (default 1, or 0
// when some persona mines), then the personas' "mining" on top.
void choose_miners(const scenario::Scenario& s, std::vector<Persona>& personas) {
  bool persona_mines = false;
  for (const auto& [i, p] : s.personas) persona_mines = persona_mines || p.mining.value_or(false);
  const std::size_t miners = s.miners.value_or(persona_mines ? 0 : 1);
  for (std::size_t m : scenario::spread_miners(s.nodes, std::min(miners, s.nodes))) personas[m].mining = true;
  for (const auto& [i, p] : s.personas)
    if (p.mining) personas[i].mining = *p.mining;
}

}  // namespace

std::expected<SimConfig, std::string> sim_config(const scenario::Scenario& s) {
  if (!s.link_overrides.empty())
    return Error("link_overrides: tally-sim shapes nodes, not single links (use personas or \"network\")");
  if (!s.chain.empty()) return Error("chain: tally-sim builds its chain spec from the scenario (leave \"chain\" out)");
  SimConfig c;
  c.nodes = s.nodes;
  c.seed = s.seed;
  c.duration_ms = static_cast<std::int64_t>(s.duration_s * 1000);
  c.block_interval_s = static_cast<double>(
      s.block_time_s.value_or(ledger::parse_chain_spec(ledger::embedded_devnet_spec())->block_interval_s));
  if (s.max_block_txs) c.max_block_txs = *s.max_block_txs;
  if (s.discovery || (!s.topology_given && s.nodes > kDiscoveryByDefaultFrom)) {
    c.topology.kind = TopologyKind::kDiscovery;
    c.topology.seeds = s.seeds.value_or(std::min<std::size_t>(4, s.nodes));
  } else {
    switch (s.topology.kind) {
      case scenario::Topology::Kind::kLine: c.topology.kind = TopologyKind::kLine; break;
      case scenario::Topology::Kind::kRing: c.topology.kind = TopologyKind::kRing; break;
      case scenario::Topology::Kind::kStar: c.topology.kind = TopologyKind::kStar; break;
      case scenario::Topology::Kind::kMesh: c.topology.kind = TopologyKind::kMesh; break;
      case scenario::Topology::Kind::kRandom: c.topology.kind = TopologyKind::kRandom; break;
    }
    c.topology.degree = s.topology.degree;
  }
  auto network = network_of(s);
  if (!network) return Error(network.error());
  c.network = std::move(*network);
  c.personas.assign(s.nodes, Persona{});
  choose_miners(s, c.personas);
  for (const auto& [i, p] : s.personas)
    if (auto ok = apply_persona(p, "personas." + std::to_string(i), c.personas[i]); !ok) return Error(ok.error());
  for (const auto& e : s.events) {
    TimedAction a;
    a.at_ms = static_cast<std::int64_t>(e.at_s * 1000);
    a.node = e.node;
    a.groups = e.groups;
    a.keep_state = !e.empty;
    switch (e.kind) {
      case scenario::ScenarioEvent::Kind::kPartition: a.kind = ActionKind::kPartition; break;
      case scenario::ScenarioEvent::Kind::kHeal: a.kind = ActionKind::kHeal; break;
      case scenario::ScenarioEvent::Kind::kStop: a.kind = ActionKind::kStop; break;
      case scenario::ScenarioEvent::Kind::kStart: a.kind = ActionKind::kStart; break;
    }
    c.actions.push_back(std::move(a));
  }
  c.load.tps = s.load_tps.value_or(0);
  if (s.load_senders) c.load.senders = *s.load_senders;
  if (s.log_tx_events) c.log_tx_events = *s.log_tx_events;
  if (s.tx_inv_interval) c.tx_inv_interval_ms = *base::parse_duration_ms(*s.tx_inv_interval);
  if (s.compact_relay) c.compact_relay = *s.compact_relay;
  if (s.processing) {
    if (s.processing->block_base_us) c.processing.block_base_us = *s.processing->block_base_us;
    if (s.processing->block_per_tx_us) c.processing.block_per_tx_us = *s.processing->block_per_tx_us;
    if (s.processing->tx_accept_us) c.processing.tx_accept_us = *s.processing->tx_accept_us;
    if (s.processing->per_byte_us) c.processing.per_byte_us = *s.processing->per_byte_us;
  }
  if (auto problem = c.check(); !problem.empty()) return Error(problem);
  return c;
}

}  // namespace tally::sim
