// The shape of the overlay the nodes built, from devnet.json's edges (for tally-sim, the
// connections open at the end of the run): degree distribution, connected components,
// diameter and mean shortest path. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace tally::study {

struct OverlayStats {
  bool known = false;           // devnet.json listed edges
  std::size_t nodes = 0;
  std::size_t edges = 0;
  std::map<std::size_t, std::size_t> degree_histogram;  // degree -> nodes with it
  std::size_t min_degree = 0, max_degree = 0;
  double mean_degree = 0;
  std::size_t components = 0;
  std::size_t largest_component = 0;
  std::optional<std::size_t> diameter;     // of the largest component, in hops
  std::optional<double> mean_path_hops;    // over pairs within the largest component
  bool sampled = false;  // large overlays: from a sample of BFS sources (diameter is a lower bound)
};

// `edges` as (a, b) node indices, any order; duplicates and self-loops are ignored.
OverlayStats overlay_stats(std::size_t nodes, const std::vector<std::pair<std::size_t, std::size_t>>& edges);

}  // namespace tally::study
