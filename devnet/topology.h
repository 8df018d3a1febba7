// The devnet's names for the topology vocabulary it shares with the simulator
// (scenario/topology.h, which documents it). Thread-safe (pure functions).
#pragma once

#include "scenario/node_set.h"
#include "scenario/topology.h"

namespace tally::devnet {

using scenario::dial_targets;
using scenario::Edge;
using scenario::is_connected;
using scenario::make_edges;
using scenario::parse_node_set;
using scenario::parse_topology;
using scenario::spread_miners;
using scenario::Topology;

}  // namespace tally::devnet
