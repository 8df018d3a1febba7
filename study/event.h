// One event of a node's log as the study holds it: the schema's event (events/event.h, the
// one definition of every event and its fields) plus where the study found it. Plain value.
#pragma once

#include <cstddef>

#include "events/event.h"

namespace tally::study {

using events::EventType;
using events::is_hash_hex;
using events::parse_event_line;

struct Event : events::Event {
  Event() = default;
  Event(events::Event e) : events::Event(std::move(e)) {}  // NOLINT: implicit from the schema's event
  std::size_t node = 0;  // index of the node whose log holds it (set by the loader)
  std::size_t seq = 0;   // position among that node's events (file order breaks time ties)
};

}  // namespace tally::study
