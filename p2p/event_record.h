// The P2P core's observable events as lines of the event-log schema (events/event.h), for
// the node's event log and the simulator's. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "events/event.h"
#include "p2p/net_events.h"

namespace tally::p2p {

// The schema's event for `event`, stamped with `ts_us` and the writing node's name.
events::Event to_event_record(const NetEvent& event, std::int64_t ts_us, std::string node_name);

}  // namespace tally::p2p
