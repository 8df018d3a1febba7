// Fuzz target: events::parse_event_line, one line of a node's events.jsonl, on arbitrary text.
// Invariants: never crashes and no exception escapes (a bad line is an error value); an
// accepted line has the common fields (ts_us >= 0, node, event), hashes of 64 lower-case hex
// digits and non-negative counts; written back with to_json_line it parses to the same
// event, and writing that again gives the same line (the writer's output is a fixed point).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "events/event.h"
#include "fuzz_check.h"

using namespace tally;

namespace {

bool lower_hash(const std::string& s) {
  return events::is_hash_hex(s) && std::none_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'F'; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto event = events::parse_event_line(line);
  if (!event) {
    FUZZ_CHECK(!event.error().empty());
    return 0;
  }
  const events::Event& e = *event;
  FUZZ_CHECK(e.ts_us >= 0);
  FUZZ_CHECK(e.type == events::EventType::kUnknown || events::to_string(e.type) == e.type_name);
  for (const std::string* h : {&e.hash, &e.old_tip, &e.new_tip})
    FUZZ_CHECK(h->empty() || lower_hash(*h));
  for (const auto& id : e.txids) FUZZ_CHECK(lower_hash(id));
  FUZZ_CHECK(e.has_txids || e.txids.empty());
  FUZZ_CHECK(e.count >= 0 && e.height >= -1);

  const std::string written = events::to_json_line(e);
  FUZZ_CHECK(written.find('\n') == std::string::npos);
  auto again = events::parse_event_line(written);
  if (!again) {
    std::fprintf(stderr, "written line refused: %s\n%s\n", again.error().c_str(), written.c_str());
    FUZZ_CHECK(again.has_value());
  }
  FUZZ_CHECK(*again == e);
  FUZZ_CHECK(events::to_json_line(*again) == written);
  return 0;
}
