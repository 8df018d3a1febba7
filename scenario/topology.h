// Network topologies of devnets and simulations: which nodes dial which, and where the
// miners sit. Pure functions of their arguments (random:K takes its seed explicitly);
// thread-safe.
//
// An edge {a, b} with a > b means node a dials node b with --connect (the dialing side
// only: the accepting side learns the peer from the inbound connection), so every link is
// made once and start order does not matter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally::scenario {

struct Topology {
  enum class Kind { kLine, kRing, kStar, kMesh, kRandom };
  Kind kind = Kind::kRing;
  std::size_t degree = 0;  // kRandom only: the K of random:K (each node dials up to K others)

  friend bool operator==(const Topology&, const Topology&) = default;
};

// "line", "ring", "star", "mesh" or "random:K" with K >= 1.
[[nodiscard]] std::expected<Topology, std::string> parse_topology(std::string_view text);
std::string to_string(const Topology& t);

// An undirected link; `first` (the dialer) is greater than `second`.
using Edge = std::pair<std::size_t, std::size_t>;

// The links of `nodes` nodes, sorted and without duplicates.
//   line: i - (i-1); ring: line plus (n-1) - 0 when n >= 3; star: every node to node 0;
//   mesh: every pair; random:K: a random spanning tree (so the graph is connected) plus
//   random extra links until every node has at least min(K, n-1) links, from `seed`.
std::vector<Edge> make_edges(std::size_t nodes, const Topology& topology, std::uint64_t seed);

// True when every node can reach every other (a single node is connected).
bool is_connected(std::size_t nodes, const std::vector<Edge>& edges);

// `miners` node indices spread evenly over 0..nodes-1 (always including node 0, which is the
// hub of a star): floor(i * nodes / miners). REQUIRES: miners <= nodes.
std::vector<std::size_t> spread_miners(std::size_t nodes, std::size_t miners);

// The nodes that node `index` dials (the `second` of its edges).
std::vector<std::size_t> dial_targets(std::size_t index, const std::vector<Edge>& edges);

}  // namespace tally::scenario
