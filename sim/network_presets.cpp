// Network presets. The Bitcoin-like preset copies the figures of
// shared/data/bitcoin-network-2019.json into the project:
//
//   Latencies (mean one-way ms between regions, 2019), per-node bandwidths (bit/s, 2019) and
//   the share of public nodes per region, as published by the SimBlock project: Aoki,
//   Otsuki, Kaneko, Banno, Shudo, "SimBlock: A Blockchain Network Simulator", IEEE INFOCOM
//   Workshops 2019, and its NetworkConfiguration, compiled from public measurements
//   (bitnodes.io for node counts; speed tests for bandwidth; WonderNetwork pings for
//   latency).
//
// The published bandwidth matrices are the minimum of the two ends' per-node figures, so the
// per-node figure of a region is the matrix diagonal; the simulator applies the sender's
// upload and the receiver's download separately, which gives the same minimum per frame.
#include "sim/network_model.h"

namespace tally::sim {

NetworkModel NetworkModel::bitcoin_2019() {
  NetworkModel m;
  m.regions = {
      {"north_america", 0.3316, 19'200'000, 52'000'000},
      {"europe", 0.4998, 20'700'000, 40'000'000},
      {"south_america", 0.0090, 5'800'000, 18'000'000},
      {"asia_pacific", 0.1177, 15'700'000, 22'800'000},
      {"japan", 0.0224, 10'200'000, 22'800'000},
      {"australia", 0.0195, 11'300'000, 29'900'000},
  };
  m.latency_ms = {
      {32, 124, 184, 198, 151, 189},  //
      {124, 11, 227, 237, 252, 294},  //
      {184, 227, 88, 325, 301, 322},  //
      {198, 237, 325, 85, 58, 198},   //
      {151, 252, 301, 58, 12, 126},   //
      {189, 294, 322, 198, 126, 16},
  };
  return m;
}

NetworkModel NetworkModel::constant(double latency_ms, std::uint64_t bandwidth_bps) {
  NetworkModel m;
  m.regions = {{"default", 1.0, bandwidth_bps, bandwidth_bps}};
  m.latency_ms = {{latency_ms}};
  return m;
}

}  // namespace tally::sim
