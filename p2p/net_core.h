// The P2P protocol core of one node: handshakes, keepalive, address gossip, transaction
// relay, headers-first block sync and relay, misbehaviour scoring and bans, over any number
// of peers.
//
// Sans-I/O: the driver (the Asio transport, a test network or the simulator) reports events
// (connected, bytes, disconnected, ticks) with the current time and drains the actions the
// core wants done (send these bytes, close that connection, connect there). Randomness comes
// from the seed. The core owns no socket, thread or clock. Not thread-safe: one driver thread
// calls everything; the Chain and Mempool it is given are used only from that thread.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "ledger/chain.h"
#include "ledger/mempool.h"
#include "p2p/addr_book.h"
#include "p2p/net_config.h"
#include "p2p/net_events.h"

namespace tally::p2p {

struct SendAction {
  PeerId peer;
  std::shared_ptr<const Bytes> frame;  // shared: one block frame goes to many peers
};
struct DisconnectAction {
  PeerId peer;
  std::string reason;
};
struct ConnectAction {
  NetAddress address;
  // The listener's key from the address book, when known: the transport authenticates it
  // (unless it was given a key for this address itself).
  std::optional<crypto::CompressedPublicKey> node_key;
};
using Action = std::variant<SendAction, DisconnectAction, ConnectAction>;

// Counters for metrics and getpeerinfo.
struct PeerStats {
  PeerId id = 0;
  NetAddress address;
  bool inbound = false;
  bool established = false;
  std::string user_agent;
  std::uint32_t start_height = 0;
  std::uint32_t best_known_height = 0;
  std::int64_t connected_ms = 0;
  std::int64_t last_ping_rtt_ms = -1;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  int misbehaviour = 0;
  std::size_t blocks_in_flight = 0;
};

struct BanEntry {
  std::string key;  // an IP, or "ip:port" for loopback peers (see docs/PROTOCOL.md)
  std::int64_t until_ms = 0;
  std::string reason;
};

class NetCore {
 public:
  NetCore(const NetConfig& config, ledger::Chain& chain, ledger::Mempool& mempool, AddrBook& addr_book,
          std::uint64_t seed, std::int64_t now_ms);
  ~NetCore();

  // --- events from the driver -------------------------------------------------------
  // A connection is up (inbound accepted, or the outbound one asked for by a ConnectAction).
  // node_key: the peer's key when an encrypted transport authenticated it; it travels with
  // the peer's address in gossip.
  PeerId on_connected(const NetAddress& remote, bool inbound, std::int64_t now_ms,
                      const std::optional<crypto::CompressedPublicKey>& node_key = std::nullopt);
  // An outbound connection asked for by a ConnectAction failed.
  void on_connect_failed(const NetAddress& remote, std::int64_t now_ms);
  void on_bytes(PeerId peer, ByteSpan bytes, std::int64_t now_ms);
  void on_disconnected(PeerId peer, std::int64_t now_ms);
  // Timers: call at next_deadline_ms() or earlier (any time is fine).
  void on_tick(std::int64_t now_ms);

  // --- local commands ---------------------------------------------------------------
  // A transaction from RPC: validated into the mempool and relayed.
  // signature_checked: the caller has verified the signature (e.g. on an RPC thread).
  [[nodiscard]] std::expected<ledger::AcceptResult, ledger::MempoolError> submit_transaction(
      const ledger::Transaction& tx, std::int64_t now_ms, bool signature_checked = false);
  // A block from the local miner or RPC submitblock.
  [[nodiscard]] std::expected<ledger::BlockAcceptResult, ledger::ChainError> submit_block(const ledger::Block& block,
                                                                                       std::int64_t now_ms);
  // RPC invalidateblock / reconsiderblock (ledger::Chain::invalidate_block and
  // reconsider_block): the mempool, the events and the peers follow the new tip as after a
  // block. A kStore failure also sets fatal_error().
  [[nodiscard]] std::expected<ledger::ChainUpdate, ledger::ChainError> invalidate_block(const BlockHash& hash,
                                                                                       std::int64_t now_ms);
  [[nodiscard]] std::expected<ledger::ChainUpdate, ledger::ChainError> reconsider_block(const BlockHash& hash,
                                                                                       std::int64_t now_ms);
  // Devnet mock time (RPC setmocktime): the time, in seconds, that header and block time
  // checks use instead of the driver's now (nullopt: the driver's now). The protocol's timers
  // keep the driver's clock, so peers are not timed out by a jump.
  void set_mock_time(std::optional<std::int64_t> time_s) { mock_time_s_ = time_s; }
  std::optional<std::int64_t> mock_time() const { return mock_time_s_; }
  // The time blocks are checked against (and templates built for): the mock time, if set,
  // else now_ms in seconds.
  std::int64_t chain_time_s(std::int64_t now_ms) const { return mock_time_s_ ? *mock_time_s_ : now_ms / 1000; }
  void add_peer_address(const NetAddress& address, std::int64_t now_ms);  // RPC addnode add
  // An address learned outside gossip (a --seed given by name, resolved after start): into the
  // address book like the seeds of NetConfig, dialled when an outbound slot is free.
  void add_known_address(const NetAddress& address, std::int64_t now_ms);
  // Stops keeping a connection to a fixed peer (the current connection stays). False when it
  // was not a fixed peer.
  bool remove_peer_address(const NetAddress& address);
  // Dials the address once, unless already connected (RPC addnode onetry).
  void connect_once(const NetAddress& address, std::int64_t now_ms);
  bool disconnect(PeerId peer, const std::string& reason);
  void ban(const std::string& key, std::int64_t until_ms, const std::string& reason);
  bool unban(const std::string& key);
  // Devnet partitions: refuse and drop connections to these endpoints (ip:listen_port).
  void set_blocked(const std::set<NetAddress>& endpoints, std::int64_t now_ms);

  // --- outputs ----------------------------------------------------------------------
  // An optional fine clock (microseconds) for stamping events as they happen, so measured
  // propagation delays are not rounded to the driver's millisecond time or to when events are
  // drained. The protocol logic never reads it.
  void set_event_clock(std::function<std::int64_t()> clock_us) { event_clock_us_ = std::move(clock_us); }
  std::vector<Action> take_actions();
  std::vector<NetEvent> take_events();
  std::int64_t next_deadline_ms() const;

  // --- queries ----------------------------------------------------------------------
  std::vector<PeerStats> peer_stats() const;
  std::vector<BanEntry> bans() const;
  // Where the peer accepts connections: the dialed address for outbound peers, the remote IP
  // with the port of its version message for inbound ones (nullopt before that arrives).
  std::optional<NetAddress> peer_listen_endpoint(PeerId peer) const;
  std::size_t peer_count() const { return peers_.size(); }
  // Bytes received and sent per message type (index = MessageType value), whole frames.
  struct Traffic {
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
  };
  const std::array<Traffic, kLastMessageType + 1>& traffic() const { return traffic_; }
  // Compact block relay, since start (/metrics).
  struct CompactStats {
    std::uint64_t blocks_received = 0;     // cmpctblock messages for blocks we lacked
    std::uint64_t reconstructed = 0;       // rebuilt without a round trip
    std::uint64_t round_trips = 0;         // rebuilt after getblocktxn
    std::uint64_t fallbacks = 0;           // full block asked for (collision, wrong root, bad answer)
    std::uint64_t txs_from_pool = 0;       // slots filled from the mempool or recent txs (hits)
    std::uint64_t txs_requested = 0;       // slots asked for with getblocktxn (misses)
    std::uint64_t blocks_sent = 0;         // cmpctblock messages sent
  };
  const CompactStats& compact_stats() const { return compact_stats_; }
  std::size_t inbound_count() const;
  std::size_t outbound_count() const;
  std::uint64_t local_nonce() const { return local_nonce_; }
  const ledger::Chain& chain() const { return chain_; }
  const ledger::Mempool& mempool() const { return mempool_; }
  // Inbound peers evicted to make room for new ones since start.
  std::uint64_t inbound_evictions() const { return inbound_evictions_; }
  const NetConfig& config() const { return config_; }
  // The port advertised in version messages, for a listen port the transport chose (0 in the
  // config = any free port). REQUIRES: no peer has connected yet.
  void set_listen_port(std::uint16_t port) { config_.listen_port = port; }
  // Set when the store failed: the node must stop (the ledger on disk is still consistent).
  const std::optional<std::string>& fatal_error() const { return fatal_error_; }

 private:
  struct Peer;
  struct PeerQueue;

  // Connection lifecycle (net_core.cpp)
  void send(Peer& p, const Message& m);
  void send_frame(Peer& p, std::shared_ptr<const Bytes> frame);
  void drop(Peer& p, const std::string& reason);
  void misbehave(Peer& p, int points, const std::string& why);
  std::string ban_key(const Peer& p) const;
  bool is_banned(const std::string& key, std::int64_t now_ms) const;
  void handle_message(Peer& p, Message&& m, std::int64_t now_ms);
  void on_version(Peer& p, const VersionMsg& m, std::int64_t now_ms);
  void on_verack(Peer& p, std::int64_t now_ms);
  void on_established(Peer& p, std::int64_t now_ms);
  void tick_connections(std::int64_t now_ms);  // the connection timers that are due
  void schedule_connection_timer(Peer& p, std::int64_t at_ms);
  void fill_outbound(std::int64_t now_ms);
  // A ConnectAction for `address`, with its key from the address book.
  void dial(const NetAddress& address);

  // Addresses (net_addr.cpp)
  void on_getaddr(Peer& p);
  void on_addr(Peer& p, const AddrMsg& m, std::int64_t now_ms);
  // Sends addresses new to this node on to kAddrRelayFanout random established peers.
  void relay_addresses(const std::vector<AddrEntry>& fresh, PeerId except);
  static constexpr std::size_t kAddrRelayFanout = 2;

  // Inbound eviction (net_evict.cpp)
  Peer* select_inbound_to_evict(PeerId newcomer);
  std::uint64_t inbound_evictions_ = 0;
  // Block hashes this node does not know that one inv may carry before it costs 50 points.
  static constexpr std::size_t kMaxUnknownBlockAnnouncements = 16;

  // Transactions (net_tx.cpp)
  void on_inv(Peer& p, const InvMsg& m, std::int64_t now_ms);
  void on_getdata(Peer& p, const GetDataMsg& m);
  void on_notfound(Peer& p, const NotFoundMsg& m);
  void on_tx(Peer& p, const TxMsg& m, std::int64_t now_ms);
  void accept_tx(const ledger::Transaction& tx, Peer* from, std::int64_t now_ms);
  void queue_tx_announcement(const ledger::TxId& txid, PeerId except);
  // Adds a transaction to the peer's next inv, scheduling the flush when the batch was empty.
  void add_tx_to_announce(Peer& p, const ledger::TxId& txid);
  void flush_tx_announcements(Peer& p, std::int64_t now_ms);
  void flush_due_announcements(std::int64_t now_ms);

  // Compact blocks (net_compact.cpp)
  void on_sendcmpct(Peer& p, const SendCmpctMsg& m);
  void on_cmpctblock(Peer& p, const CmpctBlockMsg& m, std::int64_t now_ms);
  void on_getblocktxn(Peer& p, const GetBlockTxnMsg& m);
  void on_blocktxn(Peer& p, BlockTxnMsg&& m, std::int64_t now_ms);
  // The partial block of p is complete: checks its merkle root, relays it on to the peers
  // that asked for compact blocks, then validates it (or falls back to the full block).
  void finish_compact(Peer& p, std::int64_t now_ms);
  void request_full_block(Peer& p, const BlockHash& hash, std::int64_t now_ms);
  void release_compact_request(Peer& p, const BlockHash& hash);
  void remember_extra_tx(const ledger::TxId& txid, const ledger::Transaction& tx);

  // Blocks and sync (net_sync.cpp)
  void on_getheaders(Peer& p, const GetHeadersMsg& m);
  void on_headers(Peer& p, HeadersMsg&& m, std::int64_t now_ms);
  void on_block(Peer& p, BlockMsg&& m, std::int64_t now_ms);
  // via_compact: rebuilt from a cmpctblock whose header was valid; a body that fails
  // validation then costs the peer nothing (BIP152's rule, docs/DECISIONS.md).
  std::expected<ledger::BlockAcceptResult, ledger::ChainError> process_block(const ledger::Block& block, Peer* from,
                                                                               std::int64_t now_ms,
                                                                               bool via_compact = false);
  // A header a peer sent: stored, or the peer scored (invalid) and nullptr.
  const ledger::BlockEntry* accept_peer_header(Peer& p, const ledger::BlockHeader& h, std::int64_t now_ms);
  void after_chain_update(const ledger::ChainUpdate& update, std::int64_t now_ms);
  void announce_tip(const ledger::Block* pushed_block, std::int64_t now_ms);
  void request_headers(Peer& p);
  void request_blocks(std::int64_t now_ms);
  void tick_block_requests(std::int64_t now_ms);
  bool commit_headers(Peer& p, const std::vector<ledger::BlockHeader>& headers, std::int64_t now_ms);

  void emit(std::int64_t now_ms, NetEventBody body);

  NetConfig config_;
  ledger::Chain& chain_;
  ledger::Mempool& mempool_;
  AddrBook& addr_book_;
  std::mt19937_64 rng_;
  std::uint64_t local_nonce_;
  std::int64_t now_ms_;
  // When the once-a-second housekeeping tick is due. Anchored at the last tick, not at now_ms_:
  // a driver that re-arms its timer after every event would otherwise postpone the tick forever
  // while messages or mined blocks keep arriving more often than once a second.
  std::int64_t next_tick_ms_;
  // Per-connection deadlines (handshake timeout, ping due, ping timeout) by when they are due;
  // lazy: an entry whose peer is gone or has a newer timer_due_ms is skipped. Neither ticks
  // nor next_deadline_ms() walk every peer (a hub has thousands): the cost of a tick is the
  // work that is due, not the number of peers.
  std::priority_queue<std::pair<std::int64_t, PeerId>, std::vector<std::pair<std::int64_t, PeerId>>, std::greater<>>
      connection_timers_;
  bool housekeeping_idle_ = false;  // fill_outbound found nothing to do (see there)
  // Peers with a non-empty inv batch, by when it is due (lazy: entries of peers gone are
  // skipped). PeerIds are never reused.
  std::priority_queue<std::pair<std::int64_t, PeerId>, std::vector<std::pair<std::int64_t, PeerId>>, std::greater<>>
      inv_due_;

  std::map<PeerId, std::unique_ptr<Peer>> peers_;
  std::size_t live_inbound_ = 0;   // peers not disconnecting, by direction
  std::size_t live_outbound_ = 0;
  PeerId next_peer_id_ = 1;
  std::vector<Action> actions_;
  std::vector<NetEvent> events_;
  std::set<NetAddress> pending_connects_;
  std::map<NetAddress, std::int64_t> fixed_next_try_ms_;
  std::set<NetAddress> blocked_;
  std::map<std::string, BanEntry> bans_;

  // Block download: hash -> (peer, deadline)
  struct BlockRequest {
    PeerId peer;
    std::int64_t deadline_ms;
  };
  std::unordered_map<BlockHash, BlockRequest> blocks_in_flight_;
  // Transactions asked for: txid -> peer
  std::unordered_map<ledger::TxId, PeerId> txs_in_flight_;
  std::int64_t next_expiry_check_ms_ = 0;
  BlockHash last_announced_tip_;
  std::optional<std::string> fatal_error_;
  std::optional<std::int64_t> mock_time_s_;  // see set_mock_time
  std::array<Traffic, kLastMessageType + 1> traffic_{};
  CompactStats compact_stats_;
  // Rebuilt compact blocks already relayed on, validated at the next tick (due at once): the
  // driver sends the relayed frames first, so relay does not wait for validation.
  struct PendingBlock {
    ledger::Block block;
    PeerId from;
  };
  std::deque<PendingBlock> pending_compact_;
  void validate_pending_compact(std::int64_t now_ms);
  std::deque<std::pair<ledger::TxId, ledger::Transaction>> extra_txs_;  // recently accepted, for reconstruction
  std::function<std::int64_t()> event_clock_us_;
};

}  // namespace tally::p2p
