#include "scenario/topology.h"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <random>
#include <set>

namespace tally::scenario {

std::expected<Topology, std::string> parse_topology(std::string_view text) {
  if (text == "line") return Topology{Topology::Kind::kLine, 0};
  if (text == "ring") return Topology{Topology::Kind::kRing, 0};
  if (text == "star") return Topology{Topology::Kind::kStar, 0};
  if (text == "mesh") return Topology{Topology::Kind::kMesh, 0};
  constexpr std::string_view kRandom = "random:";
  if (text.starts_with(kRandom)) {
    const std::string_view k = text.substr(kRandom.size());
    std::size_t degree = 0;
    const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), degree);
    if (ec == std::errc() && end == k.data() + k.size() && degree >= 1 && degree <= 1000)
      return Topology{Topology::Kind::kRandom, degree};
    return std::unexpected("bad topology '" + std::string(text) + "': K of random:K must be 1..1000");
  }
  return std::unexpected("bad topology '" + std::string(text) + "' (use line, ring, star, mesh or random:K)");
}

std::string to_string(const Topology& t) {
  switch (t.kind) {
    case Topology::Kind::kLine: return "line";
    case Topology::Kind::kRing: return "ring";
    case Topology::Kind::kStar: return "star";
    case Topology::Kind::kMesh: return "mesh";
    case Topology::Kind::kRandom: return "random:" + std::to_string(t.degree);
  }
  return "?";
}

namespace {

Edge edge_of(std::size_t a, std::size_t b) { return a > b ? Edge{a, b} : Edge{b, a}; }

std::vector<Edge> random_edges(std::size_t n, std::size_t k, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::set<Edge> edges;
  std::vector<std::size_t> degree(n, 0);
  auto add = [&](std::size_t a, std::size_t b) {
    if (edges.insert(edge_of(a, b)).second) {
      ++degree[a];
      ++degree[b];
    }
  };
  // A random recursive tree over a shuffled order: connected by construction.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  for (std::size_t i = 1; i < n; ++i) {
    std::uniform_int_distribution<std::size_t> pick(0, i - 1);
    add(order[i], order[pick(rng)]);
  }
  const std::size_t want = std::min(k, n - 1);
  for (std::size_t a = 0; a < n; ++a) {
    // Candidates not yet linked to a, least-linked first so degrees stay even; ties random.
    while (degree[a] < want) {
      std::vector<std::size_t> candidates;
      for (std::size_t b = 0; b < n; ++b)
        if (b != a && !edges.contains(edge_of(a, b))) candidates.push_back(b);
      if (candidates.empty()) break;
      std::shuffle(candidates.begin(), candidates.end(), rng);
      std::stable_sort(candidates.begin(), candidates.end(),
                       [&](std::size_t x, std::size_t y) { return degree[x] < degree[y]; });
      add(a, candidates.front());
    }
  }
  return {edges.begin(), edges.end()};
}

}  // namespace

std::vector<Edge> make_edges(std::size_t nodes, const Topology& topology, std::uint64_t seed) {
  std::vector<Edge> out;
  if (nodes < 2) return out;
  switch (topology.kind) {
    case Topology::Kind::kLine:
      for (std::size_t i = 1; i < nodes; ++i) out.push_back({i, i - 1});
      break;
    case Topology::Kind::kRing:
      for (std::size_t i = 1; i < nodes; ++i) out.push_back({i, i - 1});
      if (nodes >= 3) out.push_back({nodes - 1, 0});
      break;
    case Topology::Kind::kStar:
      for (std::size_t i = 1; i < nodes; ++i) out.push_back({i, 0});
      break;
    case Topology::Kind::kMesh:
      for (std::size_t i = 1; i < nodes; ++i)
        for (std::size_t j = 0; j < i; ++j) out.push_back({i, j});
      break;
    case Topology::Kind::kRandom:
      out = random_edges(nodes, topology.degree, seed);
      break;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool is_connected(std::size_t nodes, const std::vector<Edge>& edges) {
  if (nodes <= 1) return true;
  std::vector<std::size_t> parent(nodes);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  std::size_t components = nodes;
  for (const auto& [a, b] : edges) {
    if (a >= nodes || b >= nodes) continue;
    const std::size_t ra = find(a), rb = find(b);
    if (ra != rb) {
      parent[ra] = rb;
      --components;
    }
  }
  return components == 1;
}

std::vector<std::size_t> spread_miners(std::size_t nodes, std::size_t miners) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < miners && i < nodes; ++i) out.push_back(i * nodes / miners);
  return out;
}

std::vector<std::size_t> dial_targets(std::size_t index, const std::vector<Edge>& edges) {
  std::vector<std::size_t> out;
  for (const auto& [a, b] : edges)
    if (a == index) out.push_back(b);
  return out;
}

}  // namespace tally::scenario
