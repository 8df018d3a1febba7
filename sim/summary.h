// DIR/sim.json: what a run was (parameters, seed, chain), what came of it (blocks, agreement,
// traffic) and what it cost (measured by the caller: wall time, events per second, memory).
// Everything but "cost" is a function of the configuration, so it is byte-identical across
// runs of one scenario and seed. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "sim/simulator.h"

namespace tally::sim {

struct RunCost {
  double wall_s = 0;
  std::uint64_t peak_rss_bytes = 0;
};

std::string summary_json(const Simulator& sim, const RunCost& cost);

// The process's peak resident set size (VmHWM), 0 when unknown.
std::uint64_t peak_rss_bytes();

}  // namespace tally::sim
