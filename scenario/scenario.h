// Scenario files, the one definition of their format (docs/SCENARIOS.md): a JSON file that
// scripts a whole experiment (topology, node personas, link shaping, load, timed events), read
// by tally-devnet (real processes) and tally-sim (the simulator); each checks on top what it
// supports. Parsing is strict: an unknown field is an error and every error names its field.
// Pure functions (load_scenario_file reads the file); thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scenario/topology.h"

namespace tally::scenario {

// Shaping of one link, both directions (tally-devnet's "link_overrides").
struct LinkOverride {
  std::size_t a = 0, b = 0;
  std::string latency, jitter, rate;  // tallyd duration/rate text; empty = none
};

// One node's role: mining and its hash power share, link shaping, offline windows; and, for
// tally-sim, relaying only, connection slots, a download cap, coming back empty.
struct Persona {
  std::optional<bool> mining;
  std::optional<unsigned> hash_share;  // mining threads (tally-sim: relative hash power)
  std::optional<std::string> latency, jitter, rate;
  std::vector<std::pair<double, double>> offline;  // [from_s, to_s) windows, sorted, disjoint
  // tally-sim only:
  std::optional<bool> relay_only;          // never the target of submitted transactions
  std::optional<std::size_t> max_inbound;  // a hub: many inbound slots
  std::optional<std::size_t> max_outbound;
  std::optional<std::string> download_rate;
  std::optional<bool> offline_empty;       // true: back from offline windows with no state
};

struct ScenarioEvent {
  enum class Kind { kPartition, kHeal, kStop, kStart };
  double at_s = 0;
  Kind kind = Kind::kHeal;
  std::vector<std::vector<std::size_t>> groups;  // kPartition
  std::size_t node = 0;                          // kStop, kStart
  bool empty = false;                            // kStart (tally-sim): with an empty datadir
  std::string origin;                            // "events[2]" or "personas.3.offline[0]"
};

// tally-sim's network: one region with one latency and bandwidth for all, or a preset.
struct NetworkSpec {
  std::string preset = "constant";       // "constant" or "bitcoin-2019"
  std::string latency = "50ms";          // "constant": one-way latency between any two nodes
  std::string bandwidth;                 // "constant": per-node up and down ("" = unlimited)
  std::string jitter;                    // extra delay per frame, uniform in [0, jitter]
  double loss_percent = 0;
  double bandwidth_scale = 1;
};

// tally-sim's cost of processing (sim/processing_model.h has the defaults and their source).
struct ProcessingSpec {
  std::optional<std::int64_t> block_base_us, block_per_tx_us, tx_accept_us;
  std::optional<double> per_byte_us;
};

struct Scenario {
  std::size_t nodes = 0;
  Topology topology;  // unused with "discovery"
  bool topology_given = false;  // "topology" was set (tally-sim picks discovery for large runs)
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
  // tally-sim only (tally-devnet refuses a scenario that sets them, naming the field):
  bool discovery = false;            // "topology": "discovery"
  std::optional<std::size_t> seeds;  // discovery: nodes 0..seeds-1 are the seed nodes
  std::optional<NetworkSpec> network;
  std::optional<std::size_t> load_senders;
  std::optional<std::uint32_t> max_block_txs;
  std::optional<bool> log_tx_events;
  std::optional<std::string> tx_inv_interval;  // mean delay of a peer's transaction inv batch
  std::optional<bool> compact_relay;           // false: new blocks travel whole
  std::optional<ProcessingSpec> processing;
  std::vector<std::string> sim_only_fields;  // the tally-sim-only fields present, as paths
};

inline constexpr std::size_t kMaxScenarioNodes = 100'000;

// Parses scenario JSON (the format's own rules only). Relative "chain" paths are taken
// relative to base_dir.
[[nodiscard]] std::expected<Scenario, std::string> parse_scenario(std::string_view text,
                                                                  const std::filesystem::path& base_dir = {});
// Reads FILE and parses it (relative paths relative to FILE's directory); errors start with FILE.
[[nodiscard]] std::expected<Scenario, std::string> load_scenario_file(const std::filesystem::path& file);

// Every event to fire, the personas' offline windows included (a stop at from_s and a start
// at to_s unless to_s is the end), ordered by time; at equal times the file's events first.
std::vector<ScenarioEvent> timeline(const Scenario& scenario);

// "0-2,5" for {0, 1, 2, 5}.
std::string node_set_text(const std::vector<std::size_t>& set);

}  // namespace tally::scenario
