// One simulated node: the same ledger and protocol cores as tallyd (Chain on an in-memory
// Store, Mempool, AddrBook, NetCore), plus the simulator's bookkeeping for it (region, link
// queues, busy time, connections, log buffer). Owned and driven by the thread of its lane
// (sim/simulator.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "ledger/chain.h"
#include "ledger/mempool.h"
#include "ledger/store.h"
#include "p2p/addr_book.h"
#include "p2p/net_core.h"
#include "sim/sim_config.h"

namespace tally::sim {

struct SimLink;  // sim/sim_internal.h

struct SimNode {
  std::size_t index = 0;
  std::string name;              // "node<index>"
  p2p::NetAddress address;       // where it listens (a virtual IPv4 of its own /16)
  std::uint32_t region = 0;
  Persona persona;
  std::uint64_t seed = 0;        // this node's seed, derived from the run's
  std::uint32_t boot = 0;        // incremented at every start, so stale events are ignored

  // The node's state (kept across an offline window unless it comes back empty).
  std::unique_ptr<ledger::Store> store;
  std::unique_ptr<ledger::Chain> chain;
  std::unique_ptr<p2p::AddrBook> book;
  // Rebuilt at every start, as tallyd's are.
  std::unique_ptr<ledger::Mempool> mempool;
  std::unique_ptr<p2p::NetCore> core;
  bool online = false;

  // Simulator bookkeeping.
  std::int64_t tick_at_us = -1;     // the pending timer event (others are stale)
  std::int64_t busy_until_us = 0;   // processing time: frames wait until then
  std::int64_t up_free_us = 0;      // upload link busy until
  std::map<p2p::PeerId, SimLink*> links;  // the node's connections
  std::uint64_t next_key = 0;       // events this node made (their order among equal times)
  std::uint64_t net_random = 0;     // splitmix64 state of its frames' jitter and loss
  std::uint32_t next_ephemeral = 0; // its dials' source ports
  std::string log;                  // events.jsonl lines not yet written
  std::uint64_t blocks_mined = 0;
  std::uint64_t reorgs = 0;         // reorg events of its chain
};

}  // namespace tally::sim
