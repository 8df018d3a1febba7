// The schema of control.jsonl, defined once: what the tool driving a network did and when
// (partitions, heals, node stops and starts), so the convergence report can mark them.
// Written by tally-devnet (and the simulator), read by tally-study. One line:
//   {"ts_us":<int>,"event":"partition","groups":[[<node>,...],...]}
//   {"ts_us":<int>,"event":"heal"}
//   {"ts_us":<int>,"event":"stop_node"|"start_node","node":<node>}
// where <node> is the node's index in devnet.json (a number) or its name (a string).
// Pure functions and plain values; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::events {

enum class ControlType { kPartition, kHeal, kStopNode, kStartNode, kOther };

// A node named by index or by name.
struct NodeRef {
  std::optional<std::uint64_t> index;
  std::string name;  // used when index is empty
  // The node's index among `names`, or nullopt when it names none.
  std::optional<std::size_t> resolve(const std::vector<std::string>& names) const;
  bool operator==(const NodeRef&) const = default;
};

struct ControlEvent {
  std::int64_t ts_us = 0;
  ControlType type = ControlType::kOther;
  std::string type_name;                     // the "event" text
  std::vector<std::vector<NodeRef>> groups;  // kPartition
  NodeRef node;                              // kStopNode, kStartNode
  bool operator==(const ControlEvent&) const = default;
};

std::string_view to_string(ControlType type);
ControlEvent make_control_event(ControlType type, std::int64_t ts_us);

std::string to_json_line(const ControlEvent& event);
// Strict like parse_event_line; an unknown "event" parses as kOther.
[[nodiscard]] std::expected<ControlEvent, std::string> parse_control_line(std::string_view line);

}  // namespace tally::events
