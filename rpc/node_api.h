// What the RPC layer needs from the node. The node (node/) implements it; RPC handlers and
// the HTTP server only see this interface, so rpc/ never includes node/.
//
// Thread-safety: every method may be called from any RPC thread. with_core() serializes the
// call onto the node's core thread, the single owner of chain, mempool and network state.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ledger/chain.h"
#include "ledger/mempool.h"
#include "p2p/net_core.h"

namespace tally::rpc {

class Metrics;

// Published by the core after every tip or mempool change; read without locking the core.
struct TipSnapshot {
  std::uint32_t height = 0;
  ledger::BlockHash hash;
  crypto::Hash256 state_hash;
  std::uint32_t time = 0;
  std::uint32_t bits = 0;
  std::string chain_work_hex;
  std::uint32_t best_header_height = 0;
  std::size_t mempool_size = 0;
  std::size_t mempool_bytes = 0;
  std::size_t peers_in = 0;
  std::size_t peers_out = 0;
};

// References valid only inside a with_core() callback.
struct CoreRefs {
  ledger::Chain& chain;
  ledger::Mempool& mempool;
  p2p::NetCore& net;
  std::int64_t now_ms;
};

struct MiningStatus {
  bool enabled = false;
  unsigned threads = 0;
  std::string miner_address;  // bech32m
  double hashes_per_second = 0;
  std::uint64_t blocks_mined = 0;
};

class NodeApi {
 public:
  virtual ~NodeApi() = default;

  virtual const ledger::ChainSpec& spec() const = 0;
  virtual std::string node_name() const = 0;
  virtual std::int64_t uptime_s() const = 0;
  virtual std::shared_ptr<const TipSnapshot> tip() const = 0;

  // Runs fn on the core thread and waits for it. Returns false (without running fn) when
  // the node is shutting down.
  virtual bool with_core(const std::function<void(CoreRefs&)>& fn) = 0;

  virtual MiningStatus mining_status() const = 0;
  // Turns background mining on or off; threads 0 keeps the current count.
  virtual std::expected<void, std::string> set_mining(bool on, unsigned threads,
                                                      std::optional<crypto::Address> address) = 0;
  // Mines n blocks on the current tip paying `to`, synchronously (devnets).
  virtual std::expected<std::vector<ledger::BlockHash>, std::string> generate(unsigned n,
                                                                              const crypto::Address& to) = 0;

  // Asks the node to shut down cleanly; returns at once.
  virtual void request_stop() = 0;

  virtual Metrics& metrics() = 0;
};

}  // namespace tally::rpc
