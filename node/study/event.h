// One line of a node's JSON-lines event log (node/event_log.cpp writes them), parsed
// strictly: a line that is not a JSON object with the fields its type requires is refused
// with a reason, so the caller can count it instead of guessing. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace tally::study {

enum class EventType {
  kNodeStarted,
  kNodeStopped,
  kHeaderSeen,
  kBlockConnected,
  kTipChanged,
  kReorg,
  kBlockRejected,
  kTxAccepted,
  kTxRejected,
  kPeerConnected,
  kPeerDisconnected,
  kUnknown,  // a well-formed line of a type this version does not know (kept, not analysed)
};

std::string_view to_string(EventType type);

// The union of the fields of all event types; only those of `type` are meaningful.
struct Event {
  std::int64_t ts_us = 0;
  std::size_t node = 0;  // index of the node whose log holds it (set by the loader)
  std::size_t seq = 0;   // position among that node's events (file order breaks time ties)
  EventType type = EventType::kUnknown;
  std::string type_name;  // the "event" text as written
  std::string hash;       // header_seen, block_connected, block_rejected: the block; tx_*: the txid
  std::string old_tip;    // tip_changed, reorg
  std::string new_tip;    // tip_changed, reorg
  std::int64_t height = -1;  // header_seen, block_connected, tip_changed, node_started/stopped
  std::uint64_t peer = 0;    // header_seen, block_rejected, tx_*: 0 = local; peer_*: the peer id
  std::int64_t count = 0;    // block_connected: txs; reorg: depth
  std::string text;          // *_rejected, peer_disconnected: reason; peer_connected: address
  bool has_txids = false;    // block_connected with an optional "txids" array (inclusion)
  std::vector<std::string> txids;
};

// Parses one line (without its newline). Hashes and txids must be 64 hex digits and are
// returned in lower case. An unknown "event" type parses as kUnknown.
[[nodiscard]] std::expected<Event, std::string> parse_event_line(std::string_view line);

// True for 64 hex digits.
bool is_hash_hex(std::string_view text);

}  // namespace tally::study
