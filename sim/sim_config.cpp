#include "sim/sim_config.h"

namespace tally::sim {

namespace {

std::string at(std::size_t i, const std::string& what) { return "personas[" + std::to_string(i) + "]: " + what; }

std::string check_persona(std::size_t i, const Persona& p, std::int64_t duration_ms) {
  if (!(p.hash_share > 0) || p.hash_share > 1e6) return at(i, "hash_share must be > 0");
  if (p.relay_only && p.mining) return at(i, "a relay-only node does not mine");
  if (p.max_outbound > 1000) return at(i, "max_outbound must be at most 1000");
  if (p.max_inbound > 100'000) return at(i, "max_inbound must be at most 100000");
  if (!(p.extra_latency_ms >= 0) || p.extra_latency_ms > 60'000) return at(i, "latency must be within 0..60000 ms");
  std::int64_t last = -1;
  for (const auto& w : p.offline) {
    if (w.from_ms < 0 || w.to_ms <= w.from_ms) return at(i, "an offline window must have 0 <= from < to");
    if (w.from_ms <= last) return at(i, "offline windows must be in order and not overlap");
    if (w.from_ms > duration_ms) return at(i, "an offline window starts after the end of the run");
    last = w.to_ms;
  }
  return {};
}

}  // namespace

std::string SimConfig::check() const {
  if (nodes < 1 || nodes > 100'000) return "nodes must be within 1..100000";
  if (personas.size() != nodes) return "one persona per node is required";
  if (duration_ms <= 0 || duration_ms > 30LL * 24 * 3600 * 1000) return "duration must be within 1 ms..30 days";
  if (!(block_interval_s >= 1) || block_interval_s > 86'400) return "block interval must be within 1..86400 s";
  if (max_block_txs < 2 || max_block_txs > 100'000) return "max_block_txs must be within 2..100000";
  if (asert_half_life_s < 0) return "asert_half_life_s must not be negative";
  if (topology.kind == TopologyKind::kDiscovery && (topology.seeds < 1 || topology.seeds > nodes))
    return "topology: seeds must be within 1..nodes";
  if (topology.kind == TopologyKind::kRandom && topology.degree < 1) return "topology: random:K needs K >= 1";
  if (auto n = network.check(); !n.empty()) return "network: " + n;
  if (threads < 1 || threads > kMaxThreads) return "threads must be within 1.." + std::to_string(kMaxThreads);
  if (lanes > 4096) return "lanes must be within 0..4096";
  if (!(load.tps >= 0) || load.tps > 100'000) return "load: tps must be within 0..100000";
  if (tx_inv_interval_ms < 1 || tx_inv_interval_ms > 60'000) return "tx_inv_interval must be within 1ms..60s";
  if (load.tps > 0 && (load.senders < 1 || load.senders > 100'000)) return "load: senders must be within 1..100000";
  for (std::size_t i = 0; i < personas.size(); ++i)
    if (auto p = check_persona(i, personas[i], duration_ms); !p.empty()) return p;
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const auto& a = actions[i];
    const std::string where = "events[" + std::to_string(i) + "]: ";
    if (a.at_ms < 0 || a.at_ms > duration_ms) return where + "at must be within the run";
    if ((a.kind == ActionKind::kStop || a.kind == ActionKind::kStart) && a.node >= nodes)
      return where + "node " + std::to_string(a.node) + " does not exist (" + std::to_string(nodes) + " nodes)";
    if (a.kind == ActionKind::kPartition) {
      std::vector<bool> seen(nodes, false);
      for (const auto& g : a.groups)
        for (std::size_t n : g) {
          if (n >= nodes) return where + "node " + std::to_string(n) + " does not exist (" + std::to_string(nodes) + " nodes)";
          if (seen[n]) return where + "node " + std::to_string(n) + " is in two groups";
          seen[n] = true;
        }
    }
  }
  return {};
}

}  // namespace tally::sim
