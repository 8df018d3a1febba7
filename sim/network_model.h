// The simulated internet between nodes: regions with a one-way latency matrix, per-region
// upload and download bandwidth, jitter and loss, and a bandwidth scale factor. Pure data plus
// the arithmetic of one frame's trip; the simulator keeps the per-node link state. Thread-safe
// (immutable once built).
#pragma once

#include <cstdint>
#include <expected>
#include <random>
#include <string>
#include <vector>

namespace tally::sim {

struct Region {
  std::string name;
  double node_share = 1.0;             // share of the nodes placed here (normalised over regions)
  std::uint64_t upload_bps = 0;        // per node, bits per second (0 = unlimited)
  std::uint64_t download_bps = 0;      // per node, bits per second (0 = unlimited)
};

struct NetworkModel {
  std::vector<Region> regions;                  // at least one
  std::vector<std::vector<double>> latency_ms;  // one-way mean, regions x regions
  double jitter_ms = 0;        // uniform extra delay in [0, jitter_ms] per frame (order kept)
  double loss_percent = 0;     // a lost segment costs a retransmission: + 3 x latency + 200 ms
  // Multiplies every bandwidth: with 0.01, 10 kB blocks take as long to send as 1 MB blocks
  // at the real bandwidth (a documented fidelity trade-off: smaller blocks, same delays).
  double bandwidth_scale = 1.0;

  // One region, `latency_ms` between any two nodes, `bandwidth_bps` up and down (0 = none).
  static NetworkModel constant(double latency_ms, std::uint64_t bandwidth_bps);
  // Six regions with the latencies, bandwidths and node shares measured on the Bitcoin
  // network in 2019 (sim/network_presets.cpp cites the sources).
  static NetworkModel bitcoin_2019();

  // Empty when consistent, else what is wrong.
  std::string check() const;

  // Upload / download of a node of region r in bits per second after scaling (0 = unlimited).
  double upload_bps(std::size_t r) const;
  double download_bps(std::size_t r) const;
};

// The region of each of `nodes` nodes: counts proportional to the shares (largest
// remainder), in an order shuffled by `seed`.
std::vector<std::uint32_t> place_nodes(const NetworkModel& model, std::size_t nodes, std::uint64_t seed);

// Microseconds a frame of `bytes` occupies a link of `bps` bits per second (0 for unlimited).
inline std::int64_t serialization_us(std::size_t bytes, double bps) {
  if (bps <= 0) return 0;
  return static_cast<std::int64_t>(static_cast<double>(bytes) * 8e6 / bps);
}

}  // namespace tally::sim
