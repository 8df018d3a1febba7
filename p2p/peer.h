// Protocol state of one connection inside NetCore (private to p2p/net_*.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "p2p/compact_block.h"
#include "p2p/net_core.h"

namespace tally::p2p {

// A set of hashes with a fixed capacity that forgets the oldest first. It keeps a salted
// 64-bit hash of each (crypto/salted_hash.h: a peer cannot choose hashes that collide; a
// false "known" among 50,000 entries has odds of about 1 in 10^14, far below the 1 in 10^6 of Bitcoin Core's rolling Bloom filter, and it only
// skips one announcement to one peer), in an open-addressing set with a ring of insertion
// order: 16 bytes an entry and no allocation per insert. Every peer of every node keeps one,
// and each relayed transaction lands in all of them.
class RollingHashSet {
 public:
  explicit RollingHashSet(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}
  bool contains(const crypto::Hash256& h) const { return set_.contains(key(h)); }
  void insert(const crypto::Hash256& h) {
    const std::uint64_t k = key(h);
    if (!set_.insert(k).second) return;
    if (order_.size() < capacity_) {
      order_.push_back(k);
      return;
    }
    set_.erase(order_[oldest_]);
    order_[oldest_] = k;
    oldest_ = (oldest_ + 1) % capacity_;
  }
  std::size_t size() const { return set_.size(); }

 private:
  static std::uint64_t key(const crypto::Hash256& h) { return crypto::salted_hash(h.span()); }
  std::size_t capacity_;
  boost::unordered_flat_set<std::uint64_t> set_;
  std::vector<std::uint64_t> order_;  // a ring once full: order_[oldest_] is the oldest
  std::size_t oldest_ = 0;
};

struct NetCore::Peer {
  Peer(PeerId id_, const NetAddress& address_, bool inbound_, std::uint32_t magic, std::size_t known_max,
       std::int64_t now_ms)
      : id(id_), address(address_), inbound(inbound_), decoder(magic), known(known_max), connected_ms(now_ms) {}

  PeerId id;
  NetAddress address;  // remote endpoint of the socket
  bool inbound;
  std::optional<crypto::CompressedPublicKey> node_key;  // proved in the transport's handshake
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
  std::int64_t timer_due_ms = INT64_MAX;  // its entry in NetCore::connection_timers_

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

  // Compact blocks
  bool wants_cmpct = false;                 // sent sendcmpct(high_bandwidth) of our version
  std::optional<PartialBlock> partial;      // the block being rebuilt from this peer's cmpctblock

  // Inbound eviction (net_evict.cpp): when this peer last gave us something new.
  std::int64_t last_block_ms = 0;  // a block that moved our tip
  std::int64_t last_tx_ms = 0;     // a transaction our mempool accepted

  // Stats
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

}  // namespace tally::p2p
