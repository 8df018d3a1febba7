#include "study/report_html.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "study/charts.h"
#include "study/svg.h"

namespace tally::study {

namespace {

using svg::escape;
using svg::number;

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1240px;color:#222;padding:0 12px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}
p.sub{color:#666;margin:0 0 16px;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:6px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.ok{color:#1a7f37;font-weight:600}.bad{color:#b42318;font-weight:600}
.note{color:#555;font-size:13px}
.scroll{overflow-x:auto;border:1px solid #eee}
svg.chart{display:block;margin:6px 0;background:#fff;font-family:inherit}
svg .grid{stroke:#ececec;stroke-width:1}svg .frame{fill:none;stroke:#999}
svg .tick{font-size:11px;fill:#444}svg .label{font-size:12px;fill:#222}
svg .mark{font-size:11px;fill:#555}svg .legend rect{fill:#fff;fill-opacity:.92;stroke:#ccc}
svg .legend text{font-size:12px;fill:#222}svg.tree text{font-size:11px;fill:#333}
ul{margin:4px 0;padding-left:22px;font-size:13px}
)css";

std::string ms(const std::optional<double>& v, int decimals = 1) { return v ? number(*v, decimals) + " ms" : "n/a"; }

std::string short_hash(const std::string& h) { return h.substr(0, 12); }

std::string dist_cell(const Distribution& d) {
  if (d.count == 0) return "n/a (no samples)";
  return "p50 " + ms(d.p50) + ", p90 " + ms(d.p90) + ", p99 " + ms(d.p99) + " (n=" + std::to_string(d.count) + ")";
}

std::string row(std::string_view key, const std::string& value_html) {
  return "<tr><th>" + escape(key) + "</th><td>" + value_html + "</td></tr>";
}

std::string summary_table(const RunLog& run, const Analysis& a) {
  const auto& p = a.propagation;
  const auto& f = a.forks;
  const auto& c = a.convergence;
  std::size_t with_logs = 0;
  for (const auto& n : run.nodes) with_logs += n.log_found ? 1 : 0;
  std::string s = "<table class=\"summary\">";
  s += row("Nodes with event logs", std::to_string(with_logs) + " of " + std::to_string(run.nodes.size()));
  s += row("Run span", number(static_cast<double>(a.end_us - a.start_us) / 1e6, 1) + " s");
  s += row("Events parsed", std::to_string(a.events) + " (malformed lines: " + std::to_string(a.malformed) +
                                ", unknown types: " + std::to_string(a.unknown_events) + ")");
  s += row("Blocks (connected anywhere)", std::to_string(f.blocks) + ", on the final chain " +
                                               std::to_string(f.final_chain_blocks) + ", stale " +
                                               std::to_string(f.stale_blocks));
  s += row("Stale rate", f.stale_rate ? number(*f.stale_rate * 100, 2) + " %" : "n/a");
  s += row("Block interval (mean since block 1; asked for)",
           (f.mean_interval_s ? number(*f.mean_interval_s, 2) + " s" : std::string("n/a")) + "; " +
               (f.requested_interval_s ? number(*f.requested_interval_s, 0) + " s" : std::string("n/a")));
  s += row("Block delay to each node (connected)", dist_cell(p.connected_delay_ms));
  s += row("Block delay to each node (header seen)", dist_cell(p.header_delay_ms));
  s += row("Per block: time to 50% / 90% / 100% of nodes (median over blocks)",
           ms(p.t50_ms.p50) + " / " + ms(p.t90_ms.p50) + " / " + ms(p.t100_ms.p50));
  s += row("Blocks that reached every reachable node", std::to_string(p.blocks_reaching_all) + " of " +
                                                            std::to_string(p.blocks));
  s += row("Transactions", std::to_string(a.tx.txs) + " (" + std::to_string(a.tx.submitted_locally) +
                               " submitted locally, " + std::to_string(a.tx.rejected_events) + " rejections)");
  s += row("Tx delay to each node", dist_cell(a.tx.delay_ms));
  s += row("Tx time to reach all nodes (median over txs)", ms(a.tx.t100_ms.p50));
  s += row("Tx submission to inclusion",
           a.tx.inclusion_available ? dist_cell(a.tx.inclusion_ms) : "not available (see limitations)");
  s += row("Tx submission to " + std::to_string(a.tx.confirmations) + " confirmations on every node",
           a.tx.inclusion_available ? dist_cell(a.tx.confirmed_all_ms) : "not available (see limitations)");
  s += row("Reorgs", std::to_string(f.reorgs.size()) + ", max depth " + std::to_string(f.max_reorg_depth) +
                         ", longest stale branch " + std::to_string(f.longest_stale_branch));
  s += row("Time in full agreement",
           a.agreement.full_agreement_time_fraction ? number(*a.agreement.full_agreement_time_fraction * 100, 1) + " %"
                                                    : "n/a");
  std::string heals;
  for (const auto& h : a.agreement.heals)
    heals += (heals.empty() ? "" : ", ") +
             (h.time_to_agreement_ms ? number(*h.time_to_agreement_ms, 1) + " ms" : std::string("never"));
  s += row("Time to agreement after each heal", heals.empty() ? "no heal" : heals);
  s += row("Final majority tip",
           c.majority_tip ? "<span class=\"hash\">" + escape(short_hash(*c.majority_tip)) + "</span> at height " +
                                std::to_string(c.majority_height) + ", held by " + std::to_string(c.agreeing.size()) +
                                " of " + std::to_string(c.nodes_with_tip) + " nodes"
                          : "n/a");
  return s + "</table>";
}

std::string convergence_block(const RunLog& run, const Analysis& a) {
  const auto& c = a.convergence;
  if (!c.majority_tip) return "<p class=\"bad\">No node logged a tip change: convergence cannot be judged.</p>";
  std::string s;
  if (c.all_converged) {
    s += "<p class=\"ok\">All " + std::to_string(c.nodes_with_tip) + " nodes with a known tip ended on the same tip.</p>";
  } else {
    s += "<p class=\"bad\">" + std::to_string(c.not_converged.size()) + " node(s) never converged:</p><ul>";
    for (std::size_t i : c.not_converged) {
      const auto& n = a.nodes[i];
      std::string how;
      switch (n.relation.value_or(TipRelation::kUnknown)) {
        case TipRelation::kBehind: how = "behind: an ancestor of the majority tip"; break;
        case TipRelation::kAhead: how = "ahead: it extends the majority tip with blocks the others lack"; break;
        case TipRelation::kDiverged:
          how = "diverged: on a branch off the final chain at height " + std::to_string(n.shared_height.value_or(-1));
          break;
        default: how = "its relation to the final chain is not derivable from the logs"; break;
      }
      s += "<li><b>" + escape(run.nodes[i].name) + "</b>: final tip <span class=\"hash\">" +
           escape(short_hash(n.final_tip.value_or(""))) + "</span> at height " + std::to_string(n.final_height) +
           " differs from the majority's; " + escape(how) + (n.running_at_end ? "" : " (stopped before the end)") +
           "</li>";
    }
    s += "</ul>";
  }
  std::string names;
  for (std::size_t i : c.agreeing) names += (names.empty() ? "" : ", ") + escape(run.nodes[i].name);
  s += "<p class=\"note\">On the majority tip: " + names + ".";
  if (c.common_prefix_height)
    s += " Every node with a tip holds the final chain up to height " + std::to_string(*c.common_prefix_height) + ".";
  std::string none;
  for (std::size_t i = 0; i < run.nodes.size(); ++i)
    if (!a.nodes[i].final_tip) none += (none.empty() ? "" : ", ") + escape(run.nodes[i].name);
  if (!none.empty()) s += " No tip logged: " + none + ".";
  return s + "</p>";
}

std::string nodes_table(const RunLog& run, const Analysis& a) {
  std::string s =
      "<table><tr><th>Node</th><th>Events</th><th>Malformed</th><th>Blocks connected</th><th>Headers seen</th>"
      "<th>Txs accepted</th><th>Reorgs (max depth)</th><th>Final height</th><th>Final tip</th><th>Converged</th>"
      "<th>Running at end</th></tr>";
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    const auto& log = run.nodes[i];
    const auto& n = a.nodes[i];
    s += "<tr><td><span style=\"color:" + std::string(svg::color(i)) + "\">&#9632;</span> " + escape(log.name) +
         (log.log_found ? "" : " <i>(no log)</i>") + "</td><td class=\"num\">" + std::to_string(log.events.size()) +
         "</td><td class=\"num\">" + std::to_string(log.malformed) + "</td><td class=\"num\">" +
         std::to_string(n.blocks_connected) + "</td><td class=\"num\">" + std::to_string(n.headers_seen) +
         "</td><td class=\"num\">" + std::to_string(n.txs_accepted) + "</td><td class=\"num\">" +
         std::to_string(n.reorgs) + " (" + std::to_string(n.max_reorg_depth) + ")</td><td class=\"num\">" +
         std::to_string(n.final_height) + "</td><td class=\"hash\">" + escape(short_hash(n.final_tip.value_or("-"))) +
         "</td><td>" +
         (n.final_tip ? (n.on_majority_tip ? "<span class=\"ok\">yes</span>" : "<span class=\"bad\">no</span>") : "-") +
         "</td><td>" + (n.running_at_end ? "yes" : "no") + "</td></tr>";
  }
  return s + "</table>";
}

std::string hop_table(const Analysis& a) {
  const auto& p = a.propagation;
  if (!p.has_topology) return "<p class=\"note\">No topology in devnet.json: delays by hop count skipped.</p>";
  std::string s = "<table><tr><th>Hops from the miner</th><th>Block connected</th><th>Header seen</th></tr>";
  for (const auto& h : p.by_hop)
    s += "<tr><td class=\"num\">" + std::to_string(h.hops) + "</td><td>" + dist_cell(h.connected_ms) + "</td><td>" +
         dist_cell(h.header_ms) + "</td></tr>";
  return s + "</table>";
}

std::string reorg_table(const RunLog& run, const Analysis& a) {
  const auto& reorgs = a.forks.reorgs;
  if (reorgs.empty()) return "<p class=\"note\">No reorg was logged.</p>";
  constexpr std::size_t kRowsMax = 200;
  std::string s = "<table><tr><th>t (s)</th><th>Node</th><th>Depth</th><th>Old tip</th><th>New tip</th></tr>";
  for (std::size_t i = 0; i < reorgs.size() && i < kRowsMax; ++i) {
    const auto& r = reorgs[i];
    s += "<tr><td class=\"num\">" + number(static_cast<double>(r.ts_us - a.start_us) / 1e6, 3) + "</td><td>" +
         escape(run.nodes[r.node].name) + "</td><td class=\"num\">" + std::to_string(r.depth) + "</td><td class=\"hash\">" +
         escape(short_hash(r.old_tip)) + "</td><td class=\"hash\">" + escape(short_hash(r.new_tip)) + "</td></tr>";
  }
  s += "</table>";
  if (reorgs.size() > kRowsMax) s += "<p class=\"note\">(first " + std::to_string(kRowsMax) + " of " +
                                     std::to_string(reorgs.size()) + "; all are in report.json)</p>";
  return s;
}

std::string list_section(const std::vector<std::string>& items, std::string_view empty) {
  if (items.empty()) return "<p class=\"note\">" + escape(empty) + "</p>";
  std::string s = "<ul>";
  for (const auto& i : items) s += "<li>" + escape(i) + "</li>";
  return s + "</ul>";
}

std::string malformed_section(const RunLog& run) {
  std::vector<std::string> items;
  for (const auto& n : run.nodes)
    for (const auto& m : n.malformed_examples)
      items.push_back(n.name + " line " + std::to_string(m.line) + ": " + m.reason);
  for (const auto& m : run.control_malformed_examples)
    items.push_back("control.jsonl line " + std::to_string(m.line) + ": " + m.reason);
  return list_section(items, "No malformed line.");
}

std::string overlay_block(const Analysis& a) {
  const OverlayStats& o = a.overlay;
  if (!o.known) return "<p class=\"note\">devnet.json lists no edges: the overlay is unknown.</p>";
  auto opt = [](const auto& v, int digits) { return v ? number(static_cast<double>(*v), digits) : std::string("n/a"); };
  return "<p class=\"note\">The connections open at the end of the run (devnet.json's edges).</p><table>"
         "<tr><th>nodes</th><th>edges</th><th>degree min / mean / max</th><th>components</th>"
         "<th>largest component</th><th>diameter (hops)</th><th>mean path (hops)</th></tr><tr><td>" +
         std::to_string(o.nodes) + "</td><td>" + std::to_string(o.edges) + "</td><td>" + std::to_string(o.min_degree) +
         " / " + number(o.mean_degree, 2) + " / " + std::to_string(o.max_degree) + "</td><td>" +
         std::to_string(o.components) + "</td><td>" + std::to_string(o.largest_component) + "</td><td>" +
         opt(o.diameter, 0) + (o.sampled ? " (sampled, at least)" : "") + "</td><td>" + opt(o.mean_path_hops, 2) +
         "</td></tr></table>";
}

}  // namespace

std::string report_html(const RunLog& run, const Analysis& a) {
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>Tally convergence study</title><style>";
  h += kStyle;
  h += "</style></head><body>";
  h += "<h1>Tally convergence study</h1><p class=\"sub\">" + escape(run.dir.string()) + " &middot; " +
       std::to_string(run.nodes.size()) + " nodes &middot; every figure is computed from the nodes' event logs "
       "(see docs/STUDY.md); full detail in report.json</p>";
  h += "<h2>Summary</h2>" + summary_table(run, a);
  h += "<h2>Convergence at the end</h2>" + convergence_block(run, a);
  h += "<h2>Block propagation</h2><p class=\"note\">Fraction of (block, node) arrivals within a delay of the "
       "block's first appearance anywhere, over nodes that were running and on the same side of any partition.</p>";
  h += charts::propagation_cdf(run, a);
  h += "<h3>Reach</h3><p class=\"note\">For each block, the time from its first appearance until 50%, 90% and "
       "100% of the nodes that could receive it had connected it; the curves are CDFs over blocks.</p>";
  h += charts::reach_cdf(run, a);
  h += "<h3>By hop count</h3>" + hop_table(a);
  h += "<h2>Overlay</h2>" + overlay_block(a) + charts::degree_histogram(run, a);
  h += "<h2>Agreement over time</h2><p class=\"note\">Share of running nodes on the most common tip, sampled every " +
       number(a.agreement.sample_interval_ms, 0) + " ms. Shaded: partitions.</p>";
  h += charts::agreement(run, a);
  h += "<h2>Height per node</h2>" + charts::heights(run, a);
  h += "<h2>Reorg depths</h2>" + charts::reorg_histogram(run, a) + reorg_table(run, a);
  h += "<h2>Block tree</h2><p class=\"note\">x: height; lane 0 is the final chain, lower lanes are stale branches, "
       "labelled with the nodes that connected them. Node names at a block mark the node's final tip. Hover for "
       "details.</p>";
  h += charts::block_tree(run, a);
  h += "<h2>Nodes</h2>" + nodes_table(run, a);
  h += "<h2>Limitations</h2>" + list_section(a.limitations, "None.");
  h += "<h2>Warnings and malformed lines</h2>" + list_section(run.warnings, "No layout warning.") +
       malformed_section(run);
  h += "</body></html>\n";
  return h;
}

}  // namespace tally::study
