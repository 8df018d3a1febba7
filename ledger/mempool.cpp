#include "ledger/mempool.h"

#include <algorithm>
#include <cassert>
#include <queue>

#include "crypto/address.h"

namespace tally::ledger {

const char* reason_code(MempoolReject r) {
  switch (r) {
    case MempoolReject::kInvalid: return "invalid";
    case MempoolReject::kAlreadyKnown: return "already-known";
    case MempoolReject::kNonceTooLow: return "stale-nonce";
    case MempoolReject::kReplacementFeeTooLow: return "replacement-fee-too-low";
    case MempoolReject::kFutureNonceLimit: return "too-many-future-txs";
    case MempoolReject::kMempoolFull: return "mempool-full";
    case MempoolReject::kInsufficientFundsForChain: return "insufficient-funds-for-pending";
    case MempoolReject::kExpired: return "expired";
  }
  return "unknown";
}

const char* to_string(MempoolReject r) {
  switch (r) {
    case MempoolReject::kInvalid: return "transaction is invalid";
    case MempoolReject::kAlreadyKnown: return "transaction is already in the mempool";
    case MempoolReject::kNonceTooLow: return "nonce is below the sender's account nonce";
    case MempoolReject::kReplacementFeeTooLow:
      return "a transaction with this sender and nonce is pooled and the fee is not high enough to replace it";
    case MempoolReject::kFutureNonceLimit: return "too many transactions waiting for an earlier nonce";
    case MempoolReject::kMempoolFull: return "mempool is full and the fee is too low to evict anything";
    case MempoolReject::kInsufficientFundsForChain:
      return "balance does not cover this transaction plus the sender's earlier pending ones";
    case MempoolReject::kExpired: return "transaction expired from the mempool recently";
  }
  return "unknown mempool error";
}

const char* MempoolError::reason_code() const {
  if (reason == MempoolReject::kInvalid && tx_error) return ledger::reason_code(*tx_error);
  return ledger::reason_code(reason);
}

std::string MempoolError::message() const {
  if (reason == MempoolReject::kInvalid && tx_error) return std::string("invalid transaction: ") + to_string(*tx_error);
  return to_string(reason);
}

namespace {

std::unexpected<MempoolError> reject(MempoolReject r) { return std::unexpected(MempoolError{r, std::nullopt}); }

void note(std::vector<TxId>* list, const TxId& txid) {
  if (list != nullptr) list->push_back(txid);
}

// `cost` after `before` (the sender's earlier pending txs) against `balance`. A tx that the
// balance cannot cover even alone breaks a transaction rule; otherwise it is the chain.
std::expected<void, MempoolError> check_funds(Amount before, Amount cost, Amount balance) {
  if (cost > balance) return std::unexpected(MempoolError{MempoolReject::kInvalid, TxError::kInsufficientFunds});
  Amount total;
  if (!checked_add(before, cost, total) || total > balance) return reject(MempoolReject::kInsufficientFundsForChain);
  return {};
}

}  // namespace

Mempool::Mempool(ChainSpec spec, MempoolOptions options) : spec_(std::move(spec)), options_(options) {}

// ---------------------------------------------------------------------------------------
// Accepting transactions.

std::expected<AcceptResult, MempoolError> Mempool::accept(const Transaction& tx, const StateView& tip_state,
                                                          std::int64_t now_ms, bool signature_checked) {
  // Cheap lookups first: a relayed duplicate must not cost a signature check.
  const TxId txid = tx.txid();
  if (entries_.contains(txid)) return reject(MempoolReject::kAlreadyKnown);
  if (auto it = expired_.find(txid); it != expired_.end() && now_ms - it->second < options_.expiry_ms) {
    return reject(MempoolReject::kExpired);
  }
  if (auto ok = check_tx_stateless(tx, spec_, !signature_checked); !ok) {
    return std::unexpected(MempoolError{MempoolReject::kInvalid, ok.error()});
  }
  return accept_checked(tx, txid, tip_state, now_ms);
}

std::expected<AcceptResult, MempoolError> Mempool::accept_checked(const Transaction& tx, const TxId& txid,
                                                                  const StateView& tip_state, std::int64_t now_ms,
                                                                  const Changes* sync) {
  const Address sender = crypto::address_of(tx.sender);
  const Amount cost = tx.amount + tx.fee;  // no overflow: check_tx_stateless
  const Account account = tip_state.get(sender);
  AcceptResult result;
  result.txid = txid;
  const Changes changes{&result.removed, &result.promoted};

  // A sender whose account moved since the pool last looked (a tip change not yet reported)
  // is brought up to date first, so every check below runs against tip_state.
  if (auto it = senders_.find(sender); it != senders_.end() && it->second.account != account) {
    revalidate_sender(sender, account, sync != nullptr ? *sync : changes);
    trim_futures(sync != nullptr ? *sync : changes);
  }
  if (tx.nonce < account.nonce) return reject(MempoolReject::kNonceTooLow);

  auto sit = senders_.find(sender);
  SenderState* ss = sit == senders_.end() ? nullptr : &sit->second;
  if (ss != nullptr) {
    if (auto nit = ss->by_nonce.find(tx.nonce); nit != ss->by_nonce.end()) {
      const Entry& old = entries_.at(nit->second);
      Amount min_fee;
      if (!checked_add(old.tx.fee, options_.min_rbf_fee_bump, min_fee) || tx.fee < min_fee) {
        return reject(MempoolReject::kReplacementFeeTooLow);
      }
      result.replaced = old.txid;
      if (auto ok = replace_by_fee(sender, *ss, old.txid, tx, txid, cost, now_ms, changes); !ok) {
        return std::unexpected(ok.error());
      }
      result.queue = entries_.at(txid).ready ? TxQueue::kReady : TxQueue::kFuture;
      return result;
    }
  }

  const std::uint64_t next = ss != nullptr ? ss->next_pending() : account.nonce;
  // Futures get the same funds check against the ready chain: a cheap bound on junk.
  if (auto ok = check_funds(ss != nullptr ? ss->ready_cost : 0, cost, account.balance); !ok) {
    return std::unexpected(ok.error());
  }
  const bool ready = tx.nonce == next;
  if (!ready) {
    const std::size_t sender_futures = ss != nullptr ? ss->future_count() : 0;
    if (sender_futures >= options_.max_future_per_sender || future_count() >= options_.max_future_total) {
      return reject(MempoolReject::kFutureNonceLimit);
    }
  }
  // Eviction only touches other senders, so `ss` stays valid.
  if (auto ok = make_room(sender, tx.fee, changes); !ok) return std::unexpected(ok.error());

  auto [it, inserted] = senders_.try_emplace(sender);
  SenderState& state = it->second;
  if (inserted) state.account = account;
  Entry& entry = insert_entry(state, tx, txid, sender, cost, now_ms);
  if (ready) {
    set_ready(entry, true);
    ++state.ready_count;
    state.ready_cost += cost;
    promote(state, changes);
  }
  refresh_tail(state);
  result.queue = ready ? TxQueue::kReady : TxQueue::kFuture;
  return result;
}

std::expected<void, MempoolError> Mempool::replace_by_fee(const Address& sender, SenderState& ss, const TxId& old_id,
                                                          const Transaction& tx, const TxId& txid, Amount cost,
                                                          std::int64_t now_ms, Changes changes) {
  const Entry& old = entries_.at(old_id);
  const bool was_ready = old.ready;
  const Amount old_cost = old.cost;
  bool followers_fundable = true;
  if (was_ready) {
    Amount total;
    followers_fundable = checked_add(ss.ready_cost - old_cost, cost, total) && total <= ss.account.balance;
    if (!followers_fundable) {
      // Rare: walk the sender's earlier ready txs to see whether the replacement itself fits.
      Amount before = 0;
      for (const auto& [nonce, id] : ss.by_nonce) {
        if (nonce >= tx.nonce) break;
        before += entries_.at(id).cost;
      }
      if (auto ok = check_funds(before, cost, ss.account.balance); !ok) return ok;
    }
  } else if (auto ok = check_funds(ss.ready_cost, cost, ss.account.balance); !ok) {
    return ok;
  }

  erase_entry(old_id);
  Entry& entry = insert_entry(ss, tx, txid, sender, cost, now_ms);
  if (was_ready) {
    set_ready(entry, true);
    if (followers_fundable) {
      ss.ready_cost = ss.ready_cost - old_cost + cost;
    } else {
      drop_unfundable_followers(ss, changes);
    }
  }
  refresh_tail(ss);
  return {};
}

void Mempool::drop_unfundable_followers(SenderState& ss, Changes changes) {
  // Keep the ready prefix the balance covers; drop the rest of the chain, futures included
  // (demoting them would let a replacement push the pool past max_future_total).
  Amount kept_cost = 0;
  std::size_t kept = 0;
  auto it = ss.by_nonce.begin();
  for (; it != ss.by_nonce.end() && kept < ss.ready_count; ++it, ++kept) {
    Amount total;
    if (!checked_add(kept_cost, entries_.at(it->second).cost, total) || total > ss.account.balance) break;
    kept_cost = total;
  }
  while (it != ss.by_nonce.end()) {
    const TxId txid = it->second;
    ++it;
    note(changes.removed, txid);
    erase_entry(txid);
  }
  ss.ready_count = kept;
  ss.ready_cost = kept_cost;
}

std::expected<void, MempoolError> Mempool::make_room(const Address& sender, Amount fee, Changes changes) {
  // Every tx has the same size, so one eviction always makes room for one newcomer.
  while (bytes() + Transaction::kSize > options_.max_bytes) {
    auto it = tails_.begin();
    // Evicting the newcomer's own sender's tail would open a gap in front of the newcomer.
    while (it != tails_.end() && entries_.at(it->txid).sender == sender) ++it;
    if (it == tails_.end() || it->fee >= fee) return reject(MempoolReject::kMempoolFull);
    const Entry& victim = entries_.at(it->txid);
    const Address victim_sender = victim.sender;
    SenderState& vs = senders_.at(victim_sender);
    erase_from_nonce(vs, victim.tx.nonce, changes);
    refresh_tail(vs);
    drop_sender_if_empty(victim_sender);
  }
  return {};
}

// ---------------------------------------------------------------------------------------
// Re-validation, expiry and tip changes.

void Mempool::promote(SenderState& ss, Changes changes) {
  for (;;) {
    auto it = ss.by_nonce.find(ss.next_pending());
    if (it == ss.by_nonce.end()) return;
    Entry& e = entries_.at(it->second);
    Amount total;
    if (!checked_add(ss.ready_cost, e.cost, total) || total > ss.account.balance) {
      // Never minable after the sender's earlier txs; the ones behind it stay future.
      note(changes.removed, e.txid);
      erase_entry(e.txid);
      return;
    }
    set_ready(e, true);
    ss.ready_cost = total;
    ++ss.ready_count;
    note(changes.promoted, e.txid);
  }
}

void Mempool::revalidate_sender(const Address& address, const Account& account, Changes changes) {
  auto sit = senders_.find(address);
  if (sit == senders_.end()) return;
  SenderState& ss = sit->second;
  ss.account = account;
  while (!ss.by_nonce.empty() && ss.by_nonce.begin()->first < account.nonce) {
    const TxId stale = ss.by_nonce.begin()->second;
    note(changes.removed, stale);
    erase_entry(stale);
  }
  // Walk the chain from the account nonce: ready while gapless and fundable.
  std::uint64_t expect = account.nonce;
  Amount cost_sum = 0;
  std::size_t count = 0;
  bool chain = true;
  for (auto it = ss.by_nonce.begin(); it != ss.by_nonce.end();) {
    Entry& e = entries_.at(it->second);
    ++it;  // erase_entry below erases only e's own node
    if (chain && e.tx.nonce == expect) {
      Amount total;
      if (checked_add(cost_sum, e.cost, total) && total <= account.balance) {
        if (!e.ready) note(changes.promoted, e.txid);
        set_ready(e, true);
        cost_sum = total;
        ++count;
        ++expect;
        continue;
      }
      note(changes.removed, e.txid);
      erase_entry(e.txid);
      chain = false;
      continue;
    }
    chain = false;
    set_ready(e, false);
  }
  ss.ready_count = count;
  ss.ready_cost = cost_sum;
  while (ss.future_count() > options_.max_future_per_sender) {
    const TxId last = std::prev(ss.by_nonce.end())->second;
    note(changes.removed, last);
    erase_entry(last);
  }
  refresh_tail(ss);
  drop_sender_if_empty(address);
}

void Mempool::revalidate_all(const StateView& state, const std::unordered_set<Address>& force, Changes changes) {
  std::vector<Address> addresses;
  addresses.reserve(senders_.size());
  for (const auto& [address, ss] : senders_) addresses.push_back(address);
  for (const Address& address : addresses) {
    auto it = senders_.find(address);
    if (it == senders_.end()) continue;
    const Account account = state.get(address);
    // An unchanged account leaves the sender's chain as valid as it was.
    if (account != it->second.account || force.contains(address)) revalidate_sender(address, account, changes);
  }
  trim_futures(changes);
}

void Mempool::trim_futures(Changes changes) {
  while (future_count() > options_.max_future_total) {
    // A future tx is never followed by a ready one, so a future tail can always go.
    auto it = std::find_if(tails_.begin(), tails_.end(),
                           [&](const FeeKey& k) { return !entries_.at(k.txid).ready; });
    if (it == tails_.end()) return;
    const TxId txid = it->txid;
    const Address sender = entries_.at(txid).sender;
    note(changes.removed, txid);
    erase_entry(txid);
    SenderState& ss = senders_.at(sender);
    refresh_tail(ss);
    drop_sender_if_empty(sender);
  }
}

std::vector<TxId> Mempool::expire(std::int64_t now_ms) {
  std::vector<TxId> removed;
  const Changes changes{&removed, nullptr};
  while (!by_time_.empty() && now_ms - by_time_.begin()->added_ms >= options_.expiry_ms) {
    const TxId txid = by_time_.begin()->txid;
    const Entry& e = entries_.at(txid);
    const Address sender = e.sender;
    SenderState& ss = senders_.at(sender);
    erase_from_nonce(ss, e.tx.nonce, changes);
    remember_expired(txid, now_ms);
    refresh_tail(ss);
    drop_sender_if_empty(sender);
  }
  while (!expired_order_.empty() && now_ms - expired_order_.front().second >= options_.expiry_ms) {
    const auto& [txid, when] = expired_order_.front();
    if (auto it = expired_.find(txid); it != expired_.end() && it->second == when) expired_.erase(it);
    expired_order_.pop_front();
  }
  return removed;
}

TipUpdate Mempool::on_block_connected(const Block& block, const StateView& new_tip_state) {
  TipUpdate update;
  std::unordered_set<Address> touched;
  for (const Transaction& tx : block.txs) {
    if (tx.is_coinbase()) continue;
    const TxId txid = tx.txid();
    auto it = entries_.find(txid);
    if (it == entries_.end()) continue;
    touched.insert(it->second.sender);
    update.included.push_back(txid);
    erase_entry(txid);
  }
  revalidate_all(new_tip_state, touched, Changes{&update.removed, &update.promoted});
  return update;
}

TipUpdate Mempool::on_blocks_disconnected(std::span<const Transaction> txs, const StateView& new_tip_state,
                                          std::int64_t now_ms) {
  TipUpdate update;
  // Nonce order lets each sender's chain come back ready instead of as futures.
  std::vector<const Transaction*> order;
  order.reserve(txs.size());
  for (const Transaction& tx : txs) {
    if (!tx.is_coinbase()) order.push_back(&tx);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const Transaction* a, const Transaction* b) { return a->nonce < b->nonce; });
  const Changes changes{&update.removed, &update.promoted};
  for (const Transaction* tx : order) {
    const TxId txid = tx->txid();
    if (entries_.contains(txid) || !check_tx_stateless(*tx, spec_, /*verify_signature=*/false)) continue;
    auto accepted = accept_checked(*tx, txid, new_tip_state, now_ms, &changes);
    if (!accepted) continue;
    update.readded.push_back(txid);
    update.removed.insert(update.removed.end(), accepted->removed.begin(), accepted->removed.end());
    update.promoted.insert(update.promoted.end(), accepted->promoted.begin(), accepted->promoted.end());
  }
  revalidate_all(new_tip_state, {}, changes);
  return update;
}

// ---------------------------------------------------------------------------------------
// Block templates and queries.

std::vector<Transaction> Mempool::select_for_block(const StateView& tip_state, std::size_t max_txs) const {
  struct Head {
    Amount fee;
    std::uint64_t seq;
    const Entry* entry;
  };
  const auto lower_priority = [](const Head& a, const Head& b) {
    if (a.fee != b.fee) return a.fee < b.fee;
    return a.seq > b.seq;  // earlier arrival first among equal fees
  };
  std::priority_queue<Head, std::vector<Head>, decltype(lower_priority)> queue(lower_priority);
  // Accounts as the selected txs leave them (unordered_map references survive rehashing).
  std::unordered_map<Address, Account> overlay;
  const auto account_of = [&](const Address& a) -> Account& {
    auto [it, inserted] = overlay.try_emplace(a);
    if (inserted) it->second = tip_state.get(a);
    return it->second;
  };
  std::unordered_set<Address> queued;  // senders with their next tx in the queue
  const auto push_head = [&](const Address& a) {
    if (queued.contains(a)) return;
    auto sit = senders_.find(a);
    if (sit == senders_.end()) return;
    const Account& account = account_of(a);
    auto it = sit->second.by_nonce.find(account.nonce);
    if (it == sit->second.by_nonce.end()) return;
    const Entry& e = entries_.at(it->second);
    if (!check_tx_against_sender(e.tx, account)) return;
    queue.push(Head{e.tx.fee, e.seq, &e});
    queued.insert(a);
  };

  for (const auto& [address, ss] : senders_) push_head(address);
  std::vector<Transaction> out;
  out.reserve(std::min(max_txs, ready_total_));
  while (!queue.empty() && out.size() < max_txs) {
    const Entry& e = *queue.top().entry;
    queue.pop();
    queued.erase(e.sender);
    Account& from = account_of(e.sender);
    if (!check_tx_against_sender(e.tx, from)) continue;
    const bool to_self = e.tx.recipient == e.sender;
    Account& to = to_self ? from : account_of(e.tx.recipient);
    if (!apply_transfer(e.tx, from, to)) continue;
    out.push_back(e.tx);
    push_head(e.sender);
    // The recipient may now afford a tx it could not before.
    if (!to_self) push_head(e.tx.recipient);
  }
  return out;
}

std::optional<Transaction> Mempool::get(const TxId& txid) const {
  auto it = entries_.find(txid);
  if (it == entries_.end()) return std::nullopt;
  return it->second.tx;
}

std::optional<MempoolTxInfo> Mempool::info(const TxId& txid) const {
  auto it = entries_.find(txid);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  return MempoolTxInfo{e.tx, e.sender, e.added_ms, e.ready ? TxQueue::kReady : TxQueue::kFuture};
}

std::uint64_t Mempool::pending_nonce(const Address& address, const StateView& tip_state) const {
  const Account account = tip_state.get(address);
  auto sit = senders_.find(address);
  if (sit == senders_.end()) return account.nonce;
  const SenderState& ss = sit->second;
  if (ss.account == account) return ss.next_pending();
  // The pool has not seen this state yet: count the gapless run from the account nonce.
  std::uint64_t next = account.nonce;
  for (auto it = ss.by_nonce.lower_bound(next); it != ss.by_nonce.end() && it->first == next; ++it) ++next;
  return next;
}

std::vector<TxId> Mempool::all_txids() const {
  std::vector<TxId> out;
  out.reserve(entries_.size());
  for (const auto& [txid, e] : entries_) out.push_back(txid);
  return out;
}

// ---------------------------------------------------------------------------------------
// Index maintenance.

Mempool::Entry& Mempool::insert_entry(SenderState& ss, const Transaction& tx, const TxId& txid,
                                      const Address& sender, Amount cost, std::int64_t now_ms) {
  const std::uint64_t seq = next_seq_++;
  auto [it, inserted] = entries_.try_emplace(txid, Entry{tx, txid, sender, cost, now_ms, seq, false});
  assert(inserted);
  (void)inserted;
  ss.by_nonce.emplace(tx.nonce, txid);
  by_time_.insert(TimeKey{now_ms, seq, txid});
  return it->second;
}

void Mempool::erase_entry(const TxId& txid) {
  auto it = entries_.find(txid);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  set_ready(e, false);
  by_time_.erase(TimeKey{e.added_ms, e.seq, txid});
  if (auto sit = senders_.find(e.sender); sit != senders_.end()) {
    auto nit = sit->second.by_nonce.find(e.tx.nonce);
    if (nit != sit->second.by_nonce.end() && nit->second == txid) sit->second.by_nonce.erase(nit);
  }
  entries_.erase(it);
}

void Mempool::erase_from_nonce(SenderState& ss, std::uint64_t nonce, Changes changes) {
  // From the back, so the ready txs stay the first ready_count ones.
  while (!ss.by_nonce.empty()) {
    const auto last = std::prev(ss.by_nonce.end());
    if (last->first < nonce) break;
    const Entry& e = entries_.at(last->second);
    if (e.ready) {
      --ss.ready_count;
      ss.ready_cost -= e.cost;
    }
    const TxId txid = e.txid;
    note(changes.removed, txid);
    erase_entry(txid);
  }
}

void Mempool::set_ready(Entry& e, bool ready) {
  if (e.ready == ready) return;
  e.ready = ready;
  if (ready) {
    ++ready_total_;
  } else {
    --ready_total_;
  }
}

void Mempool::refresh_tail(SenderState& ss) {
  std::optional<FeeKey> tail;
  if (!ss.by_nonce.empty()) {
    const Entry& e = entries_.at(std::prev(ss.by_nonce.end())->second);
    tail = FeeKey{e.tx.fee, e.seq, e.txid};
  }
  if (ss.tail == tail) return;
  if (ss.tail) tails_.erase(*ss.tail);
  if (tail) tails_.insert(*tail);
  ss.tail = tail;
}

void Mempool::drop_sender_if_empty(const Address& address) {
  auto it = senders_.find(address);
  if (it == senders_.end() || !it->second.by_nonce.empty()) return;
  if (it->second.tail) tails_.erase(*it->second.tail);
  senders_.erase(it);
}

void Mempool::remember_expired(const TxId& txid, std::int64_t now_ms) {
  if (options_.max_expired_remembered == 0) return;
  expired_[txid] = now_ms;
  expired_order_.emplace_back(txid, now_ms);
  while (expired_order_.size() > options_.max_expired_remembered) {
    const auto& [old, when] = expired_order_.front();
    if (auto it = expired_.find(old); it != expired_.end() && it->second == when) expired_.erase(it);
    expired_order_.pop_front();
  }
}

}  // namespace tally::ledger
