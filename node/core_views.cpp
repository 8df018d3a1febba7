// The chain and mempool views of the RPC layer over the core's Chain and Mempool: each call is
// one closure on the core thread that copies what it found into plain values.
#include "node/core_views.h"

#include <algorithm>

#include "ledger/block_assembler.h"
#include "ledger/tx_rules.h"
#include "rpc/ledger_json.h"

namespace tally::node {

namespace {

// testmempoolaccept copies the mempool and accepts into the copy (exact, including chains
// of transactions of one sender) while the pool holds at most this many transactions; a
// larger copy would hold the core thread too long, so it then checks each transaction on
// its own against the tip state and the pending nonce (see docs/RPC.md).
constexpr std::size_t kExactTestMaxPool = 20'000;
constexpr std::uint32_t kHashrateWindow = 120;  // blocks, as Bitcoin Core's getnetworkhashps

// getchaintips' status of a block: "active", "valid-fork", "valid-headers", "headers-only"
// or "invalid" (as Bitcoin Core names them).
std::string block_status(const ledger::BlockEntry& e) {
  if (e.in_active_chain) return "active";
  if (e.failed()) return "invalid";
  if (!e.chain_has_data) return "headers-only";
  if (e.status & ledger::kStatusValid) return "valid-fork";
  return "valid-headers";
}

rpc::BlockSummary summarize(const ledger::Chain& chain, const ledger::BlockEntry& e) {
  rpc::BlockSummary s;
  s.header = e.header;
  s.hash = e.hash;
  s.chain_work_hex = rpc::hex_u256(e.chain_work);
  s.median_time = ledger::Chain::median_time_past(e);
  if (e.in_active_chain) {
    s.confirmations = static_cast<std::int64_t>(chain.height()) - e.height() + 1;
    if (const auto* next = chain.at_height(e.height() + 1)) s.next = next->hash;
  }
  s.status = block_status(e);
  s.has_data = e.has_data();
  return s;
}

std::optional<rpc::BlockSummary> summarize(const ledger::Chain& chain, const ledger::BlockEntry* e) {
  if (e == nullptr) return std::nullopt;
  return summarize(chain, *e);
}

// Work done over the last blocks divided by the time they took.
double network_hashps(const ledger::Chain& chain) {
  const ledger::BlockEntry& tip = chain.tip();
  if (tip.height() == 0) return 0;
  const std::uint32_t back = std::min(tip.height(), kHashrateWindow);
  const ledger::BlockEntry* start = tip.ancestor(tip.height() - back);
  if (start == nullptr) return 0;
  const std::int64_t span_s = static_cast<std::int64_t>(tip.header.time) - start->header.time;
  if (span_s <= 0) return 0;
  return (tip.chain_work - start->chain_work).convert_to<double>() / static_cast<double>(span_s);
}

// txid in the block of `e` (only at `position`, when given): found, not found or header only.
rpc::NodeResult<rpc::TxLookup> find_in_block(const ledger::Chain& chain, const ledger::BlockEntry& e,
                                             const ledger::TxId& txid, std::optional<std::uint32_t> position) {
  using Status = rpc::TxLookup::Status;
  auto block = chain.read_block(e.hash);
  if (!block) return std::unexpected(chain_error(block.error()));
  if (!*block) return rpc::TxLookup{Status::kHeaderOnly, std::nullopt, std::nullopt};
  const auto& txs = (*block)->txs;
  for (std::size_t i = 0; i < txs.size(); ++i) {
    if (position && i != *position) continue;
    if (txs[i].txid() == txid) return rpc::TxLookup{Status::kFound, txs[i], summarize(chain, e)};
  }
  return rpc::TxLookup{Status::kNotFound, std::nullopt, std::nullopt};
}

rpc::AcceptVerdict allowed(ledger::TxQueue queue) {
  rpc::AcceptVerdict v;
  v.allowed = true;
  v.ready = queue == ledger::TxQueue::kReady;
  return v;
}
rpc::AcceptVerdict refused(std::string reason) {
  rpc::AcceptVerdict v;
  v.reject_reason = std::move(reason);
  return v;
}

// One transaction checked against the tip state and the pending nonce only (large pools).
rpc::NodeResult<rpc::AcceptVerdict> approximate_accept(const ledger::Transaction& tx, CoreParts& core) {
  const ledger::Chain& chain = core.chain;
  if (core.mempool.contains(tx.txid())) return refused("already-known");
  if (auto ok = ledger::check_tx_stateless(tx, chain.spec()); !ok) return refused(ledger::reason_code(ok.error()));
  const crypto::Address sender = crypto::address_of(tx.sender);
  auto account = chain.account(sender);
  if (!account) return std::unexpected(chain_error(account.error()));
  if (tx.nonce < account->nonce) return refused("stale-nonce");
  const std::uint64_t pending = core.mempool.pending_nonce(sender, chain.state());
  if (tx.nonce > pending) return allowed(ledger::TxQueue::kFuture);
  ledger::Account as_if_next = *account;
  as_if_next.nonce = tx.nonce;  // pooled predecessors are assumed to be funded
  if (auto ok = ledger::check_tx_against_sender(tx, as_if_next); !ok) return refused(ledger::reason_code(ok.error()));
  return allowed(ledger::TxQueue::kReady);
}

}  // namespace

rpc::NodeError chain_error(const ledger::ChainError& e) {
  return rpc::NodeError{rpc::NodeError::Kind::kChain, e.message};
}

std::expected<ledger::Block, ledger::BlockFailure> assemble_template(const CoreParts& core,
                                                                     const crypto::Address& to) {
  auto txs = core.mempool.select_for_block(core.chain.state(), core.chain.spec().max_block_txs - 1);
  return ledger::assemble_block(core.chain, std::move(txs), to, core.net.chain_time_s(core.now_ms));
}

std::expected<const ledger::BlockEntry*, ledger::ChainError> confirmed_in(const ledger::Chain& chain,
                                                                         const ledger::TxId& txid) {
  auto loc = chain.find_transaction(txid);
  if (!loc) return std::unexpected(loc.error());
  if (!*loc) return nullptr;
  const ledger::BlockEntry* e = chain.find((*loc)->block);
  return (e != nullptr && e->in_active_chain) ? e : nullptr;
}

// ---- CoreChainView ---------------------------------------------------------------------

rpc::NodeResult<rpc::ChainInfo> CoreChainView::info() const {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<rpc::ChainInfo> {
    const ledger::Chain& chain = core.chain;
    rpc::ChainInfo info;
    info.tip = summarize(chain, chain.tip());
    info.best_header_height = chain.best_header().height();
    info.known_blocks = chain.block_count();
    info.orphan_blocks = chain.orphan_count();
    info.genesis = chain.genesis().hash;
    info.tx_index = chain.options().tx_index;
    info.address_index = chain.options().address_index;
    info.next_bits = chain.next_bits(chain.tip());
    info.network_hashes_per_s = network_hashps(chain);
    return info;
  });
}

rpc::NodeResult<std::optional<rpc::BlockSummary>> CoreChainView::header(const ledger::BlockHash& hash) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::optional<rpc::BlockSummary>> {
    return summarize(core.chain, core.chain.find(hash));
  });
}

rpc::NodeResult<std::optional<rpc::BlockSummary>> CoreChainView::header_at(std::uint32_t height) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::optional<rpc::BlockSummary>> {
    return summarize(core.chain, core.chain.at_height(height));
  });
}

rpc::NodeResult<std::optional<rpc::StoredBlock>> CoreChainView::block(const ledger::BlockHash& hash) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::optional<rpc::StoredBlock>> {
    const ledger::BlockEntry* e = core.chain.find(hash);
    if (e == nullptr) return std::nullopt;
    rpc::StoredBlock out{summarize(core.chain, *e), std::nullopt};
    auto block = core.chain.read_block(hash);
    if (!block) return std::unexpected(chain_error(block.error()));
    out.block = std::move(*block);
    return out;
  });
}

rpc::NodeResult<std::vector<rpc::ChainTip>> CoreChainView::tips() const {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<std::vector<rpc::ChainTip>> {
    const ledger::Chain& chain = core.chain;
    std::vector<const ledger::BlockEntry*> tips = chain.tips();
    // The active tip is a tip even when it has (headers-only or invalid) children.
    if (std::find(tips.begin(), tips.end(), &chain.tip()) == tips.end()) tips.push_back(&chain.tip());
    std::vector<rpc::ChainTip> out;
    out.reserve(tips.size());
    for (const ledger::BlockEntry* tip : tips) {
      const ledger::BlockEntry* fork = tip;
      while (fork != nullptr && !fork->in_active_chain) fork = fork->parent;
      out.push_back(rpc::ChainTip{tip->height(), tip->hash, tip->height() - (fork != nullptr ? fork->height() : 0),
                                  block_status(*tip)});
    }
    return out;
  });
}

rpc::NodeResult<rpc::AccountState> CoreChainView::account(const crypto::Address& address) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::AccountState> {
    auto account = core.chain.account(address);
    if (!account) return std::unexpected(chain_error(account.error()));
    return rpc::AccountState{account->balance, account->nonce,
                             core.mempool.pending_nonce(address, core.chain.state()), core.chain.height()};
  });
}

rpc::NodeResult<rpc::TxLookup> CoreChainView::transaction(const ledger::TxId& txid,
                                                          const std::optional<ledger::BlockHash>& in_block) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::TxLookup> {
    using Status = rpc::TxLookup::Status;
    const ledger::Chain& chain = core.chain;
    if (in_block) {
      const ledger::BlockEntry* e = chain.find(*in_block);
      if (e == nullptr) return rpc::TxLookup{Status::kBlockNotFound, std::nullopt, std::nullopt};
      return find_in_block(chain, *e, txid, std::nullopt);
    }
    if (auto tx = core.mempool.get(txid)) return rpc::TxLookup{Status::kFound, std::move(*tx), std::nullopt};
    if (!chain.options().tx_index) return rpc::TxLookup{Status::kNoTxIndex, std::nullopt, std::nullopt};
    auto loc = chain.find_transaction(txid);
    if (!loc) return std::unexpected(chain_error(loc.error()));
    if (*loc) {
      if (const ledger::BlockEntry* e = chain.find((*loc)->block)) {
        auto found = find_in_block(chain, *e, txid, (*loc)->position);
        if (!found || found->status != Status::kNotFound) return found;
      }
    }
    return rpc::TxLookup{Status::kNotFound, std::nullopt, std::nullopt};
  });
}

rpc::NodeResult<std::optional<std::vector<rpc::AddressTx>>> CoreChainView::address_history(
    const crypto::Address& address, std::uint32_t from_height, std::size_t limit) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::optional<std::vector<rpc::AddressTx>>> {
    const ledger::Chain& chain = core.chain;
    if (!chain.options().address_index) return std::nullopt;
    auto history = chain.address_history(address, from_height, limit);
    if (!history) return std::unexpected(chain_error(history.error()));
    std::vector<rpc::AddressTx> out;
    out.reserve(history->size());
    for (const auto& txid : *history) {
      rpc::AddressTx t{txid, std::nullopt, 0, std::nullopt};
      if (chain.options().tx_index) {
        auto loc = chain.find_transaction(txid);
        if (!loc) return std::unexpected(chain_error(loc.error()));
        if (*loc) {
          t.block = (*loc)->block;
          t.position = (*loc)->position;
          if (const auto* e = chain.find((*loc)->block)) t.height = e->height();
        }
      }
      out.push_back(std::move(t));
    }
    return out;
  });
}

namespace {

// A failed invalidate/reconsider as the RPC layer sees it: unknown block and genesis are
// outcomes, anything else a failure of the call.
rpc::NodeResult<rpc::BlockMarkOutcome> mark_outcome(const std::expected<ledger::ChainUpdate, ledger::ChainError>& r) {
  if (r) return rpc::BlockMarkOutcome::kDone;
  if (r.error().kind == ledger::ChainError::Kind::kUnknownBlock) return rpc::BlockMarkOutcome::kNotFound;
  if (r.error().kind == ledger::ChainError::Kind::kRefused) return rpc::BlockMarkOutcome::kGenesis;
  return std::unexpected(chain_error(r.error()));
}

}  // namespace

rpc::NodeResult<rpc::BlockMarkOutcome> CoreChainView::invalidate_block(const ledger::BlockHash& hash) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::BlockMarkOutcome> {
    return mark_outcome(core.net.invalidate_block(hash, core.now_ms));
  });
}

rpc::NodeResult<rpc::BlockMarkOutcome> CoreChainView::reconsider_block(const ledger::BlockHash& hash) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::BlockMarkOutcome> {
    return mark_outcome(core.net.reconsider_block(hash, core.now_ms));
  });
}

rpc::NodeResult<void> CoreChainView::set_mock_time(std::optional<std::int64_t> time_s) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<void> {
    core.net.set_mock_time(time_s);
    return {};
  });
}

rpc::NodeResult<rpc::BlockTemplate> CoreChainView::block_template(const crypto::Address& to) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::BlockTemplate> {
    auto block = assemble_template(core, to);
    if (!block)
      return std::unexpected(rpc::NodeError{rpc::NodeError::Kind::kChain, "cannot build a block template: " +
                                                                              block.error().message()});
    rpc::BlockTemplate t;
    t.block = std::move(*block);
    t.min_time = ledger::Chain::median_time_past(core.chain.tip()) + 1;
    t.max_time = core.net.chain_time_s(core.now_ms) + core.chain.spec().max_future_drift_s;
    return t;
  });
}

// ---- CoreMempoolView -------------------------------------------------------------------

rpc::NodeResult<rpc::MempoolInfo> CoreMempoolView::info() const {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<rpc::MempoolInfo> {
    const ledger::Mempool& pool = core.mempool;
    return rpc::MempoolInfo{pool.size(),
                            pool.bytes(),
                            pool.ready_count(),
                            pool.future_count(),
                            pool.options().max_bytes,
                            pool.options().expiry_ms,
                            pool.options().min_rbf_fee_bump};
  });
}

rpc::NodeResult<std::vector<ledger::TxId>> CoreMempoolView::txids() const {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<std::vector<ledger::TxId>> {
    return core.mempool.all_txids();
  });
}

rpc::NodeResult<std::vector<rpc::MempoolEntry>> CoreMempoolView::entries() const {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<std::vector<rpc::MempoolEntry>> {
    std::vector<rpc::MempoolEntry> out;
    for (const auto& txid : core.mempool.all_txids()) {
      auto info = core.mempool.info(txid);
      if (!info) continue;
      out.push_back(rpc::MempoolEntry{txid, std::move(info->tx), info->sender, info->added_ms,
                                      info->queue == ledger::TxQueue::kReady});
    }
    return out;
  });
}

rpc::NodeResult<std::optional<rpc::MempoolEntryDetail>> CoreMempoolView::entry(const ledger::TxId& txid) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::optional<rpc::MempoolEntryDetail>> {
    auto info = core.mempool.info(txid);
    if (!info) return std::nullopt;
    rpc::MempoolEntryDetail d;
    d.entry = rpc::MempoolEntry{txid, info->tx, info->sender, info->added_ms, info->queue == ledger::TxQueue::kReady};
    d.ancestor_fees = d.descendant_fees = info->tx.fee;
    // Relatives are the sender's other pooled transactions (one key, one address): compare
    // keys rather than derive an address per pooled transaction.
    core.mempool.for_each([&](const ledger::TxId& id, const ledger::Transaction& tx) {
      if (id == txid || tx.sender != info->tx.sender) return;
      if (tx.nonce < info->tx.nonce) {
        ++d.ancestor_count;
        d.ancestor_fees += tx.fee;
      } else {
        ++d.descendant_count;
        d.descendant_fees += tx.fee;
      }
    });
    return d;
  });
}

rpc::NodeResult<std::vector<rpc::AcceptVerdict>> CoreMempoolView::test_accept(
    const std::vector<ledger::Transaction>& txs) const {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::vector<rpc::AcceptVerdict>> {
    const bool exact = core.mempool.size() <= kExactTestMaxPool;
    std::optional<ledger::Mempool> scratch;
    if (exact) scratch.emplace(core.mempool);
    std::vector<rpc::AcceptVerdict> out;
    for (const auto& tx : txs) {
      auto in_chain = confirmed_in(core.chain, tx.txid());
      if (!in_chain) return std::unexpected(chain_error(in_chain.error()));
      if (*in_chain != nullptr) {
        out.push_back(refused("already-in-chain"));
      } else if (exact) {
        auto r = scratch->accept(tx, core.chain.state(), core.now_ms);
        out.push_back(r ? allowed(r->queue) : refused(r.error().reason_code()));
      } else {
        auto verdict = approximate_accept(tx, core);
        if (!verdict) return std::unexpected(verdict.error());
        verdict->approximate = true;
        out.push_back(std::move(*verdict));
      }
    }
    return out;
  });
}

}  // namespace tally::node
