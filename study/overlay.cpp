#include "study/overlay.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>

namespace tally::study {

namespace {

// Every node's distance from `source` (SIZE_MAX when unreachable).
std::vector<std::size_t> bfs(const std::vector<std::vector<std::size_t>>& adj, std::size_t source) {
  std::vector<std::size_t> dist(adj.size(), SIZE_MAX);
  std::deque<std::size_t> q{source};
  dist[source] = 0;
  while (!q.empty()) {
    const std::size_t v = q.front();
    q.pop_front();
    for (std::size_t w : adj[v])
      if (dist[w] == SIZE_MAX) {
        dist[w] = dist[v] + 1;
        q.push_back(w);
      }
  }
  return dist;
}

// Exact up to this many nodes (one BFS per node); above, BFS from an evenly spread sample.
constexpr std::size_t kExactNodesMax = 2000;
constexpr std::size_t kSampleSources = 64;

}  // namespace

OverlayStats overlay_stats(std::size_t nodes, const std::vector<std::pair<std::size_t, std::size_t>>& edges) {
  OverlayStats s;
  s.nodes = nodes;
  if (nodes == 0) return s;
  s.known = true;
  std::set<std::pair<std::size_t, std::size_t>> unique;
  for (auto [a, b] : edges)
    if (a != b && a < nodes && b < nodes) unique.emplace(std::max(a, b), std::min(a, b));
  s.edges = unique.size();
  std::vector<std::vector<std::size_t>> adj(nodes);
  for (auto [a, b] : unique) {
    adj[a].push_back(b);
    adj[b].push_back(a);
  }
  s.min_degree = SIZE_MAX;
  for (const auto& n : adj) {
    ++s.degree_histogram[n.size()];
    s.min_degree = std::min(s.min_degree, n.size());
    s.max_degree = std::max(s.max_degree, n.size());
  }
  s.mean_degree = 2.0 * static_cast<double>(s.edges) / static_cast<double>(nodes);

  // Components, and the largest one's members.
  std::vector<std::size_t> component(nodes, SIZE_MAX);
  std::vector<std::size_t> largest_members;
  for (std::size_t v = 0; v < nodes; ++v) {
    if (component[v] != SIZE_MAX) continue;
    const auto dist = bfs(adj, v);
    std::vector<std::size_t> members;
    for (std::size_t w = 0; w < nodes; ++w)
      if (dist[w] != SIZE_MAX) {
        component[w] = s.components;
        members.push_back(w);
      }
    ++s.components;
    if (members.size() > largest_members.size()) largest_members = std::move(members);
  }
  s.largest_component = largest_members.size();
  if (largest_members.size() < 2) return s;

  std::vector<std::size_t> sources = largest_members;
  if (sources.size() > kExactNodesMax) {
    s.sampled = true;
    std::vector<std::size_t> sample;
    for (std::size_t k = 0; k < kSampleSources; ++k) sample.push_back(sources[k * sources.size() / kSampleSources]);
    sources = std::move(sample);
  }
  std::size_t diameter = 0;
  double total = 0, pairs = 0;
  for (std::size_t src : sources) {
    const auto dist = bfs(adj, src);
    for (std::size_t w : largest_members) {
      if (w == src) continue;
      diameter = std::max(diameter, dist[w]);
      total += static_cast<double>(dist[w]);
      pairs += 1;
    }
  }
  s.diameter = diameter;
  if (pairs > 0) s.mean_path_hops = total / pairs;
  return s;
}

}  // namespace tally::study
