// The raw material of a study: a devnet directory's layout (DIR/devnet.json), every node's
// event log and the devnet tool's control log (DIR/control.jsonl), loaded and checked but
// not yet analysed. Malformed lines are counted per file, never fatal.
//
// devnet.json is read defensively (its writer evolves separately): only "nodes" with a
// "name" and a "datadir" (or "events", the log's own path) per node are needed; the
// topology is taken from "edges" ([[a, b], ...] or [{"from": a, "to": b}], at the top or
// inside a "topology" object), from per-node "connect"/"dials"/"peers" lists (indices or
// names), or from a "topology" name (line, ring, star, mesh) as tally-devnet builds them.
// Without devnet.json, every DIR/<sub>/events.jsonl is a node named <sub>.
//
// Plain values; load_run only reads files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "study/event.h"

namespace tally::study {

struct MalformedLine {
  std::size_t line = 0;  // 1-based
  std::string reason;
};

// How many malformed lines are kept verbatim per file (all are counted).
inline constexpr std::size_t kMalformedExamplesMax = 5;

struct NodeLog {
  std::string name;
  std::filesystem::path events_path;
  bool log_found = false;
  std::size_t lines = 0;  // non-blank lines
  std::size_t malformed = 0;
  std::size_t unknown_events = 0;  // well-formed lines of an unknown type
  std::vector<MalformedLine> malformed_examples;
  std::vector<Event> events;  // file order
};

struct ControlEvent {
  enum class Kind { kPartition, kHeal, kStopNode, kStartNode, kOther };
  std::int64_t ts_us = 0;
  Kind kind = Kind::kOther;
  std::string name;  // the "event" text
  std::vector<std::vector<std::size_t>> groups;  // kPartition: node indices
  std::optional<std::size_t> node;               // kStopNode, kStartNode
};

struct RunLog {
  std::filesystem::path dir;
  bool has_layout = false;  // devnet.json was found and understood
  bool partition_in_layout = false;  // devnet.json's "partition" (the state now) is non-empty
  std::vector<NodeLog> nodes;
  std::vector<ControlEvent> controls;  // sorted by time
  std::size_t control_lines = 0;
  std::size_t control_malformed = 0;
  std::vector<MalformedLine> control_malformed_examples;
  std::vector<std::pair<std::size_t, std::size_t>> edges;  // undirected, a > b, deduplicated
  std::vector<std::string> warnings;                        // layout oddities, for the report
  // The block interval the devnet was asked for: devnet.json's options.block_time_s, else
  // the block_interval_s of the chain spec file it names; nullopt when neither says.
  std::optional<double> requested_interval_s;
};

// Reads DIR. Fails only when DIR is missing, devnet.json exists but names no usable node,
// or there is no event log at all.
[[nodiscard]] std::expected<RunLog, std::string> load_run(const std::filesystem::path& dir);

// Parses one node's log text (what load_run does per file); `node` is stored in each event.
void parse_node_log(std::string_view text, std::size_t node, NodeLog& out);

// Parses control.jsonl text against the node names (a "node" may be a name or an index).
void parse_control_log(std::string_view text, const std::vector<std::string>& names, RunLog& out);

}  // namespace tally::study
