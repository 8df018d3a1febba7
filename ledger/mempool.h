// The mempool: transfers that passed the transaction rules and wait for a block.
//
// Per sender, transactions are kept by nonce. The ones whose nonces continue the sender's
// account nonce without a gap, and whose cumulative amount + fee the balance covers, are
// "ready" (minable now, in nonce order); the others wait as "future" until the gap fills.
// Across senders the order is fee rate (every transfer is 144 bytes, so fee rate == fee).
// The same (sender, nonce) can be replaced by paying at least min_rbf_fee_bump more. The
// pool is bounded in bytes: when full, the lowest-fee tail of some sender's chain (its
// highest nonce, so no chain gets a gap) is evicted for a newcomer that pays more. Entries
// expire after expiry_ms. After each tip change the pool re-validates against the new state.
//
// Sans-I/O: time enters as now_ms, state as a StateView; no clock, no randomness.
// Thread-safety: none. One owner (the node's core thread) calls every method; other
// threads read published snapshots instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ledger/block.h"
#include "ledger/chain_spec.h"
#include "ledger/state_view.h"
#include "ledger/transaction.h"
#include "ledger/tx_rules.h"

namespace tally::ledger {

struct MempoolOptions {
  std::size_t max_bytes = std::size_t{64} << 20;  // 144 bytes per transaction
  std::size_t max_future_per_sender = 64;
  std::size_t max_future_total = 10000;
  std::int64_t expiry_ms = std::int64_t{3} * 60 * 60 * 1000;
  Amount min_rbf_fee_bump = 1;  // a replacement pays at least old fee + this
  // An expired txid is refused for expiry_ms more, so that peers relaying it back do not
  // keep it alive forever. At most this many are remembered (oldest forgotten first).
  std::size_t max_expired_remembered = 10000;
};

enum class MempoolReject {
  kInvalid,                    // a transaction rule failed; MempoolError::tx_error says which
  kAlreadyKnown,               // this txid is already in the pool
  kNonceTooLow,                // nonce below the sender's account nonce (stale)
  kReplacementFeeTooLow,       // same (sender, nonce) as a pooled tx without a high enough fee
  kFutureNonceLimit,           // too many future-nonce transactions (per sender or in total)
  kMempoolFull,                // pool full and the fee does not beat anything evictable
  kInsufficientFundsForChain,  // balance does not cover this plus the sender's earlier pending txs
  kExpired,                    // this txid expired from the pool recently
};
// Short stable code for RPC errors, logs and metrics, e.g. "mempool-full".
const char* reason_code(MempoolReject r);
// Human-readable explanation.
const char* to_string(MempoolReject r);

struct MempoolError {
  MempoolReject reason = MempoolReject::kInvalid;
  std::optional<TxError> tx_error;  // set exactly when reason == kInvalid

  // The transaction rule's code for kInvalid (e.g. "bad-signature"), else the pool's.
  const char* reason_code() const;
  std::string message() const;
  friend bool operator==(const MempoolError&, const MempoolError&) = default;
};

enum class TxQueue { kReady, kFuture };

struct AcceptResult {
  TxId txid;
  TxQueue queue = TxQueue::kReady;
  std::optional<TxId> replaced;  // the tx this one replaced by fee
  std::vector<TxId> promoted;    // future txs of the same sender that became ready
  std::vector<TxId> removed;     // txs dropped to make this one fit (eviction, unfundable followers)
};

// What a tip change did to the pool.
struct TipUpdate {
  std::vector<TxId> included;  // connected: pooled txs that the block contains
  std::vector<TxId> readded;   // disconnected: block txs that are back in the pool
  std::vector<TxId> removed;   // no longer valid (stale nonce, unfundable, conflict, limits)
  std::vector<TxId> promoted;  // future txs that became ready
};

struct MempoolTxInfo {
  Transaction tx;
  Address sender;
  std::int64_t added_ms = 0;
  TxQueue queue = TxQueue::kReady;
};

class Mempool {
 public:
  explicit Mempool(ChainSpec spec, MempoolOptions options = {});

  // Validates `tx` against the transaction rules and `tip_state` (the committed state of the
  // current tip) and adds it. signature_checked skips the signature (already verified by a
  // batch verifier). O(log n) apart from rare re-validation of the sender's own chain.
  // Callers report every tip change (on_block_connected / on_blocks_disconnected); if the
  // sender's account in tip_state still differs from what the pool saw, the sender is
  // re-validated first, and what that drops is reported only when tx is accepted.
  [[nodiscard]] std::expected<AcceptResult, MempoolError> accept(const Transaction& tx, const StateView& tip_state,
                                                                 std::int64_t now_ms, bool signature_checked = false);

  // Drops transactions pooled for expiry_ms or longer, with their sender's later ones.
  std::vector<TxId> expire(std::int64_t now_ms);

  // The block became the tip and new_tip_state is the state after it: drops the block's
  // transactions, then re-validates every sender against the new state.
  TipUpdate on_block_connected(const Block& block, const StateView& new_tip_state);
  // Blocks were disconnected in a reorg: their transactions (any order; coinbases skipped)
  // come back when still valid against new_tip_state, then every sender is re-validated.
  // Signatures are not re-checked: these transactions were verified when connected.
  // After a reorg that also connected blocks, passing the final tip's state to this call and
  // to each on_block_connected is correct: every call leaves the pool consistent with the
  // state it is given (block txs of the new branch come back as stale and are skipped).
  TipUpdate on_blocks_disconnected(std::span<const Transaction> txs, const StateView& new_tip_state,
                                   std::int64_t now_ms);

  // Up to max_txs transfers for a block template on top of tip_state (the coinbase is not
  // included: pass max_block_txs - 1). Highest fee first across senders, each sender in nonce
  // order; every transaction is valid when applied in the returned order.
  std::vector<Transaction> select_for_block(const StateView& tip_state, std::size_t max_txs) const;

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return entries_.size() * Transaction::kSize; }
  std::size_t ready_count() const { return ready_total_; }
  std::size_t future_count() const { return entries_.size() - ready_total_; }
  bool contains(const TxId& txid) const { return entries_.contains(txid); }
  std::optional<Transaction> get(const TxId& txid) const;
  std::optional<MempoolTxInfo> info(const TxId& txid) const;
  // The nonce a new transaction of `address` should carry: its account nonce in `tip_state`
  // plus its pooled transactions that continue it without a gap.
  std::uint64_t pending_nonce(const Address& address, const StateView& tip_state) const;
  // Every pooled txid, in no particular order.
  std::vector<TxId> all_txids() const;
  // Calls f(txid, tx) for every pooled transaction, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [txid, entry] : entries_) f(txid, entry.tx);
  }
  const MempoolOptions& options() const { return options_; }

 private:
  struct Entry {
    Transaction tx;
    TxId txid;
    Address sender;
    Amount cost = 0;  // amount + fee, checked at accept
    std::int64_t added_ms = 0;
    std::uint64_t seq = 0;  // arrival order, breaks fee ties
    bool ready = false;
  };
  // A pooled tx in fee order; eviction takes the lowest fee, the newest among equals.
  struct FeeKey {
    Amount fee = 0;
    std::uint64_t seq = 0;
    TxId txid;
    friend bool operator<(const FeeKey& a, const FeeKey& b) {
      if (a.fee != b.fee) return a.fee < b.fee;
      return a.seq > b.seq;
    }
    friend bool operator==(const FeeKey&, const FeeKey&) = default;
  };
  struct TimeKey {
    std::int64_t added_ms = 0;
    std::uint64_t seq = 0;
    TxId txid;
    friend auto operator<=>(const TimeKey&, const TimeKey&) = default;
  };
  struct SenderState {
    Account account;                          // as last seen in a tip state
    std::map<std::uint64_t, TxId> by_nonce;   // all of them >= account.nonce
    std::size_t ready_count = 0;              // the first ready_count of by_nonce are ready
    Amount ready_cost = 0;                    // sum of their amount + fee
    std::optional<FeeKey> tail;               // by_nonce's last entry, as held in tails_
    std::uint64_t next_pending() const { return account.nonce + ready_count; }
    std::size_t future_count() const { return by_nonce.size() - ready_count; }
  };
  struct Changes {
    std::vector<TxId>* removed = nullptr;
    std::vector<TxId>* promoted = nullptr;
  };

  // accept() after the stateless checks. A sender whose account differs from the one last
  // seen is re-validated first; what that changes goes to `sync` when given (so that it is
  // reported even if this tx is then rejected), else into the result.
  std::expected<AcceptResult, MempoolError> accept_checked(const Transaction& tx, const TxId& txid,
                                                           const StateView& tip_state, std::int64_t now_ms,
                                                           const Changes* sync = nullptr);
  // Swaps the pooled tx at (sender, tx.nonce) for `tx`. REQUIRES: the fee bump was checked.
  std::expected<void, MempoolError> replace_by_fee(const Address& sender, SenderState& ss, const TxId& old_id,
                                                   const Transaction& tx, const TxId& txid, Amount cost,
                                                   std::int64_t now_ms, Changes changes);
  std::expected<void, MempoolError> make_room(const Address& sender, Amount fee, Changes changes);

  // Brings one sender in line with `account`: drops stale and unfundable txs, recomputes
  // which are ready, trims futures to the per-sender limit. May erase the sender.
  void revalidate_sender(const Address& address, const Account& account, Changes changes);
  // Every sender whose account in `state` differs from the one last seen, and every sender
  // in `force` (whose txs were removed by the caller), is re-validated.
  void revalidate_all(const StateView& state, const std::unordered_set<Address>& force, Changes changes);
  // After a ready tx was replaced by a costlier one: drops the first ready tx the balance no
  // longer covers and everything after it.
  void drop_unfundable_followers(SenderState& ss, Changes changes);
  // Drops the lowest-fee future tails until at most max_future_total futures remain
  // (a reorg can demote ready chains to futures beyond the limit).
  void trim_futures(Changes changes);
  // Marks the future txs that now continue the ready chain as ready (dropping the first
  // unfundable one).
  void promote(SenderState& ss, Changes changes);

  // Adds a (future) entry to every index, including ss.by_nonce.
  Entry& insert_entry(SenderState& ss, const Transaction& tx, const TxId& txid, const Address& sender, Amount cost,
                      std::int64_t now_ms);
  // Removes one entry from every index; the caller fixes the sender's ready accounting.
  void erase_entry(const TxId& txid);
  // Removes the sender's txs with nonce >= `nonce`, keeping ready_count/ready_cost right.
  void erase_from_nonce(SenderState& ss, std::uint64_t nonce, Changes changes);
  void set_ready(Entry& e, bool ready);
  void refresh_tail(SenderState& ss);
  void drop_sender_if_empty(const Address& address);
  void remember_expired(const TxId& txid, std::int64_t now_ms);

  ChainSpec spec_;
  MempoolOptions options_;
  std::unordered_map<TxId, Entry> entries_;
  std::unordered_map<Address, SenderState> senders_;
  std::set<FeeKey> tails_;      // each sender's highest-nonce tx: the eviction candidates
  std::set<TimeKey> by_time_;   // every tx by arrival time: expiry
  std::size_t ready_total_ = 0;
  std::uint64_t next_seq_ = 0;
  // Recently expired txids and when they expired (bounded FIFO).
  std::unordered_map<TxId, std::int64_t> expired_;
  std::deque<std::pair<TxId, std::int64_t>> expired_order_;
};

}  // namespace tally::ledger
