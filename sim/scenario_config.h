// A scenario file (scenario/scenario.h, the format tally-devnet reads too) as a simulation:
// the mapping of its sections onto SimConfig, and what tally-sim refuses (per-link shaping,
// a chain spec file). Pure functions; thread-safe.
#pragma once

#include <expected>
#include <string>

#include "scenario/scenario.h"
#include "sim/sim_config.h"

namespace tally::sim {

// Scenarios larger than this default to the discovery topology when they name none.
inline constexpr std::size_t kDiscoveryByDefaultFrom = 64;

// The simulation of `scenario`; errors name the field, as the parser's do.
[[nodiscard]] std::expected<SimConfig, std::string> sim_config(const scenario::Scenario& scenario);

}  // namespace tally::sim
