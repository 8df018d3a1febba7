// Observable events of the P2P core (for the node's event log, metrics and tests). Each
// carries the core's time in milliseconds. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "p2p/messages.h"

namespace tally::p2p {

using PeerId = std::uint64_t;

struct HeaderSeenEvent {
  BlockHash hash;
  std::uint32_t height;
  PeerId from;  // 0: this node (mined or submitted locally)
};
struct BlockConnectedEvent {
  BlockHash hash;
  std::uint32_t height;
  std::size_t tx_count;
  std::vector<ledger::TxId> txids;  // transfers (not the coinbase), with NetConfig::event_txids
};
struct TipChangedEvent {
  BlockHash old_tip;
  BlockHash new_tip;
  std::uint32_t height;
};
struct ReorgEvent {
  BlockHash old_tip;
  BlockHash new_tip;
  std::size_t depth;
};
struct BlockRejectedEvent {
  BlockHash hash;
  PeerId from;
  std::string reason;
};
struct TxAcceptedEvent {
  ledger::TxId txid;
  PeerId from;
};
struct TxRejectedEvent {
  ledger::TxId txid;
  PeerId from;
  std::string reason;
};
struct PeerConnectedEvent {
  PeerId peer;
  NetAddress address;
  bool inbound;
  std::string user_agent;
};
struct PeerDisconnectedEvent {
  PeerId peer;
  NetAddress address;
  std::string reason;
};

using NetEventBody = std::variant<HeaderSeenEvent, BlockConnectedEvent, TipChangedEvent, ReorgEvent,
                                  BlockRejectedEvent, TxAcceptedEvent, TxRejectedEvent, PeerConnectedEvent,
                                  PeerDisconnectedEvent>;
struct NetEvent {
  std::int64_t time_ms;
  NetEventBody body;
  // The event clock's reading when the event happened (microseconds), or time_ms * 1000 when
  // no event clock is set (see NetCore::set_event_clock).
  std::int64_t time_us = 0;
};

}  // namespace tally::p2p
