// Fuzz target: scenario files (docs/SCENARIOS.md) on arbitrary text: the format's parser
// (scenario::parse_scenario), tally-sim's mapping onto a simulation (sim::sim_config) and
// tally-devnet's stricter parser (devnet::parse_scenario) with its event descriptions.
// Invariants: never crashes and no exception escapes (every refusal is an error value); an
// accepted scenario has 1..100000 nodes, a duration within a week, node indices (events,
// personas, link overrides, partition groups) that exist, disjoint sorted partition groups
// and sorted, disjoint offline windows within the run; its timeline is ordered by time and
// holds every event; every node list round-trips through node_set_text/parse_node_set; what
// tally-devnet accepts the format accepts too, with the same contents, and a scenario that
// sets a tally-sim-only field is refused by tally-devnet; a simulation accepted by tally-sim
// has one persona per node and passes its own check (tally-sim's mapping is tried up to
// 10,000 nodes, see below).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "devnet/scenario.h"
#include "fuzz_check.h"
#include "scenario/node_set.h"
#include "scenario/scenario.h"
#include "sim/scenario_config.h"

using namespace tally;

namespace {

void check_node_list(const std::vector<std::size_t>& set, std::size_t nodes) {
  FUZZ_CHECK(!set.empty());
  FUZZ_CHECK(std::is_sorted(set.begin(), set.end()));
  FUZZ_CHECK(std::adjacent_find(set.begin(), set.end()) == set.end());
  FUZZ_CHECK(set.back() < nodes);
  auto back = scenario::parse_node_set(scenario::node_set_text(set));
  FUZZ_CHECK(back && *back == set);
}

void check_scenario(const scenario::Scenario& s) {
  FUZZ_CHECK(s.nodes >= 1 && s.nodes <= scenario::kMaxScenarioNodes);
  FUZZ_CHECK(s.duration_s > 0 && s.duration_s <= 7 * 86400.0);
  FUZZ_CHECK(s.seed >= 1);
  if (s.miners) FUZZ_CHECK(*s.miners <= s.nodes);
  if (s.seeds) FUZZ_CHECK(*s.seeds >= 1 && *s.seeds <= s.nodes);
  for (const auto& l : s.link_overrides) FUZZ_CHECK(l.a < s.nodes && l.b < s.nodes && l.a != l.b);
  for (const auto& [index, p] : s.personas) {
    FUZZ_CHECK(index < s.nodes);
    if (p.hash_share) FUZZ_CHECK(*p.hash_share >= 1 && *p.hash_share <= 256);
    double previous_end = -1;
    for (const auto& [from, to] : p.offline) {
      FUZZ_CHECK(from >= 0 && from < to && to <= s.duration_s && from >= previous_end);
      previous_end = to;
    }
  }
  for (const auto& e : s.events) {
    FUZZ_CHECK(e.at_s >= 0 && e.at_s <= s.duration_s);
    if (e.kind == scenario::ScenarioEvent::Kind::kStop || e.kind == scenario::ScenarioEvent::Kind::kStart)
      FUZZ_CHECK(e.node < s.nodes);
    if (e.kind == scenario::ScenarioEvent::Kind::kPartition) {
      FUZZ_CHECK(!e.groups.empty());
      std::vector<bool> seen(s.nodes, false);
      std::size_t total = 0;
      for (const auto& g : e.groups) {
        check_node_list(g, s.nodes);
        for (std::size_t n : g) {
          FUZZ_CHECK(!seen[n]);
          seen[n] = true;
        }
        total += g.size();
      }
      FUZZ_CHECK(e.groups.size() >= 2 || total < s.nodes);
    }
  }

  const auto events = scenario::timeline(s);
  FUZZ_CHECK(events.size() >= s.events.size());
  FUZZ_CHECK(std::is_sorted(events.begin(), events.end(),
                            [](const scenario::ScenarioEvent& a, const scenario::ScenarioEvent& b) { return a.at_s < b.at_s; }));
  for (const auto& e : events) {
    FUZZ_CHECK(!e.origin.empty());
    FUZZ_CHECK(!devnet::describe(e).empty());
  }
}

bool same(const scenario::Scenario& a, const scenario::Scenario& b) {
  return a.nodes == b.nodes && a.seed == b.seed && a.duration_s == b.duration_s && a.chain == b.chain &&
         a.events.size() == b.events.size() && a.personas.size() == b.personas.size() &&
         a.link_overrides.size() == b.link_overrides.size() && a.miners == b.miners &&
         a.block_time_s == b.block_time_s && a.load_tps == b.load_tps && a.latency == b.latency &&
         a.jitter == b.jitter && a.rate == b.rate && a.sim_only_fields == b.sim_only_fields;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // No base directory: a "chain" path stays as written and no file is read.
  auto parsed = scenario::parse_scenario(text);
  auto devnet_parsed = devnet::parse_scenario(text);
  if (!parsed) {
    FUZZ_CHECK(!parsed.error().empty());
    FUZZ_CHECK(!devnet_parsed);
    return 0;
  }
  check_scenario(*parsed);

  if (devnet_parsed) {
    FUZZ_CHECK(same(*parsed, *devnet_parsed));
    FUZZ_CHECK(parsed->sim_only_fields.empty());
    FUZZ_CHECK(parsed->nodes <= 256);
  } else {
    FUZZ_CHECK(!devnet_parsed.error().empty());
  }

  // tally-sim's mapping makes one persona per node: for 100,000 nodes, a 10 MB allocation per
  // input, whose page faults (under ASan) took most of the campaign's time. The mapping does
  // the same per node whatever the count, so it is fuzzed up to kMaxSimNodes; the parser and
  // tally-devnet's checks above take every count.
  constexpr std::size_t kMaxSimNodes = 10'000;
  if (parsed->nodes > kMaxSimNodes) return 0;
  auto sim = sim::sim_config(*parsed);
  if (sim) {
    FUZZ_CHECK(sim->nodes == parsed->nodes);
    FUZZ_CHECK(sim->personas.size() == sim->nodes);
    FUZZ_CHECK(sim->check().empty());
    FUZZ_CHECK(sim->actions.size() == parsed->events.size());
  } else {
    FUZZ_CHECK(!sim.error().empty());
  }
  return 0;
}
