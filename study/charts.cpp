#include "study/charts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "study/svg.h"

namespace tally::study::charts {

namespace {

using svg::escape;
using svg::number;

constexpr int kWidth = 1180;
constexpr std::size_t kCdfPointsMax = 800;

double seconds_since(const Analysis& a, std::int64_t ts_us) { return static_cast<double>(ts_us - a.start_us) / 1e6; }

// Sorted sample -> CDF points, thinned to at most kCdfPointsMax (always keeping the last).
svg::Points cdf_points(const std::vector<double>& sorted) {
  svg::Points out;
  const std::size_t n = sorted.size();
  if (n == 0) return out;
  const std::size_t stride = std::max<std::size_t>(1, n / kCdfPointsMax);
  out.emplace_back(sorted.front(), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    if (i % stride != 0 && i + 1 != n) continue;
    out.emplace_back(sorted[i], static_cast<double>(i + 1) / static_cast<double>(n));
  }
  return out;
}

std::string empty_note(std::string_view text) { return "<p class=\"note\">" + escape(text) + "</p>"; }

// Partition bands and control markers on a time axis in seconds.
void mark_controls(svg::Chart& chart, const RunLog& run, const Analysis& a) {
  for (const auto& p : a.partitions) {
    std::string label = "partition";
    for (const auto& g : p.groups) {
      label += " [";
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (i) label += ',';
        label += std::to_string(g[i]);
      }
      label += "]";
    }
    chart.band(seconds_since(a, p.start_us), seconds_since(a, p.end_us.value_or(a.end_us)), "rgba(214,39,40,0.12)",
               label);
  }
  for (const auto& c : run.controls) {
    const double t = seconds_since(a, c.ts_us);
    if (c.kind == ControlEvent::Kind::kHeal) chart.vline(t, "#2ca02c", "heal");
    if (c.kind == ControlEvent::Kind::kStopNode && c.node)
      chart.vline(t, "#7f7f7f", "stop " + run.nodes[*c.node].name, "4 3");
    if (c.kind == ControlEvent::Kind::kStartNode && c.node)
      chart.vline(t, "#7f7f7f", "start " + run.nodes[*c.node].name, "1 3");
  }
}

// The decades a log axis needs for sorted samples: from the smallest positive value to the
// largest (1 ms when none is positive).
std::pair<double, double> log_range(std::initializer_list<const std::vector<double>*> samples) {
  double hi = 0, lo = 0;
  for (const auto* v : samples) {
    if (v->empty()) continue;
    hi = std::max(hi, v->back());
    if (auto pos = std::ranges::upper_bound(*v, 0.0); pos != v->end()) lo = lo == 0 ? *pos : std::min(lo, *pos);
  }
  if (lo <= 0) lo = 1;
  lo = std::pow(10.0, std::floor(std::log10(lo)));
  hi = std::pow(10.0, std::ceil(std::log10(std::max(hi, lo * 1.01))));
  return {lo, hi};
}

}  // namespace

std::string reach_cdf(const RunLog& run, const Analysis& a) {
  (void)run;
  const PropagationStats& p = a.propagation;
  if (p.t50_values_ms.empty()) return empty_note("No block reached half of the nodes that could receive it.");
  const auto [lo, hi] = log_range({&p.t50_values_ms, &p.t90_values_ms, &p.t100_values_ms});
  svg::Chart chart(kWidth, 340, lo, hi, 0, 1);
  chart.set_log_x(true);
  std::vector<svg::LegendEntry> legend;
  const std::pair<const std::vector<double>*, const char*> lines[] = {
      {&p.t50_values_ms, "50% of nodes"}, {&p.t90_values_ms, "90% of nodes"}, {&p.t100_values_ms, "100% of nodes"}};
  int k = 0;
  for (const auto& [values, label] : lines) {
    if (!values->empty()) {
      const char* dash = k == 0 ? "" : (k == 1 ? "6 3" : "2 2");
      chart.steps(cdf_points(*values), hi, svg::color(k), 2, dash);
      legend.push_back({std::string(label) + " (n=" + std::to_string(values->size()) + ")", svg::color(k), dash});
    }
    ++k;
  }
  chart.axes("time from first appearance (ms, log scale)", "fraction of blocks", true);
  chart.legend(legend);
  return chart.str("Block reach CDF");
}

std::string degree_histogram(const RunLog& run, const Analysis& a) {
  (void)run;
  const OverlayStats& o = a.overlay;
  if (!o.known || o.degree_histogram.empty()) return empty_note("devnet.json lists no edges.");
  std::size_t most = 1;
  for (const auto& [degree, count] : o.degree_histogram) most = std::max(most, count);
  const double max_degree = static_cast<double>(o.max_degree) + 1;
  svg::Chart chart(kWidth, 300, -0.5, max_degree, 0, static_cast<double>(most) * 1.05);
  for (const auto& [degree, count] : o.degree_histogram)
    chart.bar(static_cast<double>(degree) - 0.4, static_cast<double>(degree) + 0.4, 0, static_cast<double>(count),
              svg::color(0), std::to_string(count) + " nodes with " + std::to_string(degree) + " connections");
  chart.axes("connections (degree)", "nodes", false);
  return chart.str("Degree distribution");
}

std::string propagation_cdf(const RunLog& run, const Analysis& a) {
  (void)run;
  const auto& blocks = a.propagation.connected_delays_ms;
  const auto& headers = a.propagation.header_delays_ms;
  const auto& txs = a.tx.delays_ms;
  if (blocks.empty() && headers.empty() && txs.empty()) return empty_note("No block or transaction reached a second node.");
  // A log axis: delays span from a local hop (ms) to a partition's backlog (s).
  const auto [lo, hi] = log_range({&blocks, &headers, &txs});
  svg::Chart chart(kWidth, 380, lo, hi, 0, 1);
  chart.set_log_x(true);
  std::vector<svg::LegendEntry> legend;
  if (!blocks.empty()) {
    chart.steps(cdf_points(blocks), hi, svg::color(0), 2.5);
    legend.push_back({"block connected (n=" + std::to_string(blocks.size()) + ")", svg::color(0), ""});
  }
  if (!headers.empty()) {
    chart.steps(cdf_points(headers), hi, svg::color(1), 2, "6 3");
    legend.push_back({"header seen (n=" + std::to_string(headers.size()) + ")", svg::color(1), "6 3"});
  }
  if (!txs.empty()) {
    chart.steps(cdf_points(txs), hi, svg::color(2), 2, "2 2");
    legend.push_back({"tx accepted (n=" + std::to_string(txs.size()) + ")", svg::color(2), "2 2"});
  }
  chart.axes("delay from first appearance (ms, log scale)", "fraction of arrivals", true);
  chart.legend(legend);
  return chart.str("Propagation CDF");
}

std::string agreement(const RunLog& run, const Analysis& a) {
  const auto& samples = a.agreement.samples;
  if (samples.empty()) return empty_note("No tip was logged: nothing to sample.");
  double hi = seconds_since(a, a.end_us), lo = 0;
  svg::Chart::widen(lo, hi);
  svg::Chart chart(kWidth, 320, lo, hi, 0, 1.05);
  mark_controls(chart, run, a);
  svg::Points points;
  for (const auto& s : samples) points.emplace_back(s.t_ms / 1000, s.fraction);
  chart.steps(points, hi, svg::color(0), 2);
  chart.axes("time since the first event (s)", "share on the majority tip", true);
  chart.legend({{"majority tip share", svg::color(0), ""}, {"heal", "#2ca02c", ""}, {"node stop", "#7f7f7f", "4 3"}});
  return chart.str("Agreement over time");
}

std::string heights(const RunLog& run, const Analysis& a) {
  std::int64_t max_h = 0;
  bool any = false;
  for (const auto& n : a.nodes)
    for (const auto& [ts, h] : n.heights) {
      max_h = std::max(max_h, h);
      any = true;
    }
  if (!any) return empty_note("No height was logged.");
  double hi = seconds_since(a, a.end_us), lo = 0, ylo = 0, yhi = static_cast<double>(max_h) * 1.05;
  svg::Chart::widen(lo, hi);
  svg::Chart::widen(ylo, yhi);
  svg::Chart chart(kWidth, 360, lo, hi, ylo, yhi);
  mark_controls(chart, run, a);
  std::vector<svg::LegendEntry> legend;
  for (std::size_t i = 0; i < a.nodes.size(); ++i) {
    const auto& n = a.nodes[i];
    if (n.heights.empty()) continue;
    svg::Points pts;
    for (const auto& [ts, h] : n.heights) pts.emplace_back(seconds_since(a, ts), static_cast<double>(h));
    // Draw each running interval's part so a stopped node's line ends where it stopped.
    const double end = n.running.empty() ? hi : std::min(hi, seconds_since(a, n.running.back().second));
    const std::string dash = i >= 10 ? "5 3" : "";
    chart.steps(pts, end, svg::color(i), 1.8, dash);
    legend.push_back({run.nodes[i].name, svg::color(i), dash});
  }
  chart.axes("time since the first event (s)", "tip height");
  chart.legend(legend);
  return chart.str("Height per node");
}

std::string reorg_histogram(const RunLog& run, const Analysis& a) {
  const auto& f = a.forks;
  if (f.reorgs.empty()) return empty_note("No reorg: nothing to plot.");
  std::map<std::int64_t, std::vector<std::size_t>> per_depth;  // depth -> count per node
  std::size_t tallest = 0;
  for (const auto& [depth, count] : f.depth_histogram) {
    per_depth[depth].assign(run.nodes.size(), 0);
    tallest = std::max(tallest, count);
  }
  for (const auto& r : f.reorgs) ++per_depth[r.depth][r.node];
  const double x_hi = static_cast<double>(f.max_reorg_depth) + 0.5;
  svg::Chart chart(std::min(kWidth, 360 + 90 * static_cast<int>(f.max_reorg_depth)), 320, 0.5, x_hi, 0,
                   static_cast<double>(tallest) * 1.15 + 0.5);
  std::vector<bool> used(run.nodes.size(), false);
  for (const auto& [depth, counts] : per_depth) {
    double y = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      if (counts[i] == 0) continue;
      used[i] = true;
      const auto c = static_cast<double>(counts[i]);
      chart.bar(static_cast<double>(depth) - 0.35, static_cast<double>(depth) + 0.35, y, y + c, svg::color(i),
                run.nodes[i].name + ": " + std::to_string(counts[i]) + " reorg(s) of depth " + std::to_string(depth));
      y += c;
    }
  }
  std::vector<svg::LegendEntry> legend;
  for (std::size_t i = 0; i < used.size(); ++i)
    if (used[i]) legend.push_back({run.nodes[i].name, svg::color(i), ""});
  chart.axes("reorg depth (blocks disconnected)", "reorgs");
  chart.legend(legend);
  return chart.str("Reorg depth histogram");
}

std::string block_tree(const RunLog& run, const Analysis& a) {
  if (a.blocks.empty()) return empty_note("No block was logged.");
  std::int64_t h0 = INT64_MAX, h1 = INT64_MIN;
  int lanes = 1;
  for (const auto& b : a.blocks) {
    h0 = std::min(h0, b.height);
    h1 = std::max(h1, b.height);
    lanes = std::max(lanes, b.lane + 1);
  }
  const auto span = static_cast<double>(h1 - h0 + 1);
  const double step = std::clamp(980.0 / span, 6.0, 70.0);
  const double radius = std::clamp(step * 0.3, 2.0, 8.0);
  const bool hash_labels = step >= 14;  // room for a rotated short hash per block
  constexpr int kLeft = 90, kTop = 110, kLane = 70, kRightPad = 160;
  const int width = kLeft + static_cast<int>(step * span) + kRightPad;
  const int height = kTop + kLane * lanes + 30;
  auto x_of = [&](std::int64_t h) { return kLeft + step * (static_cast<double>(h - h0) + 0.5); };
  auto y_of = [&](int lane) { return static_cast<double>(kTop + kLane * lane); };

  std::unordered_map<std::string, const BlockInfo*> by_hash;
  for (const auto& b : a.blocks) by_hash.emplace(b.hash, &b);
  // Final tip -> the nodes on it: up to three names, then a count (the full list is in the table).
  std::unordered_map<std::string, std::vector<std::string>> tip_nodes;
  for (std::size_t i = 0; i < a.nodes.size(); ++i)
    if (a.nodes[i].final_tip) tip_nodes[*a.nodes[i].final_tip].push_back(run.nodes[i].name);
  std::unordered_map<std::string, std::string> tips;
  for (const auto& [hash, names] : tip_nodes) {
    std::string& label = tips[hash];
    for (std::size_t i = 0; i < names.size() && i < 3; ++i) {
      if (i) label += ' ';
      label += names[i];
    }
    if (names.size() > 3) label += " +" + std::to_string(names.size() - 3);
  }
  auto nodes_of = [&](const BlockInfo& b, bool connected) {
    std::string out;
    for (std::size_t i = 0; i < b.arrivals.size(); ++i) {
      const bool has = connected ? b.arrivals[i].connected_us.has_value()
                                 : !b.arrivals[i].connected_us && b.arrivals[i].header_us.has_value();
      if (!has) continue;
      if (!out.empty()) out += ' ';
      out += run.nodes[i].name;
    }
    return out;
  };
  auto rotated = [&](double x, double y, const std::string& text, bool bold) {
    return "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\" transform=\"rotate(-40 " + number(x) + " " +
           number(y) + ")\"" + (bold ? " font-weight=\"600\"" : "") + ">" + escape(text) + "</text>";
  };

  std::string s = "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart tree\" width=\"" +
                  std::to_string(width) + "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " +
                  std::to_string(width) + " " + std::to_string(height) +
                  "\" role=\"img\" aria-label=\"Block tree\"><title>Block tree</title>";
  for (int l = 0; l < lanes; ++l) {
    const double y = y_of(l);
    s += "<line class=\"grid\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + number(y) + "\" x2=\"" +
         std::to_string(width - kRightPad) + "\" y2=\"" + number(y) + "\"/>";
    s += "<text class=\"tick\" x=\"6\" y=\"" + number(y + 4) + "\">" +
         (l == 0 ? std::string("final chain") : "branch " + std::to_string(l)) + "</text>";
  }
  const int tick_target = std::max(2, static_cast<int>(step * span / 60));
  for (double t : svg::nice_ticks(static_cast<double>(h0), static_cast<double>(h1), tick_target)) {
    if (t != std::floor(t)) continue;
    const double x = x_of(static_cast<std::int64_t>(t));
    s += "<text class=\"tick\" x=\"" + number(x) + "\" y=\"" + std::to_string(height - 18) +
         "\" text-anchor=\"middle\">" + number(t, 0) + "</text>";
  }
  s += "<text class=\"label\" x=\"" + number(kLeft + step * span / 2) + "\" y=\"" + std::to_string(height - 3) +
       "\" text-anchor=\"middle\">height</text>";
  // Links to parents first, then the blocks over them.
  for (const auto& b : a.blocks) {
    if (!b.parent) continue;
    auto it = by_hash.find(*b.parent);
    if (it == by_hash.end()) continue;
    const BlockInfo& p = *it->second;
    s += "<line x1=\"" + number(x_of(p.height)) + "\" y1=\"" + number(y_of(p.lane)) + "\" x2=\"" + number(x_of(b.height)) +
         "\" y2=\"" + number(y_of(b.lane)) + "\" stroke=\"" + (b.on_final_chain ? "#1f77b4" : "#d62728") +
         "\" stroke-width=\"1.5\"/>";
  }
  for (const auto& b : a.blocks) {
    const double x = x_of(b.height), y = y_of(b.lane);
    const std::string connected = nodes_of(b, true), headers = nodes_of(b, false);
    const std::string fill = b.on_final_chain ? "#1f77b4" : (b.connected_anywhere ? "#d62728" : "#fff");
    const std::string tip = "block " + b.hash + "\nheight " + std::to_string(b.height) + "\nminer " +
                            (b.miner ? run.nodes[*b.miner].name : std::string("unknown")) + "\nconnected by: " +
                            (connected.empty() ? "-" : connected) + "\nheader only: " + (headers.empty() ? "-" : headers);
    s += "<circle cx=\"" + number(x) + "\" cy=\"" + number(y) + "\" r=\"" + number(radius) + "\" fill=\"" + fill +
         "\" stroke=\"" + (b.on_final_chain ? "#1f77b4" : "#d62728") + "\" stroke-width=\"1.5\"><title>" + escape(tip) +
         "</title></circle>";
    // Above a block: the nodes whose final tip it is (bold), and a stale block's short hash.
    std::string above = b.on_final_chain || !hash_labels ? std::string() : b.hash.substr(0, 8);
    const auto t = tips.find(b.hash);
    if (t != tips.end()) above += (above.empty() ? "" : " \u2190 ") + t->second;
    if (!above.empty()) s += rotated(x + 2, y - radius - 4, above, t != tips.end());
    // Under the first block of a stale branch: who connected it (or only saw its header).
    const bool branch_start = !b.on_final_chain && !(b.parent && by_hash.contains(*b.parent) &&
                                                     by_hash.at(*b.parent)->lane == b.lane);
    if (branch_start) {
      std::string who = connected.empty() ? "" : "connected: " + connected;
      if (!headers.empty()) who += (who.empty() ? "" : "; ") + std::string("header only: ") + headers;
      s += "<text x=\"" + number(x - radius) + "\" y=\"" + number(y + radius + 14) + "\">" + escape(who) + "</text>";
    }
  }
  s += "</svg></div>";
  return s;
}

}  // namespace tally::study::charts
