// Internal to analyze(): the run's time structure (who was running, which partition was in
// force, graph distances) shared by the passes in timeline.cpp, propagation.cpp, forks.cpp
// and agreement.cpp. Not part of the library's interface.
#pragma once

#include <optional>
#include <vector>

#include "study/analysis.h"

namespace tally::study::detail {

struct Context {
  const RunLog& run;
  Analysis& out;
  std::vector<const Event*> merged;  // all node events by (ts_us, node, seq)
  std::vector<std::vector<int>> hops;  // hops[a][b]: graph distance, -1 unreachable; empty: no topology

  Context(const RunLog& r, Analysis& a) : run(r), out(a) {}

  bool running(std::size_t node, std::int64_t ts_us) const;
  // The partition in force at ts_us (index into out.partitions).
  std::optional<std::size_t> partition_at(std::int64_t ts_us) const;
  // Whether a and b could exchange messages at ts_us: no partition in force, or the same group
  // (the nodes named in no group form one more group, as tally-devnet partitions).
  bool same_side(std::size_t a, std::size_t b, std::int64_t ts_us) const;
};

// Passes, in the order analyze() runs them.
void compute_timeline(Context& ctx);     // start/end, running intervals, partitions, heights, hops
void compute_propagation(Context& ctx);  // blocks and transactions
void compute_forks(Context& ctx);
void compute_confirmations(Context& ctx);  // after compute_forks: txs' k confirmations on all nodes        // parents, final chain, stale blocks, reorgs, convergence
void compute_agreement(Context& ctx);    // majority share over time, time to agreement after heals

}  // namespace tally::study::detail
