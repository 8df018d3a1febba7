// Settings of the P2P protocol core. Plain struct filled by the node from flags.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "p2p/messages.h"

namespace tally::p2p {

struct NetConfig {
  std::uint16_t listen_port = 0;        // advertised in version; 0 = no inbound
  std::string user_agent = "/tally:0.1.0/";
  std::size_t max_outbound = 8;
  std::size_t max_inbound = 64;
  bool discovery = true;                // false with --connect: only the fixed peers
  std::vector<NetAddress> fixed_peers;  // --connect / --addnode: kept connected
  std::vector<NetAddress> seeds;        // --seed: asked for addresses

  std::int64_t handshake_timeout_ms = 10'000;
  std::int64_t ping_interval_ms = 30'000;
  std::int64_t ping_timeout_ms = 20'000;
  std::int64_t reconnect_fixed_ms = 2'000;    // retry period for fixed peers
  std::int64_t tx_inv_interval_ms = 100;      // mean of the per-peer randomized inv delay
  std::int64_t block_request_timeout_ms = 5'000;
  std::size_t max_blocks_in_flight_per_peer = 16;
  std::uint32_t block_download_window = 1024;  // blocks ahead of the tip
  std::size_t max_tx_requests_in_flight = 5'000;
  std::size_t known_inventory_max = 50'000;    // per peer
  std::size_t low_work_header_buffer = 4'000;  // per peer, see sync
  std::uint32_t stale_fork_depth_max = 144;    // shorter low-work forks are still stored

  int ban_threshold = 100;
  std::int64_t ban_duration_ms = 24LL * 3600 * 1000;
  std::int64_t mempool_expiry_check_ms = 60'000;
  // Compact block relay (docs/PROTOCOL.md): ask every peer for new blocks as cmpctblock and
  // send them so to peers that ask. Off: new blocks travel whole (the protocol before it).
  bool compact_relay = true;
  std::size_t compact_extra_txs = 100;  // recently accepted txs kept for reconstruction
  bool event_txids = false;  // list each connected block's txids in its event (event logs)
};

}  // namespace tally::p2p
