// The event-log schema, defined once: every event a node writes to its events.jsonl and
// every control event a devnet (or simulator) writes to control.jsonl, with its JSON fields.
// The node's writer, the study's reader, the devnet tool and the tests all go through the
// tables in event.cpp and control_event.cpp; docs/STUDY.md describes the same lines.
//
// A node event line: {"ts_us":<int>,"node":"<name>","event":"<type>", <fields of the type>}.
// Pure functions and plain values; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::events {

enum class EventType {
  kNodeStarted,       // height
  kNodeStopped,       // height
  kHeaderSeen,        // hash, height, peer
  kBlockConnected,    // hash, height, txs (count), optional txids
  kTipChanged,        // old_tip, new_tip, height
  kReorg,             // old_tip, new_tip, depth (count)
  kBlockRejected,     // hash, peer, reason
  kTxAccepted,        // txid (hash), peer
  kTxRejected,        // txid (hash), peer, reason
  kPeerConnected,     // peer, address, inbound, user_agent
  kPeerDisconnected,  // peer, address, reason
  kUnknown,  // a well-formed line of a type this version does not know (kept, not analysed)
};

std::string_view to_string(EventType type);

// The union of the fields of all event types; only those of `type` are meaningful. Hashes
// and txids are 64 lower-case hex digits.
struct Event {
  std::int64_t ts_us = 0;
  std::string node_name;  // "node": the writing node's name
  EventType type = EventType::kUnknown;
  std::string type_name;  // the "event" text as written (set by make_event and the parser)
  std::string hash;       // header_seen, block_connected, block_rejected: the block; tx_*: "txid"
  std::string old_tip;    // tip_changed, reorg
  std::string new_tip;    // tip_changed, reorg
  std::int64_t height = -1;  // header_seen, block_connected, tip_changed, node_started/stopped
  std::uint64_t peer = 0;    // header_seen, block_rejected, tx_*: 0 = local; peer_*: the peer id
  std::int64_t count = 0;    // block_connected: "txs"; reorg: "depth"
  std::string reason;        // *_rejected, peer_disconnected
  std::string address;       // peer_*: the peer's address, host:port
  bool inbound = false;      // peer_connected
  std::string user_agent;    // peer_connected
  bool has_txids = false;    // block_connected with the optional "txids" array (inclusion)
  std::vector<std::string> txids;

  bool operator==(const Event&) const = default;
};

// An event of `type` with its name set, ready for its fields.
Event make_event(EventType type, std::int64_t ts_us, std::string node_name);

// The event as one JSON line, without the newline.
std::string to_json_line(const Event& event);

// Parses one line (without its newline) strictly: a line that is not a JSON object with the
// fields its type requires is refused with a reason naming the field. Hex is returned in
// lower case. An unknown "event" type parses as kUnknown with only the common fields.
[[nodiscard]] std::expected<Event, std::string> parse_event_line(std::string_view line);

// True for 64 hex digits.
bool is_hash_hex(std::string_view text);

}  // namespace tally::events
