#include "p2p/event_record.h"

#include <type_traits>
#include <variant>

#include "crypto/hex.h"

namespace tally::p2p {

using events::EventType;

events::Event to_event_record(const NetEvent& event, std::int64_t ts_us, std::string node_name) {
  events::Event out;
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        auto make = [&](EventType type) { out = events::make_event(type, ts_us, std::move(node_name)); };
        if constexpr (std::is_same_v<T, HeaderSeenEvent>) {
          make(EventType::kHeaderSeen);
          out.hash = crypto::to_hex(e.hash);
          out.height = e.height;
          out.peer = e.from;
        } else if constexpr (std::is_same_v<T, BlockConnectedEvent>) {
          make(EventType::kBlockConnected);
          out.hash = crypto::to_hex(e.hash);
          out.height = e.height;
          out.count = static_cast<std::int64_t>(e.tx_count);
          out.has_txids = !e.txids.empty();
          out.txids.reserve(e.txids.size());
          for (const auto& id : e.txids) out.txids.push_back(crypto::to_hex(id));
        } else if constexpr (std::is_same_v<T, TipChangedEvent>) {
          make(EventType::kTipChanged);
          out.old_tip = crypto::to_hex(e.old_tip);
          out.new_tip = crypto::to_hex(e.new_tip);
          out.height = e.height;
        } else if constexpr (std::is_same_v<T, ReorgEvent>) {
          make(EventType::kReorg);
          out.old_tip = crypto::to_hex(e.old_tip);
          out.new_tip = crypto::to_hex(e.new_tip);
          out.count = static_cast<std::int64_t>(e.depth);
        } else if constexpr (std::is_same_v<T, BlockRejectedEvent>) {
          make(EventType::kBlockRejected);
          out.hash = crypto::to_hex(e.hash);
          out.peer = e.from;
          out.reason = e.reason;
        } else if constexpr (std::is_same_v<T, TxAcceptedEvent>) {
          make(EventType::kTxAccepted);
          out.hash = crypto::to_hex(e.txid);
          out.peer = e.from;
        } else if constexpr (std::is_same_v<T, TxRejectedEvent>) {
          make(EventType::kTxRejected);
          out.hash = crypto::to_hex(e.txid);
          out.peer = e.from;
          out.reason = e.reason;
        } else if constexpr (std::is_same_v<T, PeerConnectedEvent>) {
          make(EventType::kPeerConnected);
          out.peer = e.peer;
          out.address = e.address.to_string();
          out.inbound = e.inbound;
          out.user_agent = e.user_agent;
        } else if constexpr (std::is_same_v<T, PeerDisconnectedEvent>) {
          make(EventType::kPeerDisconnected);
          out.peer = e.peer;
          out.address = e.address.to_string();
          out.reason = e.reason;
        }
      },
      event.body);
  return out;
}

}  // namespace tally::p2p
