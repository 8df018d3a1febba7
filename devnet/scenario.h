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
#include "scenario/scenario.h"

namespace tally::devnet {

// The format is scenario/scenario.h's; these are the devnet's names for it.
using scenario::LinkOverride;
using scenario::node_set_text;
using scenario::Persona;
using scenario::Scenario;
using scenario::ScenarioEvent;
using scenario::timeline;

// Parses scenario JSON and checks it for a devnet (at most 256 nodes, no tally-sim-only
// field, what `up` checks). Relative "chain" paths are taken relative to base_dir.
[[nodiscard]] std::expected<Scenario, std::string> parse_scenario(std::string_view text,
                                                                  const std::filesystem::path& base_dir = {});
// Reads FILE and parses it (relative paths relative to FILE's directory); errors start with FILE.
[[nodiscard]] std::expected<Scenario, std::string> load_scenario_file(const std::filesystem::path& file);

// The up options of a scenario for a devnet in `dir`.
UpOptions up_options(const Scenario& scenario, const std::filesystem::path& dir);

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
