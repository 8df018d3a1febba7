// What one simulation runs: the nodes and their personas, the overlay, the network model, the
// work model, mining, load and timed events. Filled by the scenario parser (sim/scenario.h)
// or by tests directly; the simulator only reads it. Plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "p2p/net_config.h"
#include "sim/network_model.h"
#include "sim/processing_model.h"

namespace tally::sim {

enum class TopologyKind {
  kDiscovery,  // a few seed nodes; every other node bootstraps from them (address gossip)
  kLine,
  kRing,
  kStar,
  kMesh,
  kRandom,     // random:K: a random connected graph with about K links per node
  kNone,       // nothing wired (tests wire nodes themselves)
};

struct Topology {
  TopologyKind kind = TopologyKind::kDiscovery;
  std::size_t degree = 4;  // kRandom
  std::size_t seeds = 4;   // kDiscovery: nodes 0..seeds-1 are the seed nodes
};

struct OfflineWindow {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;     // back online then (>= duration: never)
  bool keep_state = true;     // false: comes back with an empty datadir (new chain and peers)
};

struct Persona {
  double hash_share = 1.0;    // relative hash power of a miner
  bool mining = false;
  bool relay_only = false;    // never the target of submitted transactions
  std::size_t max_inbound = 64;
  std::size_t max_outbound = 8;
  std::optional<std::uint64_t> upload_bps;    // a slow link: overrides the region's
  std::optional<std::uint64_t> download_bps;
  double extra_latency_ms = 0;                // added to every frame it sends
  std::vector<OfflineWindow> offline;
};

enum class ActionKind { kPartition, kHeal, kStop, kStart };

struct TimedAction {
  std::int64_t at_ms = 0;
  ActionKind kind = ActionKind::kHeal;
  std::vector<std::vector<std::size_t>> groups;  // kPartition (nodes in no group form one more)
  std::size_t node = 0;                          // kStop, kStart
  bool keep_state = true;                        // kStart after kStop: false = empty datadir
};

struct LoadModel {
  double tps = 0;            // signed transfers per second, network-wide (Poisson)
  std::size_t senders = 16;  // funded sender keys, each submitting to its own home node
};

// The most threads a run may use (SimConfig::threads, tally-sim --threads).
inline constexpr std::size_t kMaxThreads = 256;

struct SimConfig {
  std::size_t nodes = 0;
  std::uint64_t seed = 1;
  std::int64_t duration_ms = 0;
  double block_interval_s = 10;
  std::uint32_t max_block_txs = 4000;
  // Proof-of-work: the genesis target (the default costs about 65,000 hashes a block) and
  // ASERT's half-life (0: the devnet spec's, and at least 24 block intervals).
  // Tests that mine by hand, faster than the interval, use the easiest target and a long
  // half-life so the target does not climb.
  std::uint32_t genesis_bits = 0x1f00ffff;
  std::int64_t asert_half_life_s = 0;
  Topology topology;
  NetworkModel network = NetworkModel::constant(50, 0);
  ProcessingModel processing;
  std::vector<Persona> personas;  // one per node
  std::vector<TimedAction> actions;
  LoadModel load;
  bool log_tx_events = true;      // tx_accepted / tx_rejected lines (large at scale)
  // Mean delay before a peer's batch of transaction announcements goes out (outbound peers;
  // inbound ones wait twice as long). tallyd's default; Bitcoin Core uses 2 s (5 s inbound).
  std::int64_t tx_inv_interval_ms = p2p::NetConfig{}.tx_inv_interval_ms;
  // Keepalive pings every 2 minutes, as Bitcoin Core (tallyd: 30 s). At 10,000 nodes the
  // pings of idle links are most of the events of a blocks-only day.
  std::int64_t ping_interval_ms = 120'000;
  bool compact_relay = true;  // "compact_relay": false relays new blocks whole
  bool verify_signatures_once = true;  // process-wide cache of verified signatures
  // Threads that run the nodes (lanes, sim/simulator.h). Not part of the scenario: the output
  // is the same for any count; only the wall time changes.
  std::size_t threads = 1;  // 1..kMaxThreads
  // Lanes (0: 16 per thread). Also not part of the scenario; tests set 1 to compare the
  // windowed run against one queue.
  std::size_t lanes = 0;

  // Empty when consistent, else what is wrong.
  std::string check() const;
};

}  // namespace tally::sim
