// Node: the composition root of tallyd. It owns the datadir lock, the RocksDB store, the
// chain, mempool, address book, the P2P core and its Asio transport (all on one core thread
// running an io_context), the RPC server (its own threads), the miner and the event log,
// and implements rpc::NodeApi for the RPC layer (its chain, mempool and network views run on
// the core thread: node/core_views.h).
//
// Lifecycle: start() once (returns an error for any bad configuration or datadir), then
// wait_for_stop() until a signal or the RPC "stop" arrives, then shutdown() (idempotent),
// which stops mining, closes peers, flushes the address book and ban list, removes the
// cookie and releases the datadir.
#pragma once

#include <atomic>
#include <condition_variable>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "node/config.h"
#include "rpc/node_api.h"

namespace tally::node {

struct CoreParts;

class Node final : public rpc::NodeApi {
 public:
  explicit Node(NodeConfig config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  [[nodiscard]] std::expected<void, std::string> start();
  // Blocks until request_stop() is called (by a signal handler thread or RPC).
  void wait_for_stop();
  void shutdown();

  // Why the node stopped by itself (a store failure: a full disk, a corrupt record; the core
  // thread's death), or nullopt after an ordinary stop. tallyd exits non-zero with it.
  std::optional<std::string> failure() const;

  std::uint16_t p2p_port() const { return p2p_port_; }
  std::uint16_t rpc_port() const { return rpc_port_; }
  const std::filesystem::path& datadir() const { return datadir_; }

  // rpc::NodeApi
  const ledger::ChainSpec& spec() const override;
  std::string node_name() const override { return name_; }
  std::int64_t uptime_s() const override;
  std::shared_ptr<const rpc::TipSnapshot> tip() const override;
  rpc::ChainView& chain() override;
  rpc::MempoolView& mempool() override;
  rpc::NetworkControl& network() override;
  rpc::MiningStatus mining_status() const override;
  std::expected<void, std::string> set_mining(bool on, unsigned threads,
                                              std::optional<crypto::Address> address) override;
  std::expected<std::vector<ledger::BlockHash>, std::string> generate(unsigned n, const crypto::Address& to) override;
  void request_stop() override;
  bool stopping() const override;
  rpc::Metrics& metrics() override;
  rpc::EventHub* event_hub() override;
  ledger::Executor& verify_executor() override;

 private:
  struct Core;

  // start(), step by step, in this order; each returns why the node cannot start.
  std::expected<void, std::string> resolve_spec_and_datadir();  // chain spec, datadir and its lock
  std::expected<void, std::string> open_log();                  // debug.log, and stderr if asked
  std::expected<void, std::string> check_rpc_exposure();        // RPC beyond loopback needs --rpcallowip
  std::expected<void, std::string> resolve_miner_address();     // --mineraddress or the spec's first account
  std::expected<void, std::string> open_ledger();               // RocksDB store, chain, mempool
  void restore_address_book(std::uint64_t seed);                // peers.dat, or a fresh book
  std::expected<void, std::string> load_transport_keys();       // nodekey, --peerallow(file)
  std::expected<void, std::string> make_net_core(std::uint64_t seed);  // P2P core from the peer flags
  void restore_bans();                                          // banlist.dat, expired bans dropped
  std::expected<void, std::string> start_transport();           // Asio transport: listen, learn the port
  std::expected<void, std::string> open_event_log();            // events.jsonl when --eventlog
  std::expected<void, std::string> start_rpc();                 // RPC server on its own threads
  void start_core_thread();                                     // the io_context's thread
  void start_peer_names();                                      // resolver thread for peers given by name
  void start_miner();                                           // miner threads (idle unless --mine)
  void write_node_json();                                       // where to find this node
  std::uint16_t configured_p2p_port() const;                    // --port, else the spec's default

  // Runs fn on the core thread (inline when called from it) and waits; false when stopping.
  bool with_core(const std::function<void(CoreParts&)>& fn);
  void on_core_activity();  // core thread: events, metrics, snapshot
  void publish_snapshot();  // core thread
  std::optional<ledger::Block> build_template(const crypto::Address& to);
  void save_peers();        // core thread
  void fail(const std::string& why);  // records the first failure and asks for a stop

  NodeConfig config_;
  std::filesystem::path datadir_;
  std::string name_;
  std::unique_ptr<Core> core_;
  std::uint16_t p2p_port_ = 0;
  std::uint16_t rpc_port_ = 0;
  std::int64_t started_ms_ = 0;
  std::atomic<std::shared_ptr<const rpc::TipSnapshot>> snapshot_;
  mutable std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_requested_ = false;
  std::optional<std::string> failure_;  // guarded by stop_mu_
  std::atomic<bool> stopping_{false};
  bool shut_down_ = false;
};

}  // namespace tally::node
