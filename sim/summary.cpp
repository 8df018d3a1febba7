#include "sim/summary.h"

#include <boost/json.hpp>

#include "crypto/hex.h"
#include "support/proc_status.h"

namespace tally::sim {

namespace json = boost::json;

namespace {

std::string_view topology_name(TopologyKind k) {
  switch (k) {
    case TopologyKind::kDiscovery: return "discovery";
    case TopologyKind::kLine: return "line";
    case TopologyKind::kRing: return "ring";
    case TopologyKind::kStar: return "star";
    case TopologyKind::kMesh: return "mesh";
    case TopologyKind::kRandom: return "random";
    case TopologyKind::kNone: return "none";
  }
  return "none";
}

json::object parameters(const SimConfig& c) {
  json::array regions;
  for (const auto& r : c.network.regions)
    regions.push_back(json::object{{"name", r.name},
                                   {"node_share", r.node_share},
                                   {"upload_bps", r.upload_bps},
                                   {"download_bps", r.download_bps}});
  json::array latency;
  for (const auto& row : c.network.latency_ms) {
    json::array r;
    for (double v : row) r.push_back(v);
    latency.push_back(std::move(r));
  }
  std::size_t miners = 0;
  for (const auto& p : c.personas) miners += p.mining ? 1 : 0;
  return json::object{
      {"nodes", c.nodes},
      {"seed", c.seed},
      {"duration_ms", c.duration_ms},
      {"block_interval_s", c.block_interval_s},
      {"max_block_txs", c.max_block_txs},
      {"tx_inv_interval_ms", c.tx_inv_interval_ms},
      {"ping_interval_ms", c.ping_interval_ms},
      {"compact_relay", c.compact_relay},
      {"topology", json::object{{"kind", topology_name(c.topology.kind)},
                                {"degree", c.topology.degree},
                                {"seeds", c.topology.seeds}}},
      {"miners", miners},
      {"network", json::object{{"regions", std::move(regions)},
                               {"latency_ms", std::move(latency)},
                               {"jitter_ms", c.network.jitter_ms},
                               {"loss_percent", c.network.loss_percent},
                               {"bandwidth_scale", c.network.bandwidth_scale}}},
      {"processing", json::object{{"block_base_us", c.processing.block_base_us},
                                  {"block_per_tx_us", c.processing.block_per_tx_us},
                                  {"tx_accept_us", c.processing.tx_accept_us},
                                  {"per_byte_us", c.processing.per_byte_us}}},
      {"load", json::object{{"tps", c.load.tps}, {"senders", c.load.senders}}},
      {"actions", c.actions.size()},
      {"log_tx_events", c.log_tx_events},
      {"verify_signatures_once", c.verify_signatures_once},
  };
}

}  // namespace

std::string summary_json(const Simulator& sim, const RunCost& cost) {
  const SimStats& s = sim.stats();
  std::uint32_t best = 0, online = 0;
  for (std::size_t i = 0; i < sim.size(); ++i) {
    const SimNode& n = sim.node(i);
    if (!n.online) continue;
    ++online;
    best = std::max(best, n.chain->height());
  }
  const double sim_s = static_cast<double>(sim.now_ms()) / 1000.0;
  json::object root{
      {"tally_sim", 1},
      {"parameters", parameters(sim.config())},
      {"chain", json::object{{"name", sim.spec().name},
                             {"genesis", crypto::to_hex(sim.spec().genesis_hash())},
                             {"genesis_bits", sim.spec().genesis_bits},
                             {"block_interval_s", sim.spec().block_interval_s}}},
      {"results", json::object{{"simulated_s", sim_s},
                               {"events", s.events},
                               {"frames", s.frames},
                               {"frame_bytes", s.frame_bytes},
                               {"connections", s.connections},
                               {"connect_failures", s.connect_failures},
                               {"blocks_mined", s.blocks_mined},
                               {"mining_failures", s.mining_failures},
                               {"txs_submitted", s.txs_submitted},
                               {"txs_accepted", s.txs_accepted},
                               {"online_nodes", online},
                               {"best_height", best},
                               {"tips_agree", sim.tips_agree()},
                               {"states_agree", sim.states_agree()},
                               {"overlay_edges", sim.overlay().size()}}},
      {"cost", json::object{{"wall_s", cost.wall_s},
                            {"events_per_s", cost.wall_s > 0 ? static_cast<double>(s.events) / cost.wall_s : 0.0},
                            {"simulated_s_per_wall_s", cost.wall_s > 0 ? sim_s / cost.wall_s : 0.0},
                            {"peak_rss_bytes", cost.peak_rss_bytes},
                            {"bytes_per_node", sim.size() ? cost.peak_rss_bytes / sim.size() : 0},
                            {"threads", sim.config().threads},
                            {"lanes", sim.lanes()},
                            {"lookahead_us", sim.lookahead_us()}}},
  };
  return json::serialize(root);
}

std::uint64_t peak_rss_bytes() { return support::proc_status_kib(0, "VmHWM").value_or(0) * 1024; }

}  // namespace tally::sim
