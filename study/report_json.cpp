#include "study/report_json.h"

#include <boost/json.hpp>

namespace tally::study {

namespace json = boost::json;

namespace {

json::value opt(const std::optional<double>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value opt(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::value relation(const NodeSummary& s) {
  return s.relation ? json::value(to_string(*s.relation)) : json::value(nullptr);
}

json::object dist(const Distribution& d) {
  return {{"count", d.count}, {"min", opt(d.min)}, {"mean", opt(d.mean)}, {"p50", opt(d.p50)},
          {"p90", opt(d.p90)}, {"p99", opt(d.p99)},   {"max", opt(d.max)}};
}

json::object reach(const Reach& r) {
  return {{"t50_ms", opt(r.t50_ms)}, {"t90_ms", opt(r.t90_ms)}, {"t100_ms", opt(r.t100_ms)}};
}

json::array names_of(const RunLog& run, const std::vector<std::size_t>& nodes) {
  json::array out;
  for (std::size_t i : nodes) out.emplace_back(run.nodes[i].name);
  return out;
}

json::value node_name(const RunLog& run, const std::optional<std::size_t>& node) {
  return node ? json::value(run.nodes[*node].name) : json::value(nullptr);
}

json::object run_section(const RunLog& run, const Analysis& a) {
  std::size_t with_logs = 0;
  for (const auto& n : run.nodes) with_logs += n.log_found ? 1 : 0;
  json::array warnings;
  for (const auto& w : run.warnings) warnings.emplace_back(w);
  json::array control_malformed;
  for (const auto& m : run.control_malformed_examples)
    control_malformed.push_back(json::object{{"line", m.line}, {"reason", m.reason}});
  return {{"dir", run.dir.string()},
          {"layout_found", run.has_layout},
          {"start_ts_us", a.start_us},
          {"end_ts_us", a.end_us},
          {"duration_ms", static_cast<double>(a.end_us - a.start_us) / 1000.0},
          {"nodes", run.nodes.size()},
          {"nodes_with_logs", with_logs},
          {"events", a.events},
          {"malformed_lines", a.malformed},
          {"unknown_events", a.unknown_events},
          {"control_events", run.controls.size()},
          {"control_malformed_lines", run.control_malformed},
          {"control_malformed_examples", std::move(control_malformed)},
          {"topology_edges", run.edges.size()},
          {"warnings", std::move(warnings)}};
}

json::array nodes_section(const RunLog& run, const Analysis& a) {
  json::array out;
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    const NodeLog& log = run.nodes[i];
    const NodeSummary& s = a.nodes[i];
    json::array examples;
    for (const auto& m : log.malformed_examples) examples.push_back(json::object{{"line", m.line}, {"reason", m.reason}});
    json::array running;
    for (const auto& [start, end] : s.running) running.push_back(json::array{start, end});
    out.push_back(json::object{{"name", log.name},
                               {"index", i},
                               {"events_path", log.events_path.string()},
                               {"log_found", log.log_found},
                               {"lines", log.lines},
                               {"events", log.events.size()},
                               {"malformed_lines", log.malformed},
                               {"malformed_examples", std::move(examples)},
                               {"unknown_events", log.unknown_events},
                               {"final_tip", opt(s.final_tip)},
                               {"final_height", s.final_height},
                               {"on_majority_tip", s.on_majority_tip},
                               {"relation", relation(s)},
                               {"shared_height", opt(s.shared_height)},
                               {"running_at_end", s.running_at_end},
                               {"running_intervals_us", std::move(running)},
                               {"blocks_connected", s.blocks_connected},
                               {"headers_seen", s.headers_seen},
                               {"blocks_rejected", s.blocks_rejected},
                               {"txs_accepted", s.txs_accepted},
                               {"txs_rejected", s.txs_rejected},
                               {"reorgs", s.reorgs},
                               {"max_reorg_depth", s.max_reorg_depth}});
  }
  return out;
}

json::value overlay_section(const OverlayStats& o) {
  if (!o.known) return nullptr;
  json::object degrees;
  for (const auto& [degree, count] : o.degree_histogram) degrees[std::to_string(degree)] = count;
  return json::object{{"nodes", o.nodes},
                      {"edges", o.edges},
                      {"degree_histogram", std::move(degrees)},
                      {"min_degree", o.min_degree},
                      {"max_degree", o.max_degree},
                      {"mean_degree", o.mean_degree},
                      {"components", o.components},
                      {"largest_component", o.largest_component},
                      {"diameter", o.diameter ? json::value(*o.diameter) : json::value(nullptr)},
                      {"mean_path_hops", o.mean_path_hops ? json::value(*o.mean_path_hops) : json::value(nullptr)},
                      {"sampled", o.sampled}};
}

json::array sorted_values(const std::vector<double>& v) {
  json::array out;
  out.reserve(v.size());
  for (double x : v) out.emplace_back(x);
  return out;
}

json::object propagation_section(const Analysis& a) {
  const PropagationStats& p = a.propagation;
  json::array hops;
  for (const auto& h : p.by_hop)
    hops.push_back(json::object{{"hops", h.hops}, {"connected_delay_ms", dist(h.connected_ms)},
                                {"header_delay_ms", dist(h.header_ms)}});
  return {{"blocks", p.blocks},
          {"blocks_during_partition", p.blocks_during_partition},
          {"connected_delay_ms", dist(p.connected_delay_ms)},
          {"header_delay_ms", dist(p.header_delay_ms)},
          {"missing_arrivals", p.missing_arrivals},
          {"time_to_50pct_ms", dist(p.t50_ms)},
          {"time_to_90pct_ms", dist(p.t90_ms)},
          {"time_to_100pct_ms", dist(p.t100_ms)},
          {"header_time_to_50pct_ms", dist(p.header_t50_ms)},
          {"header_time_to_90pct_ms", dist(p.header_t90_ms)},
          {"header_time_to_100pct_ms", dist(p.header_t100_ms)},
          {"blocks_reaching_all", p.blocks_reaching_all},
          {"reach_cdf_ms", json::object{{"t50", sorted_values(p.t50_values_ms)},
                                        {"t90", sorted_values(p.t90_values_ms)},
                                        {"t100", sorted_values(p.t100_values_ms)}}},
          {"topology", p.has_topology},
          {"by_hop", p.has_topology ? json::value(std::move(hops)) : json::value(nullptr)}};
}

json::array blocks_section(const RunLog& run, const Analysis& a) {
  json::array out;
  for (const BlockInfo& b : a.blocks) {
    json::array arrivals;
    json::array connected_by, header_by;
    for (std::size_t i = 0; i < b.arrivals.size(); ++i) {
      const Arrival& arr = b.arrivals[i];
      if (arr.connected_us) connected_by.emplace_back(run.nodes[i].name);
      if (arr.header_us) header_by.emplace_back(run.nodes[i].name);
      if (!arr.connected_us && !arr.header_us) continue;
      auto delay = [&](const std::optional<std::int64_t>& us) {
        return us ? json::value(static_cast<double>(*us - b.first_seen_us) / 1000.0) : json::value(nullptr);
      };
      arrivals.push_back(json::object{{"node", run.nodes[i].name},
                                      {"reachable", static_cast<bool>(b.reachable[i])},
                                      {"connected_delay_ms", delay(arr.connected_us)},
                                      {"header_delay_ms", delay(arr.header_us)}});
    }
    out.push_back(json::object{{"hash", b.hash},
                               {"height", b.height},
                               {"parent", opt(b.parent)},
                               {"first_seen_ts_us", b.first_seen_us},
                               {"first_seen_node", run.nodes[b.first_node].name},
                               {"miner", node_name(run, b.miner)},
                               {"txs", opt(b.txs)},
                               {"during_partition", b.during_partition},
                               {"reachable_nodes", b.reachable_count},
                               {"connected_anywhere", b.connected_anywhere},
                               {"on_final_chain", b.on_final_chain},
                               {"lane", b.lane},
                               {"connected", reach(b.connected)},
                               {"header", reach(b.header)},
                               {"connected_by", std::move(connected_by)},
                               {"header_seen_by", std::move(header_by)},
                               {"arrivals", std::move(arrivals)}});
  }
  return out;
}

json::object tx_section(const RunLog& run, const Analysis& a) {
  const TxStats& t = a.tx;
  json::array txs;
  for (const TxInfo& tx : a.txs) {
    std::size_t accepted = 0;
    for (const auto& s : tx.accepted_us) accepted += s ? 1 : 0;
    txs.push_back(json::object{{"txid", tx.txid},
                               {"first_ts_us", tx.first_us},
                               {"origin", run.nodes[tx.origin].name},
                               {"submitted_locally", tx.submitted_locally},
                               {"reachable_nodes", tx.reachable_count},
                               {"accepted_nodes", accepted},
                               {"reach", reach(tx.reach)},
                               {"inclusion_ms", opt(tx.inclusion_ms)},
                               {"confirmed_all_ms", opt(tx.confirmed_all_ms)}});
  }
  return {{"txs", t.txs},
          {"submitted_locally", t.submitted_locally},
          {"rejected_events", t.rejected_events},
          {"delay_ms", dist(t.delay_ms)},
          {"missing_arrivals", t.missing_arrivals},
          {"time_to_50pct_ms", dist(t.t50_ms)},
          {"time_to_90pct_ms", dist(t.t90_ms)},
          {"time_to_100pct_ms", dist(t.t100_ms)},
          {"reaching_all", t.reaching_all},
          {"inclusion_available", t.inclusion_available},
          {"included", t.included},
          {"inclusion_ms", t.inclusion_available ? json::value(dist(t.inclusion_ms)) : json::value(nullptr)},
          {"confirmations", t.confirmations},
          {"confirmed_all", t.confirmed_all},
          {"confirmed_twice_on_final_chain", json::value_from(t.confirmed_twice)},
          {"confirmed_all_ms", t.inclusion_available ? json::value(dist(t.confirmed_all_ms)) : json::value(nullptr)},
          {"list", std::move(txs)}};
}

json::object forks_section(const RunLog& run, const Analysis& a) {
  const ForkStats& f = a.forks;
  json::array stale;
  for (const auto& h : f.stale_hashes) stale.emplace_back(h);
  json::array histogram;
  for (const auto& [depth, count] : f.depth_histogram) histogram.push_back(json::object{{"depth", depth}, {"count", count}});
  json::array reorgs;
  for (const auto& r : f.reorgs)
    reorgs.push_back(json::object{{"node", run.nodes[r.node].name}, {"ts_us", r.ts_us}, {"depth", r.depth},
                                  {"old_tip", r.old_tip}, {"new_tip", r.new_tip}});
  json::array per_node;
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    json::array depths;
    for (const auto& r : f.reorgs)
      if (r.node == i) depths.emplace_back(r.depth);
    per_node.push_back(json::object{{"node", run.nodes[i].name}, {"reorgs", a.nodes[i].reorgs},
                                    {"max_depth", a.nodes[i].max_reorg_depth}, {"depths", std::move(depths)}});
  }
  return {{"final_tip", opt(f.final_tip)},
          {"final_height", f.final_height},
          {"blocks", f.blocks},
          {"final_chain_blocks", f.final_chain_blocks},
          {"stale_blocks", f.stale_blocks},
          {"stale_rate", opt(f.stale_rate)},
          {"mean_interval_s", opt(f.mean_interval_s)},
          {"requested_interval_s", opt(f.requested_interval_s)},
          {"stale_seen_only", f.stale_seen_only},
          {"stale_hashes", std::move(stale)},
          {"longest_stale_branch", f.longest_stale_branch},
          {"reorg_count", f.reorgs.size()},
          {"max_reorg_depth", f.max_reorg_depth},
          {"reorg_depth_histogram", std::move(histogram)},
          {"reorgs", std::move(reorgs)},
          {"per_node", std::move(per_node)},
          {"parent_links_complete", f.parent_links_complete}};
}

json::object agreement_section(const Analysis& a) {
  const AgreementStats& ag = a.agreement;
  json::array samples;
  for (const auto& s : ag.samples) samples.push_back(json::array{s.t_ms, s.fraction, s.agreeing, s.running});
  json::array heals;
  for (const auto& h : ag.heals)
    heals.push_back(json::object{{"ts_us", h.ts_us},
                                 {"t_ms", static_cast<double>(h.ts_us - a.start_us) / 1000.0},
                                 {"time_to_agreement_ms", opt(h.time_to_agreement_ms)},
                                 {"agreed_tip", opt(h.agreed_tip)}});
  json::array partitions;
  for (const auto& p : a.partitions) {
    json::array groups;
    for (const auto& g : p.groups) {
      json::array members;
      for (auto m : g) members.emplace_back(m);
      groups.push_back(std::move(members));
    }
    partitions.push_back(json::object{{"start_ts_us", p.start_us}, {"end_ts_us", opt(p.end_us)}, {"groups", std::move(groups)}});
  }
  return {{"sample_interval_ms", ag.sample_interval_ms},
          {"sample_fields", json::array{"t_ms", "fraction", "agreeing", "running"}},
          {"samples", std::move(samples)},
          {"full_agreement_time_fraction", opt(ag.full_agreement_time_fraction)},
          {"heals", std::move(heals)},
          {"partitions", std::move(partitions)}};
}

json::object convergence_section(const RunLog& run, const Analysis& a) {
  const Convergence& c = a.convergence;
  json::array not_converged;
  for (std::size_t i : c.not_converged)
    not_converged.push_back(json::object{{"node", run.nodes[i].name},
                                         {"final_tip", opt(a.nodes[i].final_tip)},
                                         {"final_height", a.nodes[i].final_height},
                                         {"relation", relation(a.nodes[i])},
                                         {"shared_height", opt(a.nodes[i].shared_height)},
                                         {"running_at_end", a.nodes[i].running_at_end}});
  json::array no_tip;
  for (std::size_t i = 0; i < run.nodes.size(); ++i)
    if (!a.nodes[i].final_tip) no_tip.emplace_back(run.nodes[i].name);
  return {{"majority_tip", opt(c.majority_tip)},
          {"majority_height", c.majority_height},
          {"nodes_with_tip", c.nodes_with_tip},
          {"nodes_on_majority", c.agreeing.size()},
          {"agreeing_nodes", names_of(run, c.agreeing)},
          {"not_converged", std::move(not_converged)},
          {"nodes_without_tip", std::move(no_tip)},
          {"all_converged", c.all_converged},
          {"common_prefix_height", opt(c.common_prefix_height)}};
}

}  // namespace

json::object report_json(const RunLog& run, const Analysis& a) {
  json::array controls;
  for (const auto& c : run.controls) {
    json::object o{{"ts_us", c.ts_us}, {"event", c.name}};
    if (c.node) o["node"] = run.nodes[*c.node].name;
    if (!c.groups.empty()) {
      json::array groups;
      for (const auto& g : c.groups) {
        json::array members;
        for (auto m : g) members.emplace_back(m);
        groups.push_back(std::move(members));
      }
      o["groups"] = std::move(groups);
    }
    controls.push_back(std::move(o));
  }
  json::array limitations;
  for (const auto& l : a.limitations) limitations.emplace_back(l);
  return {{"schema", kReportSchema},
          {"run", run_section(run, a)},
          {"nodes", nodes_section(run, a)},
          {"propagation", propagation_section(a)},
          {"transactions", tx_section(run, a)},
          {"forks", forks_section(run, a)},
          {"agreement", agreement_section(a)},
          {"convergence", convergence_section(run, a)},
          {"overlay", overlay_section(a.overlay)},
          {"controls", std::move(controls)},
          {"blocks", blocks_section(run, a)},
          {"limitations", std::move(limitations)}};
}

}  // namespace tally::study
