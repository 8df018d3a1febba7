#include "sim/network_model.h"

#include <algorithm>
#include <numeric>

namespace tally::sim {

std::string NetworkModel::check() const {
  if (regions.empty()) return "no region";
  if (latency_ms.size() != regions.size()) return "the latency matrix must have one row per region";
  for (const auto& row : latency_ms) {
    if (row.size() != regions.size()) return "the latency matrix must have one column per region";
    for (double v : row)
      if (!(v >= 0) || v > 60'000) return "latencies must be within 0..60000 ms";
  }
  double shares = 0;
  for (const auto& r : regions) {
    if (!(r.node_share >= 0)) return "region " + r.name + ": node share must not be negative";
    shares += r.node_share;
  }
  if (!(shares > 0)) return "the regions' node shares add up to zero";
  if (!(jitter_ms >= 0) || jitter_ms > 60'000) return "jitter must be within 0..60000 ms";
  if (!(loss_percent >= 0) || loss_percent >= 100) return "loss must be within 0..100 (exclusive) percent";
  if (!(bandwidth_scale > 0) || bandwidth_scale > 1e6) return "bandwidth scale must be > 0";
  return {};
}

double NetworkModel::upload_bps(std::size_t r) const {
  return static_cast<double>(regions[r].upload_bps) * bandwidth_scale;
}
double NetworkModel::download_bps(std::size_t r) const {
  return static_cast<double>(regions[r].download_bps) * bandwidth_scale;
}

std::vector<std::uint32_t> place_nodes(const NetworkModel& model, std::size_t nodes, std::uint64_t seed) {
  const std::size_t k = model.regions.size();
  double total = 0;
  for (const auto& r : model.regions) total += r.node_share;
  // Largest remainder: floor of each quota, then one more to the largest remainders.
  std::vector<std::size_t> count(k);
  std::vector<std::pair<double, std::size_t>> remainder;
  std::size_t placed = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double quota = model.regions[i].node_share / total * static_cast<double>(nodes);
    count[i] = static_cast<std::size_t>(quota);
    placed += count[i];
    remainder.emplace_back(quota - static_cast<double>(count[i]), i);
  }
  std::ranges::stable_sort(remainder, [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t j = 0; placed < nodes; ++j, ++placed) ++count[remainder[j % k].second];
  std::vector<std::uint32_t> out;
  out.reserve(nodes);
  for (std::size_t i = 0; i < k; ++i) out.insert(out.end(), count[i], static_cast<std::uint32_t>(i));
  std::mt19937_64 rng(seed);
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

}  // namespace tally::sim
