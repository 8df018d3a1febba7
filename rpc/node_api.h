// What the RPC layer needs from the node, declared here and implemented by node/ (and by the
// RPC tests' TestNode), so rpc/ never includes node/ and never sees the node's Chain, Mempool
// or NetCore. Every call takes and returns plain values (copies and summaries), never
// references into the node's state; "not found" is an ordinary outcome (an empty optional or
// a status), and a NodeError is a failure of the call itself.
//
// NodeApi gathers the node-wide facts (spec, name, tip snapshot, mining, metrics, stop) and
// three narrow views: ChainView (the block tree and the state at the tip), MempoolView (the
// pool) and NetworkControl (peers, bans, partitions, and local submissions, which the P2P
// core validates and relays).
//
// Thread-safety: every method may be called from any RPC thread, concurrently. Each call of
// ChainView, MempoolView and NetworkControl runs as one step on the node's core thread (the
// single owner of chain, mempool and network state) and waits for it: what one call returns
// is consistent, but the node may change between two calls. Those calls fail with
// NodeError::Kind::kShuttingDown once the node no longer runs core steps. Of the other NodeApi
// methods only generate() goes through the core thread.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "ledger/executor.h"
#include "p2p/messages.h"
#include "p2p/net_events.h"
#include "rpc/ledger_json.h"

namespace tally::rpc {

class EventHub;

class Metrics;

// A call the node could not carry out. RPC answers kShuttingDown with -9 "Shutting down" and
// kChain with -1 "Chain error: <message>".
struct NodeError {
  enum class Kind {
    kShuttingDown,  // the node no longer runs core calls
    kChain,         // the chain's store could not be read or written, or a record is damaged
  };
  Kind kind = Kind::kChain;
  std::string message;
};
template <class T>
using NodeResult = std::expected<T, NodeError>;

// ---- ChainView -------------------------------------------------------------------------

struct ChainInfo {
  BlockSummary tip;
  std::uint32_t best_header_height = 0;  // most-work valid header (where sync is heading)
  std::size_t known_blocks = 0;          // entries of the block tree, every branch
  std::size_t orphan_blocks = 0;         // blocks held until their parent arrives
  ledger::BlockHash genesis;
  bool tx_index = false;
  bool address_index = false;
  std::uint32_t next_bits = 0;       // compact target a child of the tip must meet
  double network_hashes_per_s = 0;   // work of the last 120 blocks over their time span; 0 if none
};

// A block with no children: the tip of a branch.
struct ChainTip {
  std::uint32_t height = 0;
  ledger::BlockHash hash;
  std::uint32_t branch_length = 0;  // blocks above the fork from the active chain (0: active)
  std::string status;               // as BlockSummary::status
};

struct AccountState {
  std::uint64_t balance = 0;
  std::uint64_t nonce = 0;          // at the active tip
  std::uint64_t pending_nonce = 0;  // nonce plus the pooled transactions that continue it
  std::uint32_t height = 0;         // of the tip these figures are at
};

struct StoredBlock {
  BlockSummary summary;
  std::optional<ledger::Block> block;  // nullopt: only the header is known
};

struct TxLookup {
  enum class Status {
    kFound,          // tx is set; block is its block, or nullopt when it is in the mempool
    kNotFound,       // not in the given block, or in neither the mempool nor the index
    kBlockNotFound,  // the given block hash is unknown
    kHeaderOnly,     // the block to read is known by its header only
    kNoTxIndex,      // not in the mempool, and the node keeps no transaction index
  };
  Status status = Status::kNotFound;
  std::optional<ledger::Transaction> tx;
  std::optional<BlockSummary> block;
};

// A confirmed transaction touching an address.
struct AddressTx {
  ledger::TxId txid;
  std::optional<ledger::BlockHash> block;  // with the transaction index only
  std::uint32_t position = 0;              // in that block
  std::optional<std::uint32_t> height;     // of that block, when the block tree knows it
};

// The outcome of invalidate_block / reconsider_block.
enum class BlockMarkOutcome {
  kDone,      // marked (or cleared), and the active chain moved to the best valid branch
  kNotFound,  // no such block in the tree
  kGenesis,   // the genesis block cannot be invalidated
};

// A block for an external miner (getblocktemplate): complete but for the nonce.
struct BlockTemplate {
  ledger::Block block;        // header.nonce 0; txs[0] is the coinbase paying the given address
  std::int64_t min_time = 0;  // the header time must exceed the median time past: this or later
  std::int64_t max_time = 0;  // and lead the node's clock by at most max_future_drift_s
};

// Reads of the block tree and of the ledger state at the active tip; and the test controls
// that act on the block tree (invalidate, reconsider, mock time) and block templates.
class ChainView {
 public:
  virtual ~ChainView() = default;

  // The active tip (BlockSummary) and the block tree's counts and settings.
  [[nodiscard]] virtual NodeResult<ChainInfo> info() const = 0;
  // A known block of any branch (stored or header only); nullopt when the hash is unknown.
  [[nodiscard]] virtual NodeResult<std::optional<BlockSummary>> header(const ledger::BlockHash& hash) const = 0;
  // The active-chain block at `height`; nullopt above the tip.
  [[nodiscard]] virtual NodeResult<std::optional<BlockSummary>> header_at(std::uint32_t height) const = 0;
  // A known block with its stored data; nullopt when the hash is unknown.
  [[nodiscard]] virtual NodeResult<std::optional<StoredBlock>> block(const ledger::BlockHash& hash) const = 0;
  // The tip of every branch, invalid ones too, and the active tip even when it has
  // (headers-only or invalid) children; in no particular order.
  [[nodiscard]] virtual NodeResult<std::vector<ChainTip>> tips() const = 0;
  // Balance and nonce of `address` at the active tip, and its pending nonce.
  [[nodiscard]] virtual NodeResult<AccountState> account(const crypto::Address& address) const = 0;
  // With in_block: that block's copy of txid. Without: the mempool's, else the block the
  // transaction index names (whose `block` may be a stale branch's).
  [[nodiscard]] virtual NodeResult<TxLookup> transaction(const ledger::TxId& txid,
                                                         const std::optional<ledger::BlockHash>& in_block) const = 0;
  // Confirmed transactions touching `address` at heights >= from_height, oldest first, at
  // most `limit`; nullopt when the node keeps no address index.
  [[nodiscard]] virtual NodeResult<std::optional<std::vector<AddressTx>>> address_history(
      const crypto::Address& address, std::uint32_t from_height, std::size_t limit) const = 0;

  // Marks the block invalid with its descendants and moves the active chain to the best
  // valid branch (ledger::Chain::invalidate_block); the mark is kept in the block index.
  [[nodiscard]] virtual NodeResult<BlockMarkOutcome> invalidate_block(const ledger::BlockHash& hash) = 0;
  // Clears such marks on the block, its descendants and ancestors, and moves to the best branch.
  [[nodiscard]] virtual NodeResult<BlockMarkOutcome> reconsider_block(const ledger::BlockHash& hash) = 0;
  // Devnets: the time (seconds) header time checks and block templates use from now on;
  // nullopt returns to the node's clock. The caller checks the chain allows it.
  [[nodiscard]] virtual NodeResult<void> set_mock_time(std::optional<std::int64_t> time_s) = 0;
  // A block on the active tip paying `to`, with the mempool's best transactions.
  [[nodiscard]] virtual NodeResult<BlockTemplate> block_template(const crypto::Address& to) const = 0;
};

// ---- MempoolView -----------------------------------------------------------------------

struct MempoolInfo {
  std::size_t size = 0;
  std::size_t bytes = 0;
  std::size_t ready = 0;   // minable now
  std::size_t future = 0;  // waiting for a nonce gap to fill
  std::size_t max_bytes = 0;
  std::int64_t expiry_ms = 0;
  std::uint64_t min_rbf_fee_bump = 0;
};

struct MempoolEntry {
  ledger::TxId txid;
  ledger::Transaction tx;
  crypto::Address sender;
  std::int64_t added_ms = 0;  // node clock, ms since the Unix epoch
  bool ready = false;         // else future
};

// One pooled transaction with its relatives: the sender's other pooled transactions, those
// with lower nonces (which must be mined first: ancestors) and higher ones (descendants).
// Counts and sums include the transaction itself, as Bitcoin Core's.
struct MempoolEntryDetail {
  MempoolEntry entry;
  std::size_t ancestor_count = 1;
  std::uint64_t ancestor_fees = 0;
  std::size_t descendant_count = 1;
  std::uint64_t descendant_fees = 0;
};

// Whether the pool would accept one transaction (see test_accept).
struct AcceptVerdict {
  bool allowed = false;
  bool ready = false;         // allowed: minable now, else future
  std::string reject_reason;  // not allowed: a short code ("already-in-chain", "stale-nonce", ...)
  bool approximate = false;   // checked alone against the tip (large pool), see test_accept
};

// Reads of the mempool.
class MempoolView {
 public:
  virtual ~MempoolView() = default;

  [[nodiscard]] virtual NodeResult<MempoolInfo> info() const = 0;
  // Every pooled txid, in no particular order.
  [[nodiscard]] virtual NodeResult<std::vector<ledger::TxId>> txids() const = 0;
  // Every pooled transaction with its details, in no particular order.
  [[nodiscard]] virtual NodeResult<std::vector<MempoolEntry>> entries() const = 0;
  // One pooled transaction with its ancestors and descendants; nullopt when not pooled.
  [[nodiscard]] virtual NodeResult<std::optional<MempoolEntryDetail>> entry(const ledger::TxId& txid) const = 0;
  // One verdict per transaction, as if they were submitted in order, without changing the
  // pool. Exact (a copy of the pool accepts them) while the pool is small; in a large pool
  // each is checked on its own against the tip state and the pending nonce, and its verdict
  // says `approximate` (docs/RPC.md, testmempoolaccept).
  [[nodiscard]] virtual NodeResult<std::vector<AcceptVerdict>> test_accept(
      const std::vector<ledger::Transaction>& txs) const = 0;
};

// ---- NetworkControl --------------------------------------------------------------------

struct NetworkInfo {
  std::string user_agent;
  std::uint16_t listen_port = 0;
  std::size_t inbound = 0;
  std::size_t outbound = 0;
  std::size_t max_inbound = 0;
  std::size_t max_outbound = 0;
  bool discovery = false;
  std::size_t banned = 0;
  std::string node_key;  // this node's key on the encrypted transport (66 hex digits); empty: plaintext
  std::size_t allowed_keys = 0;  // allowlist size (0: anyone may connect)
  std::uint64_t handshakes_completed = 0;
  std::uint64_t handshakes_failed = 0;
  std::uint64_t peers_not_allowed = 0;
  std::uint64_t records_rejected = 0;
  std::uint64_t dials_with_key = 0;  // outbound handshakes that authenticated a key known beforehand (XK)
  std::uint64_t bytes_received = 0;  // P2P frames received since start, every message type
  std::uint64_t bytes_sent = 0;      // P2P frames sent since start
  std::int64_t now_ms = 0;           // the node's clock when these were taken
};

// Counters of one connected peer.
struct PeerInfo {
  p2p::PeerId id = 0;
  p2p::NetAddress address;
  bool inbound = false;
  bool established = false;
  std::string user_agent;
  std::uint32_t start_height = 0;
  std::uint32_t best_known_height = 0;
  std::int64_t connected_ms = 0;
  std::int64_t last_ping_rtt_ms = -1;  // -1: no pong yet
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  int misbehaviour = 0;
  std::size_t blocks_in_flight = 0;
  std::string node_key;  // the peer's authenticated key (66 hex digits); empty: plaintext
};

struct Ban {
  std::string key;  // an IP, or "ip:port" for loopback peers (docs/PROTOCOL.md)
  std::int64_t until_ms = 0;
  std::string reason;
};
struct BanList {
  std::vector<Ban> bans;
  std::int64_t now_ms = 0;  // the node's clock when the list was taken
};

// When a new ban ends: at until_ms (ms since the Unix epoch), else duration_ms from now
// (0: the node's default ban duration).
struct BanUntil {
  std::optional<std::int64_t> until_ms;
  std::int64_t duration_ms = 0;
};
enum class BanOutcome { kBanned, kAlreadyBanned, kEndsInThePast };

struct TxSubmitResult {
  enum class Status { kAccepted, kAlreadyInMempool, kAlreadyInChain, kRejected };
  Status status = Status::kAccepted;
  std::string reject_code;     // kRejected: the mempool's code ("bad-signature", "mempool-full", ...)
  std::string reject_message;  // kRejected: human-readable
};

// BIP22 outcomes of submitblock.
struct BlockSubmitResult {
  enum class Status {
    kAccepted,           // stored (and connected if it is on the best branch)
    kDuplicate,          // already stored
    kDuplicateInvalid,   // already stored and known to be invalid
    kOrphan,             // parent unknown: held until it arrives ("inconclusive")
    kRejected,           // breaks a rule, see reject_reason
  };
  Status status = Status::kAccepted;
  std::string reject_reason;  // kRejected: the rule's code ("bad-stateroot", "high-hash", ...) or "rejected"
};

// Commands of the P2P core: peers, bans, partitions, and local submissions, which the core
// validates and then relays to its peers.
class NetworkControl {
 public:
  virtual ~NetworkControl() = default;

  [[nodiscard]] virtual NodeResult<NetworkInfo> info() = 0;
  [[nodiscard]] virtual NodeResult<std::vector<PeerInfo>> peers() = 0;
  // Keeps a connection to `address` open from now on (reconnecting when it drops).
  [[nodiscard]] virtual NodeResult<void> add_peer(const p2p::NetAddress& address) = 0;
  // Stops keeping that connection (a current one stays); false when it was not added.
  [[nodiscard]] virtual NodeResult<bool> remove_peer(const p2p::NetAddress& address) = 0;
  // Dials `address` once, unless connected, being dialed or partitioned away.
  [[nodiscard]] virtual NodeResult<void> connect_once(const p2p::NetAddress& address) = 0;
  // Closes the connection to a peer by id, or to the peer at `address`, giving `reason` (logs,
  // event log); false when no such peer is connected.
  [[nodiscard]] virtual NodeResult<bool> disconnect(p2p::PeerId id, const std::string& reason) = 0;
  [[nodiscard]] virtual NodeResult<bool> disconnect(const p2p::NetAddress& address, const std::string& reason) = 0;
  [[nodiscard]] virtual NodeResult<BanList> bans() = 0;
  // Bans `key` (an IP, or a loopback "ip:port") and drops its peers, unless it is banned
  // already or the ban would end at or before now.
  [[nodiscard]] virtual NodeResult<BanOutcome> ban(const std::string& key, const BanUntil& until,
                                                   const std::string& reason) = 0;
  // Lifts a ban; false when `key` is not banned.
  [[nodiscard]] virtual NodeResult<bool> unban(const std::string& key) = 0;
  // Devnet partitions: refuses and drops connections to these ip:listen_port endpoints from
  // now on, in place of the previous set ({} heals).
  [[nodiscard]] virtual NodeResult<void> set_partition(const std::set<p2p::NetAddress>& endpoints) = 0;
  // Validates a transaction into the mempool and relays it. signature_checked: the caller
  // verified the signature already (a stateless failure is reported by the pool itself).
  [[nodiscard]] virtual NodeResult<TxSubmitResult> submit_transaction(const ledger::Transaction& tx,
                                                                      bool signature_checked) = 0;
  // The same for many, in order, with the effect of one submit_transaction per transaction;
  // a node answers them in one trip to its core. signature_checked is parallel to txs. This
  // default calls submit_transaction for each.
  [[nodiscard]] virtual NodeResult<std::vector<TxSubmitResult>> submit_transactions(
      std::span<const ledger::Transaction> txs, std::span<const bool> signature_checked);
  // Validates and stores a block, moves the active chain to the best branch, and relays it.
  [[nodiscard]] virtual NodeResult<BlockSubmitResult> submit_block(const ledger::Block& block) = 0;
};

// ---- NodeApi ---------------------------------------------------------------------------

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
  // The latest snapshot (null before the first is published); never waits for the core.
  virtual std::shared_ptr<const TipSnapshot> tip() const = 0;
  // The live event stream behind GET /events (rpc/event_hub.h); null: the node has none.
  virtual EventHub* event_hub() { return nullptr; }

  // The views live as long as the node.
  virtual ChainView& chain() = 0;
  virtual MempoolView& mempool() = 0;
  virtual NetworkControl& network() = 0;

  virtual MiningStatus mining_status() const = 0;
  // Turns background mining on or off; threads 0 keeps the current count.
  virtual std::expected<void, std::string> set_mining(bool on, unsigned threads,
                                                      std::optional<crypto::Address> address) = 0;
  // Mines n blocks on the current tip paying `to`, synchronously (devnets).
  virtual std::expected<std::vector<ledger::BlockHash>, std::string> generate(unsigned n,
                                                                              const crypto::Address& to) = 0;

  // Asks the node to shut down cleanly; returns at once.
  virtual void request_stop() = 0;
  // True once a stop was asked for: calls that wait (waitfornewblock) return then.
  virtual bool stopping() const { return false; }

  virtual Metrics& metrics() = 0;

  // Where RPC handlers run parallel work such as the signature checks of a batch of
  // transactions (the node's verification threads, shared with its chain). This default
  // runs it on the calling thread.
  virtual ledger::Executor& verify_executor();
};

}  // namespace tally::rpc
