// The time structure of a run: its span, each node's running intervals (from node_started/
// node_stopped and the devnet's stop_node controls), the partition windows and graph hops.
#include <algorithm>
#include <deque>
#include <limits>
#include <tuple>

#include "study/analysis_context.h"

namespace tally::study::detail {

bool Context::running(std::size_t node, std::int64_t ts_us) const {
  for (const auto& [start, end] : out.nodes[node].running)
    if (ts_us >= start && ts_us < end) return true;
  return false;
}

std::optional<std::size_t> Context::partition_at(std::int64_t ts_us) const {
  for (std::size_t i = 0; i < out.partitions.size(); ++i) {
    const auto& w = out.partitions[i];
    if (ts_us >= w.start_us && (!w.end_us || ts_us < *w.end_us)) return i;
  }
  return std::nullopt;
}

bool Context::same_side(std::size_t a, std::size_t b, std::int64_t ts_us) const {
  if (a == b) return true;
  const auto p = partition_at(ts_us);
  if (!p) return true;
  // As tally-devnet partitions: the nodes named in no group form one more group.
  auto group_of = [&](std::size_t node) -> std::ptrdiff_t {
    const auto& groups = out.partitions[*p].groups;
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (std::ranges::find(groups[g], node) != groups[g].end()) return static_cast<std::ptrdiff_t>(g);
    return -1;
  };
  return group_of(a) == group_of(b);
}

namespace {

// Running intervals of one node, in file order: node_started opens one (closing an open one:
// the process died without node_stopped), node_stopped closes it; a log that does not begin
// with node_started is taken as running from its first event.
std::vector<std::pair<std::int64_t, std::int64_t>> running_intervals(const NodeLog& log,
                                                                      const std::vector<ControlEvent>& stops,
                                                                      std::int64_t open_end_us, bool& open_at_end) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  bool open = false;
  std::int64_t open_since = 0;
  for (const auto& e : log.events) {
    if (e.type == EventType::kNodeStarted) {
      if (open) out.emplace_back(open_since, e.ts_us);
      open = true;
      open_since = e.ts_us;
    } else if (e.type == EventType::kNodeStopped) {
      if (open) out.emplace_back(open_since, e.ts_us);
      open = false;
    } else if (!open) {
      open = true;
      open_since = e.ts_us;
    }
  }
  open_at_end = open;
  if (open) out.emplace_back(open_since, open_end_us);
  // The devnet's stop_node ends an interval even when the node could not log node_stopped.
  for (const auto& s : stops) {
    for (auto& [start, end] : out) {
      if (s.ts_us >= start && s.ts_us < end) {
        if (end == open_end_us) open_at_end = false;
        end = s.ts_us;
      }
    }
  }
  std::erase_if(out, [](const auto& iv) { return iv.second <= iv.first; });
  return out;
}

}  // namespace

void compute_timeline(Context& ctx) {
  const RunLog& run = ctx.run;
  Analysis& a = ctx.out;
  a.nodes.resize(run.nodes.size());
  std::int64_t start = std::numeric_limits<std::int64_t>::max();
  std::int64_t end = std::numeric_limits<std::int64_t>::min();
  for (const auto& log : run.nodes) {
    a.events += log.events.size();
    a.malformed += log.malformed;
    a.unknown_events += log.unknown_events;
    for (const auto& e : log.events) {
      ctx.merged.push_back(&e);
      start = std::min(start, e.ts_us);
      end = std::max(end, e.ts_us);
    }
  }
  for (const auto& c : run.controls) {
    start = std::min(start, c.ts_us);
    end = std::max(end, c.ts_us);
  }
  if (start > end) start = end = 0;
  a.start_us = start;
  a.end_us = end;
  std::ranges::sort(ctx.merged, [](const Event* x, const Event* y) {
    return std::tie(x->ts_us, x->node, x->seq) < std::tie(y->ts_us, y->node, y->seq);
  });

  for (const auto& c : run.controls) {
    if (c.kind == ControlEvent::Kind::kPartition) {
      if (!a.partitions.empty() && !a.partitions.back().end_us) a.partitions.back().end_us = c.ts_us;
      a.partitions.push_back({c.ts_us, std::nullopt, c.groups});
    } else if (c.kind == ControlEvent::Kind::kHeal) {
      if (!a.partitions.empty() && !a.partitions.back().end_us) a.partitions.back().end_us = c.ts_us;
    }
  }

  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    std::vector<ControlEvent> stops;
    for (const auto& c : run.controls)
      if (c.kind == ControlEvent::Kind::kStopNode && c.node == i) stops.push_back(c);
    NodeSummary& s = a.nodes[i];
    // An interval still open at the end counts the last instant as running.
    s.running = running_intervals(run.nodes[i], stops, end + 1, s.running_at_end);
    for (const auto& e : run.nodes[i].events) {
      switch (e.type) {
        case EventType::kNodeStarted:
        case EventType::kTipChanged:
          s.heights.emplace_back(e.ts_us, e.height);
          break;
        case EventType::kBlockConnected: ++s.blocks_connected; break;
        case EventType::kHeaderSeen: ++s.headers_seen; break;
        case EventType::kTxAccepted: ++s.txs_accepted; break;
        case EventType::kTxRejected: ++s.txs_rejected; break;
        case EventType::kBlockRejected: ++s.blocks_rejected; break;
        default: break;
      }
    }
  }

  // All-pairs hop counts by breadth-first search (devnets are small).
  if (!run.edges.empty()) {
    const std::size_t n = run.nodes.size();
    std::vector<std::vector<std::size_t>> adj(n);
    for (const auto& [x, y] : run.edges) {
      if (x >= n || y >= n) continue;
      adj[x].push_back(y);
      adj[y].push_back(x);
    }
    ctx.hops.assign(n, std::vector<int>(n, -1));
    for (std::size_t src = 0; src < n; ++src) {
      std::deque<std::size_t> queue{src};
      ctx.hops[src][src] = 0;
      while (!queue.empty()) {
        const std::size_t u = queue.front();
        queue.pop_front();
        for (std::size_t v : adj[u]) {
          if (ctx.hops[src][v] >= 0) continue;
          ctx.hops[src][v] = ctx.hops[src][u] + 1;
          queue.push_back(v);
        }
      }
    }
  }
}

}  // namespace tally::study::detail
