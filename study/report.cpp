#include "study/report.h"

#include <fstream>

#include <boost/json.hpp>

#include "study/report_html.h"
#include "study/report_json.h"
#include "study/svg.h"

namespace tally::study {

namespace fs = std::filesystem;

namespace {

// Writes to a temporary name and renames, so a reader never sees half a report.
std::expected<void, std::string> write_atomically(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return std::unexpected("cannot write " + tmp.string());
    out << text;
    out.flush();
    if (!out) return std::unexpected("cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return std::unexpected("cannot rename " + tmp.string() + ": " + ec.message());
  return {};
}

std::string ms(const std::optional<double>& v) { return v ? svg::number(*v, 1) + " ms" : "n/a"; }

}  // namespace

std::string Report::summary() const {
  const Analysis& a = analysis;
  const auto& p = a.propagation;
  const auto& f = a.forks;
  std::string s;
  std::size_t logs = 0;
  for (const auto& n : run.nodes) logs += n.log_found ? 1 : 0;
  s += "nodes: " + std::to_string(logs) + "/" + std::to_string(run.nodes.size()) + " with logs, " +
       std::to_string(a.events) + " events, " + std::to_string(a.malformed) + " malformed lines, span " +
       svg::number(static_cast<double>(a.end_us - a.start_us) / 1e6, 1) + " s\n";
  s += "blocks: " + std::to_string(f.blocks) + " connected, " + std::to_string(f.stale_blocks) + " stale (rate " +
       (f.stale_rate ? svg::number(*f.stale_rate * 100, 2) + "%" : std::string("n/a")) + "), " +
       std::to_string(f.reorgs.size()) + " reorgs, max depth " + std::to_string(f.max_reorg_depth) + "\n";
  if (f.mean_interval_s)
    s += "block interval: " + svg::number(*f.mean_interval_s, 2) + " s on average since block 1 (asked for " +
         (f.requested_interval_s ? svg::number(*f.requested_interval_s, 0) + " s" : std::string("n/a")) + ")\n";
  s += "block delay to each node: p50 " + ms(p.connected_delay_ms.p50) + ", p90 " + ms(p.connected_delay_ms.p90) +
       ", p99 " + ms(p.connected_delay_ms.p99) + "; to all nodes (median block) " + ms(p.t100_ms.p50) + "\n";
  s += "txs: " + std::to_string(a.tx.txs) + ", delay p50 " + ms(a.tx.delay_ms.p50) + ", p90 " + ms(a.tx.delay_ms.p90) +
       "\n";
  s += "agreement: " +
       (a.agreement.full_agreement_time_fraction ? svg::number(*a.agreement.full_agreement_time_fraction * 100, 1) + "%"
                                                 : std::string("n/a")) +
       " of the time";
  for (const auto& h : a.agreement.heals) s += ", after heal " + ms(h.time_to_agreement_ms);
  s += "\n";
  const auto& c = a.convergence;
  if (!c.majority_tip) {
    s += "final: no tip logged\n";
  } else {
    s += "final: " + std::to_string(c.agreeing.size()) + "/" + std::to_string(c.nodes_with_tip) +
         " nodes on tip " + c.majority_tip->substr(0, 12) + " at height " + std::to_string(c.majority_height) + "\n";
    if (c.common_prefix_height)
      s += "every node holds the final chain up to height " + std::to_string(*c.common_prefix_height) + "\n";
    for (std::size_t i : c.not_converged) {
      const NodeSummary& n = a.nodes[i];
      s += "never converged: " + run.nodes[i].name + " (height " + std::to_string(n.final_height) + ", " +
           std::string(to_string(n.relation.value_or(TipRelation::kUnknown))) + (n.running_at_end ? "" : ", stopped") +
           ")\n";
    }
  }
  s += "wrote " + json_path.string() + " and " + html_path.string() + "\n";
  return s;
}

std::expected<Report, std::string> build_report(const fs::path& dir) {
  auto run = load_run(dir);
  if (!run) return std::unexpected(run.error());
  Report r;
  r.json_path = dir / "report.json";
  r.html_path = dir / "report.html";
  r.analysis = analyze(*run);
  r.run = std::move(*run);
  return r;
}

std::expected<Report, std::string> write_report(const fs::path& dir) {
  try {
    auto r = build_report(dir);
    if (!r) return r;
    if (auto w = write_atomically(r->json_path, boost::json::serialize(report_json(r->run, r->analysis)) + "\n"); !w)
      return std::unexpected(w.error());
    if (auto w = write_atomically(r->html_path, report_html(r->run, r->analysis)); !w) return std::unexpected(w.error());
    return r;
  } catch (const std::exception& e) {  // allocation failures and filesystem errors
    return std::unexpected(std::string("report failed: ") + e.what());
  }
}

}  // namespace tally::study
