// The block tree and the active chain, persisted in a Store.
//
// Chain accepts headers and blocks in any order, keeps every branch (stale ones too), and
// always makes the valid branch with the most cumulative work active (ties: the tip seen
// first). Switching branches disconnects blocks with their undo data and connects the new
// ones, each as one atomic write batch. Blocks that break a rule are marked invalid with
// all their descendants and never retried. Sans-I/O apart from the Store: the current time
// is passed in. Not thread-safe: one owner thread calls everything. Signatures are checked
// on an Executor (ChainOptions::executor) while the owner thread applies and writes the
// block.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ledger/block_index.h"
#include "ledger/block_rules.h"
#include "ledger/chain_records.h"
#include "ledger/chain_spec.h"
#include "ledger/sig_verifier.h"
#include "ledger/state_hash.h"
#include "ledger/store.h"

namespace tally::ledger {

struct ChainOptions {
  bool tx_index = true;        // txid -> (block, position)
  bool address_index = true;   // address -> its transactions by height
  // Where signatures are verified. Not owned: it must outlive the chain, and may be shared
  // by any number of chains and searchers (a ThreadPool, or an InlineExecutor for a
  // deterministic simulator). Null: the chain makes its own, with verify_threads threads
  // in all, the chain's own thread included (a ThreadPool of verify_threads - 1 workers,
  // or none for 1).
  Executor* executor = nullptr;
  unsigned verify_threads = 1; // signature verification threads (including the caller); without executor only
  std::size_t max_orphan_blocks = 256;
};

struct ChainError {
  enum class Kind {
    kInvalid,       // the block or header breaks a rule (see failure)
    kStore,         // reading or writing the store failed; the node should stop
    kWrongGenesis,  // the datadir belongs to another chain
    kWrongSchema,   // the datadir was written by an incompatible version
    kCorrupt,       // a stored record is damaged or inconsistent
    kUnknownBlock,  // invalidate_block / reconsider_block: no such block in the tree
    kRefused,       // the request does not apply (invalidating genesis)
  } kind;
  std::string message;
  std::optional<BlockFailure> failure;  // for kInvalid
};

// What a call changed about the active chain.
struct ChainUpdate {
  std::vector<const BlockEntry*> disconnected;  // old tip first
  std::vector<const BlockEntry*> connected;     // in height order
  std::vector<std::shared_ptr<const Block>> connected_blocks;  // parallel to connected
  std::vector<Transaction> disconnected_txs;    // transfers of disconnected blocks
  // Found invalid on connect, or orphans found invalid once their parent arrived.
  std::vector<std::pair<BlockHash, BlockFailure>> invalidated;
  bool tip_changed() const { return !connected.empty() || !disconnected.empty(); }
  std::size_t reorg_depth() const { return disconnected.size(); }
};

enum class AcceptStatus {
  kAccepted,   // stored (and connected if it is on the best branch)
  kDuplicate,  // already had it
  kOrphan,     // parent unknown; held until the parent arrives
};

struct BlockAcceptResult {
  AcceptStatus status = AcceptStatus::kAccepted;
  const BlockEntry* entry = nullptr;  // for kAccepted and kDuplicate
  ChainUpdate update;
};

class Chain {
 public:
  // Opens the chain in `store`, writing genesis into an empty store. Refuses a store made
  // for another genesis or schema, and one whose tip and state commitment disagree.
  [[nodiscard]] static std::expected<std::unique_ptr<Chain>, ChainError> open(const ChainSpec& spec, Store& store,
                                                                              const ChainOptions& options);
  ~Chain();
  Chain(const Chain&) = delete;
  Chain& operator=(const Chain&) = delete;

  // Validates a header (PoW, parent, height, bits, time) and adds it to the tree.
  [[nodiscard]] std::expected<const BlockEntry*, ChainError> accept_header(const BlockHeader& header,
                                                                           std::int64_t now_s);
  // Validates and stores a block, then moves the active chain to the best valid branch.
  [[nodiscard]] std::expected<BlockAcceptResult, ChainError> accept_block(const Block& block, std::int64_t now_s);

  // Marks the block `hash` invalid and its descendants invalid-child (Bitcoin Core's
  // invalidateblock), disconnecting them first if they are active, then activates the best
  // branch that remains valid. The marks are written to the block index, so they survive a
  // restart. Errors: kUnknownBlock, kRefused for genesis, kStore/kCorrupt.
  [[nodiscard]] std::expected<ChainUpdate, ChainError> invalidate_block(const BlockHash& hash);
  // Clears the invalid marks of `hash`, its descendants and its ancestors (Bitcoin Core's
  // reconsiderblock), then activates the best branch, which is the reconsidered one when it
  // has more work. A block that really breaks a rule is found invalid again when connected
  // (reported in ChainUpdate::invalidated). Errors: kUnknownBlock, kStore/kCorrupt.
  [[nodiscard]] std::expected<ChainUpdate, ChainError> reconsider_block(const BlockHash& hash);

  const ChainSpec& spec() const { return spec_; }
  const BlockEntry& tip() const { return *active_.back(); }
  const BlockEntry& genesis() const { return *active_.front(); }
  std::uint32_t height() const { return tip().height(); }
  const BlockEntry* find(const BlockHash& hash) const;
  // Active chain block at `height`, or nullptr above the tip.
  const BlockEntry* at_height(std::uint32_t height) const;
  bool is_active(const BlockEntry& e) const { return e.in_active_chain; }
  // The most-work header that is not known to be invalid (its block may not be stored
  // yet): where headers-first sync is heading.
  const BlockEntry& best_header() const { return *best_header_; }
  // Block locator of the active chain: tip, then back 1, 2, 4, ... blocks, ending at genesis.
  std::vector<BlockHash> locator() const;
  // The newest locator hash on the active chain (genesis when none is).
  const BlockEntry& find_fork(const std::vector<BlockHash>& locator) const;
  // Every block with no children (tips of every branch, including invalid ones).
  std::vector<const BlockEntry*> tips() const;
  std::size_t block_count() const { return entries_.size(); }
  std::size_t orphan_count() const { return orphan_order_.size(); }

  [[nodiscard]] std::expected<std::optional<Block>, ChainError> read_block(const BlockHash& hash) const;
  // Account state at the active tip.
  [[nodiscard]] std::expected<Account, ChainError> account(const crypto::Address& address) const;
  const StateView& state() const;
  crypto::Hash256 state_hash() const { return tip().header.state_root; }
  // Transaction index lookup (nullopt when unknown or the index is off).
  [[nodiscard]] std::expected<std::optional<TxLocation>, ChainError> find_transaction(const TxId& txid) const;
  // Transactions touching `address` at heights >= from_height, oldest first, at most limit.
  [[nodiscard]] std::expected<std::vector<TxId>, ChainError> address_history(const crypto::Address& address,
                                                                              std::uint32_t from_height,
                                                                              std::size_t limit) const;
  const ChainOptions& options() const { return options_; }

  // Records that `txid`'s signature verified (e.g. on mempool entry), so connecting a block
  // that contains it skips the check. Bounded (the oldest are forgotten).
  void note_verified(const TxId& txid);

  // Median time of `e` and its 10 ancestors.
  static std::int64_t median_time_past(const BlockEntry& e);
  // The bits a child of `parent` must carry.
  std::uint32_t next_bits(const BlockEntry& parent) const;
  // Header template for a child of the tip: height, prev, bits, time >= max(mtp+1, now_s).
  BlockHeader next_header(std::int64_t now_s) const;
  // State root after applying `block`'s transactions to the tip's state (for block
  // templates), or the rule the transactions break.
  [[nodiscard]] std::expected<crypto::Hash256, BlockFailure> state_root_after(const Block& block) const;

 private:
  class StoreStateView;
  Chain(const ChainSpec& spec, Store& store, const ChainOptions& options);

  std::expected<void, ChainError> initialize_or_load();
  std::expected<void, ChainError> write_genesis();
  BlockEntry* add_entry(const BlockHeader& header, std::uint8_t status, std::uint64_t sequence);
  std::expected<BlockEntry*, ChainError> accept_header_internal(const BlockHeader& header, std::int64_t now_s);
  std::expected<BlockAcceptResult, ChainError> accept_one_block(const Block& block, std::int64_t now_s);
  void mark_chain_data(BlockEntry* e);
  std::expected<void, ChainError> activate_best_chain(ChainUpdate& update);
  std::expected<bool, ChainError> connect_tip(BlockEntry* e, ChainUpdate& update);
  std::expected<void, ChainError> disconnect_tip(ChainUpdate& update);
  std::expected<void, ChainError> check_unverified_tip();
  // The verifier's job: the signatures of one block's transactions that this node has not
  // already checked. At most one runs; it is started by accept_one_block when the block
  // extends the tip (so checking and storing it overlap the verification) or by connect_tip.
  struct SignatureJob {
    BlockHash hash;
    std::shared_ptr<const Block> block;
    bool all;                                 // every transfer (none was checked before)
    std::vector<Transaction> unchecked;       // otherwise: those not checked yet
    std::vector<std::size_t> unchecked_pos;   // and their block positions
  };
  void start_signature_job(const BlockHash& hash, std::shared_ptr<const Block> block, std::span<const TxId> ids);
  // Waits for the job (if any) and ends it: the failure of a bad signature, if one is bad.
  std::optional<BlockFailure> finish_signature_job();
  // Puts (or, with erase, deletes) the transaction and address index records of `block`.
  void index_records(WriteBatch& batch, const BlockEntry& e, const Block& block, std::span<const TxId> ids,
                     std::span<const crypto::Address> senders, bool erase) const;
  std::expected<void, ChainError> mark_invalid(BlockEntry* e, const BlockFailure& failure, ChainUpdate& update);
  // Marks e failed and its descendants failed-child, out of the candidates, written to the index.
  std::expected<void, ChainError> mark_failed(BlockEntry* e);
  void hold_orphan(const Block& block);
  void recompute_best_header();

  struct WorkOrder {
    bool operator()(const BlockEntry* a, const BlockEntry* b) const {
      if (a->chain_work != b->chain_work) return a->chain_work > b->chain_work;
      if (a->sequence != b->sequence) return a->sequence < b->sequence;
      return a < b;
    }
  };

  ChainSpec spec_;
  Store& store_;
  ChainOptions options_;
  std::unique_ptr<Executor> own_executor_;  // when options_.executor is null; outlives verifier_
  SignatureVerifier verifier_;
  std::unique_ptr<StoreStateView> state_view_;
  std::unordered_map<BlockHash, std::unique_ptr<BlockEntry>> entries_;
  std::vector<BlockEntry*> active_;  // active_[h] = active block at height h
  std::set<BlockEntry*, WorkOrder> candidates_;  // chain_has_data and not failed
  BlockEntry* best_header_ = nullptr;
  // The block accept_block is activating, so connect_tip need not read it back.
  struct JustStored {
    BlockHash hash;
    std::shared_ptr<const Block> block;
    std::vector<TxId> txids;  // and it passed check_block_body
  };
  std::optional<JustStored> just_stored_;
  std::optional<SignatureJob> job_;
  std::unordered_set<TxId> verified_;  // see note_verified()
  std::deque<TxId> verified_order_;
  StateHash state_hash_;  // lanes of the active tip's state
  std::uint64_t next_sequence_ = 0;
  // Orphans by parent hash, bounded; oldest evicted first.
  std::multimap<BlockHash, Block> orphans_;
  std::deque<BlockHash> orphan_order_;  // block hashes in arrival order
};

}  // namespace tally::ledger
