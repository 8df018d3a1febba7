// The charts of report.html, each a complete inline <svg> (or a note when there is nothing
// to draw). Pure functions of the run and its analysis; thread-safe.
#pragma once

#include <string>

#include "study/analysis.h"
#include "study/run_log.h"

namespace tally::study::charts {

// CDF of the delay from first appearance to each node: block connected, header seen, tx accepted.
std::string propagation_cdf(const RunLog& run, const Analysis& a);
// CDF over blocks of the time to reach 50%, 90% and 100% of the reachable nodes.
std::string reach_cdf(const RunLog& run, const Analysis& a);
// How many nodes have each number of connections in the overlay.
std::string degree_histogram(const RunLog& run, const Analysis& a);
// Majority-tip share over time, partitions as bands, heals and node stops/starts as lines.
std::string agreement(const RunLog& run, const Analysis& a);
// Each node's tip height over time, one step line per node.
std::string heights(const RunLog& run, const Analysis& a);
// Reorgs per depth, stacked by node.
std::string reorg_histogram(const RunLog& run, const Analysis& a);
// Blocks by height and lane, stale branches with the nodes that connected them.
std::string block_tree(const RunLog& run, const Analysis& a);

}  // namespace tally::study::charts
