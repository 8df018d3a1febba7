// Scenarios: a JSON file that scripts a whole devnet experiment (topology, node personas,
// link shaping, load and timed events) so that a run can be repeated exactly as written.
// `tally-devnet scenario FILE` parses it (strictly: every error names its field), brings the
// devnet up, runs the load, fires the events at their times, writes the convergence report
// and takes the devnet down again. The format is described in docs/SCENARIOS.md.
//
// Parsing touches no file except through load_scenario_file(); run_scenario() blocks the
// calling thread (it runs the load on a thread of its own).
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "devnet/devnet.h"
#include "devnet/options.h"
#include "devnet/topology.h"

namespace tally::devnet {

// One node's role: mining and its hash power share, link shaping, offline windows.
struct Persona {
  std::optional<bool> mining;
  std::optional<unsigned> hash_share;  // mining threads
  std::optional<std::string> latency, jitter, rate;
  std::vector<std::pair<double, double>> offline;  // [from_s, to_s) windows, sorted, disjoint
};

struct ScenarioEvent {
  enum class Kind { kPartition, kHeal, kStop, kStart };
  double at_s = 0;
  Kind kind = Kind::kHeal;
  std::vector<std::vector<std::size_t>> groups;  // kPartition
  std::size_t node = 0;                          // kStop, kStart
  std::string origin;                            // "events[2]" or "personas.3.offline[0]"
};

struct Scenario {
  std::size_t nodes = 0;
  Topology topology;
  std::uint64_t seed = 1;
  std::filesystem::path chain;  // empty: the embedded devnet spec
  std::optional<std::int64_t> block_time_s;
  std::optional<std::size_t> miners;  // absent: 1, or 0 when a persona sets "mining": true
  double duration_s = 0;
  std::optional<double> load_tps;
  std::string latency, jitter, rate;  // "links": every node's default shaping
  std::vector<LinkOverride> link_overrides;  // "link_overrides": per link, both directions
  std::map<std::size_t, Persona> personas;
  std::vector<ScenarioEvent> events;  // as written, in file order
};

// Parses and checks scenario JSON. Relative "chain" paths are taken relative to base_dir.
[[nodiscard]] std::expected<Scenario, std::string> parse_scenario(std::string_view text,
                                                                  const std::filesystem::path& base_dir = {});
// Reads FILE and parses it (relative paths relative to FILE's directory); errors start with FILE.
[[nodiscard]] std::expected<Scenario, std::string> load_scenario_file(const std::filesystem::path& file);

// The up options of a scenario for a devnet in `dir`.
UpOptions up_options(const Scenario& scenario, const std::filesystem::path& dir);

// Every event to fire, the personas' offline windows included (a stop at from_s and a start
// at to_s unless to_s is the end), ordered by time; at equal times the file's events first.
std::vector<ScenarioEvent> timeline(const Scenario& scenario);

// "partition 0-2 | 3-5", "heal", "stop node3", "start node3".
std::string describe(const ScenarioEvent& event);

struct RunScenarioOptions {
  std::filesystem::path dir;     // REQUIRED
  std::filesystem::path tallyd;  // empty: next to this executable, else on PATH
  std::chrono::milliseconds start_timeout{30'000};
  bool stop_with_parent = false;          // see UpOptions (tests)
  const std::atomic<bool>* stop = nullptr;  // ends the run early (Ctrl-C); down still runs
  LogFn log;                              // timeline and progress lines
  double status_every_s = 10;             // a status line this often (<= 0: never)
};

struct ScenarioResult {
  bool interrupted = false;           // *stop became true before the end
  std::vector<std::string> failures;  // events that failed (the run goes on)
  std::optional<LoadReport> load;
  StatusReport final_status;  // just before down (waits up to a few seconds for agreement)
  std::filesystem::path report_json;  // empty when the report failed
  std::string report_summary;         // or why the report failed
};

// Runs the scenario. Fails only when the devnet cannot be brought up (or down); event and
// report failures are in the result. The devnet is always taken down (datadirs kept).
[[nodiscard]] std::expected<ScenarioResult, std::string> run_scenario(const Scenario& scenario,
                                                                      const RunScenarioOptions& options);

}  // namespace tally::devnet
