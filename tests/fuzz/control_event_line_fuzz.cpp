// Fuzz target: events::parse_control_line, one line of a devnet's or simulation's
// control.jsonl (partitions, heals, node stops and starts), on arbitrary text.
// Invariants: never crashes and no exception escapes (a bad line is an error value); an
// accepted line has ts_us >= 0, groups only for a partition and a node only for a stop or
// start; written back with to_json_line it parses to the same event and writes the same line
// again; a node reference resolves to an index within the names it is given, or to nothing.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "events/control_event.h"
#include "fuzz_check.h"

using namespace tally;

namespace {

void check_resolve(const events::NodeRef& r) {
  static const std::vector<std::string> kNames = {"node0", "node1", "node2", "a", ""};
  const auto i = r.resolve(kNames);
  if (r.index) {
    FUZZ_CHECK(i.has_value() == (*r.index < kNames.size()));
    if (i) FUZZ_CHECK(*i == *r.index);
  } else if (i) {
    FUZZ_CHECK(*i < kNames.size() && kNames[*i] == r.name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto event = events::parse_control_line(line);
  if (!event) {
    FUZZ_CHECK(!event.error().empty());
    return 0;
  }
  const events::ControlEvent& e = *event;
  FUZZ_CHECK(e.ts_us >= 0);
  FUZZ_CHECK(e.type == events::ControlType::kOther || events::to_string(e.type) == e.type_name);
  if (e.type != events::ControlType::kPartition) FUZZ_CHECK(e.groups.empty());
  if (e.type != events::ControlType::kStopNode && e.type != events::ControlType::kStartNode)
    FUZZ_CHECK(e.node == events::NodeRef{});
  for (const auto& g : e.groups)
    for (const auto& r : g) check_resolve(r);
  check_resolve(e.node);

  const std::string written = events::to_json_line(e);
  auto again = events::parse_control_line(written);
  if (!again) {
    std::fprintf(stderr, "written line refused: %s\n%s\n", again.error().c_str(), written.c_str());
    FUZZ_CHECK(again.has_value());
  }
  FUZZ_CHECK(*again == e);
  FUZZ_CHECK(events::to_json_line(*again) == written);
  return 0;
}
