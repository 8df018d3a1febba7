// Protocol state of one connection inside NetCore (private to p2p/net_*.cpp).
#pragma once

#include <deque>
#include <unordered_set>

#include "p2p/net_core.h"

namespace tally::p2p {

// A set of hashes with a fixed capacity that forgets the oldest first.
class RollingHashSet {
 public:
  explicit RollingHashSet(std::size_t capacity) : capacity_(capacity) {}
  bool contains(const crypto::Hash256& h) const { return set_.contains(h); }
  void insert(const crypto::Hash256& h) {
    if (!set_.insert(h).second) return;
    order_.push_back(h);
    if (order_.size() > capacity_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
  }
  std::size_t size() const { return set_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_set<crypto::Hash256> set_;
  std::deque<crypto::Hash256> order_;
};

struct NetCore::Peer {
  Peer(PeerId id_, const NetAddress& address_, bool inbound_, std::uint32_t magic, std::size_t known_max,
       std::int64_t now_ms)
      : id(id_), address(address_), inbound(inbound_), decoder(magic), known(known_max), connected_ms(now_ms) {}

  PeerId id;
  NetAddress address;  // remote endpoint of the socket
  bool inbound;
  FrameDecoder decoder;
  RollingHashSet known;  // inventory this peer has or was told about
  std::int64_t connected_ms;
  bool disconnecting = false;

  // Handshake
  bool version_received = false;
  bool verack_received = false;
  bool established = false;
  VersionMsg version;

  // Keepalive
  std::int64_t next_ping_ms = 0;
  std::uint64_t ping_nonce = 0;  // 0: none outstanding
  std::int64_t ping_sent_ms = 0;
  std::int64_t last_rtt_ms = -1;

  // Misbehaviour
  int score = 0;

  // Addresses
  bool getaddr_answered = false;

  // Transactions
  std::vector<ledger::TxId> tx_to_announce;
  std::int64_t next_tx_inv_ms = 0;
  std::size_t tx_requests = 0;

  // Sync
  const ledger::BlockEntry* best_known = nullptr;  // best block we know the peer has
  std::uint32_t best_known_height = 0;
  bool headers_requested = false;
  std::vector<ledger::BlockHeader> low_work_headers;  // buffered, see net_sync.cpp
  std::size_t blocks_in_flight = 0;

  // Stats
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

}  // namespace tally::p2p
