// Agreement over time: at every instant, the share of running nodes (with a known tip) that
// hold the most common tip; sampled on a fixed grid for the chart, integrated exactly for the
// time in full agreement, and searched exactly after each heal.
#include <algorithm>
#include <limits>
#include <map>

#include "study/analysis_context.h"

namespace tally::study::detail {

namespace {

// The state just after every event at `ts_us` has been applied.
struct State {
  std::int64_t ts_us = 0;
  std::size_t agreeing = 0;
  std::size_t running = 0;
  std::string majority_tip;
  bool all_agree() const { return running > 0 && agreeing == running; }
};

// Charts need a bounded number of points: 100 ms, coarser (in whole 100 ms) for long runs.
constexpr double kSampleIntervalMs = 100;
constexpr std::size_t kSamplesMax = 3000;

}  // namespace

void compute_agreement(Context& ctx) {
  Analysis& a = ctx.out;
  const std::size_t n = ctx.run.nodes.size();
  // Each node's tip over time; before its first tip_changed, that event's old_tip.
  std::vector<std::vector<std::pair<std::int64_t, std::string>>> tips(n);
  std::vector<std::int64_t> changes;
  for (std::size_t i = 0; i < n; ++i) {
    for (const auto& e : ctx.run.nodes[i].events) {
      if (e.type != EventType::kTipChanged) continue;
      if (tips[i].empty()) tips[i].emplace_back(std::numeric_limits<std::int64_t>::min(), e.old_tip);
      tips[i].emplace_back(e.ts_us, e.new_tip);
      changes.push_back(e.ts_us);
    }
    for (const auto& [start, end] : a.nodes[i].running) {
      changes.push_back(start);
      changes.push_back(end);
    }
  }
  changes.push_back(a.start_us);
  changes.push_back(a.end_us);
  std::ranges::sort(changes);
  changes.erase(std::unique(changes.begin(), changes.end()), changes.end());

  std::vector<State> states;
  std::vector<std::size_t> cursor(n, 0);  // tips[i][cursor[i]] is the tip at the current time
  for (std::int64_t t : changes) {
    State s;
    s.ts_us = t;
    std::map<std::string, std::size_t> count;
    for (std::size_t i = 0; i < n; ++i) {
      auto& k = cursor[i];
      while (k + 1 < tips[i].size() && tips[i][k + 1].first <= t) ++k;
      if (tips[i].empty() || !ctx.running(i, t)) continue;
      ++s.running;
      ++count[tips[i][k].second];
    }
    for (const auto& [tip, c] : count) {
      if (c > s.agreeing) {
        s.agreeing = c;
        s.majority_tip = tip;
      }
    }
    states.push_back(std::move(s));
  }

  AgreementStats& ag = a.agreement;
  const double span_ms = static_cast<double>(a.end_us - a.start_us) / 1000.0;
  ag.sample_interval_ms = kSampleIntervalMs;
  while (span_ms / ag.sample_interval_ms > static_cast<double>(kSamplesMax)) ag.sample_interval_ms += kSampleIntervalMs;
  const auto step_us = static_cast<std::int64_t>(ag.sample_interval_ms * 1000);
  std::size_t k = 0;
  for (std::int64_t t = a.start_us; t <= a.end_us; t += step_us) {
    while (k + 1 < states.size() && states[k + 1].ts_us <= t) ++k;
    const State& s = states[k];
    if (s.ts_us > t || s.running == 0) continue;
    ag.samples.push_back({static_cast<double>(t - a.start_us) / 1000.0,
                          static_cast<double>(s.agreeing) / static_cast<double>(s.running), s.agreeing, s.running});
  }

  // Time in full agreement, over the time at least one node was running.
  double agree_us = 0, live_us = 0;
  for (std::size_t i = 0; i + 1 < states.size(); ++i) {
    if (states[i].running == 0) continue;
    const auto d = static_cast<double>(states[i + 1].ts_us - states[i].ts_us);
    live_us += d;
    if (states[i].all_agree()) agree_us += d;
  }
  if (live_us > 0) ag.full_agreement_time_fraction = agree_us / live_us;

  // After a heal: the first instant every running node has the same tip, unless a new
  // partition starts first.
  for (const auto& c : ctx.run.controls) {
    if (c.kind != ControlEvent::Kind::kHeal) continue;
    HealRecord h;
    h.ts_us = c.ts_us;
    std::optional<std::int64_t> next_partition;
    for (const auto& p : a.partitions)
      if (p.start_us > c.ts_us && (!next_partition || p.start_us < *next_partition)) next_partition = p.start_us;
    // The state in force at the heal, then every later one.
    std::size_t i = 0;
    while (i + 1 < states.size() && states[i + 1].ts_us <= c.ts_us) ++i;
    for (; i < states.size(); ++i) {
      const std::int64_t at = std::max(states[i].ts_us, c.ts_us);
      if (next_partition && at >= *next_partition) break;
      if (states[i].all_agree()) {
        h.time_to_agreement_ms = static_cast<double>(at - c.ts_us) / 1000.0;
        h.agreed_tip = states[i].majority_tip;
        break;
      }
    }
    ag.heals.push_back(std::move(h));
  }
}

}  // namespace tally::study::detail
