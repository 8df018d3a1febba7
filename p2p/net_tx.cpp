// NetCore: transaction relay. Accepted transactions are announced with inv to every peer
// that does not know them, batched per peer after a randomized (exponential) delay so the
// origin is harder to pinpoint; peers fetch them with getdata.
#include "p2p/net_core.h"
#include "p2p/peer.h"

namespace tally::p2p {

void NetCore::queue_tx_announcement(const ledger::TxId& txid, PeerId except) {
  for (auto& [id, p] : peers_) {
    if (id == except || !p->established || p->disconnecting || p->known.contains(txid)) continue;
    add_tx_to_announce(*p, txid);
  }
}

void NetCore::add_tx_to_announce(Peer& p, const ledger::TxId& txid) {
  if (p.tx_to_announce.empty()) inv_due_.emplace(p.next_tx_inv_ms, p.id);
  p.tx_to_announce.push_back(txid);
}

void NetCore::flush_due_announcements(std::int64_t now_ms) {
  while (!inv_due_.empty() && inv_due_.top().first <= now_ms) {
    const PeerId id = inv_due_.top().second;
    inv_due_.pop();
    auto it = peers_.find(id);
    if (it == peers_.end() || it->second->disconnecting) continue;
    flush_tx_announcements(*it->second, now_ms);
  }
}

void NetCore::flush_tx_announcements(Peer& p, std::int64_t now_ms) {
  std::exponential_distribution<double> delay(1.0 / static_cast<double>(std::max<std::int64_t>(1, config_.tx_inv_interval_ms)));
  // Inbound peers wait twice as long on average, like Bitcoin Core's trickle.
  const double scale = p.inbound ? 2.0 : 1.0;
  p.next_tx_inv_ms = now_ms + static_cast<std::int64_t>(delay(rng_) * scale);
  if (p.tx_to_announce.empty()) return;
  InvMsg inv;
  for (const auto& txid : p.tx_to_announce) {
    if (p.known.contains(txid) || !mempool_.contains(txid)) continue;
    p.known.insert(txid);
    inv.items.push_back(InvItem{InvType::kTx, txid});
    if (inv.items.size() == kMaxInvPerMessage) {
      send(p, inv);
      inv.items.clear();
    }
  }
  p.tx_to_announce.clear();
  if (!inv.items.empty()) send(p, inv);
}

void NetCore::on_inv(Peer& p, const InvMsg& m, std::int64_t now_ms) {
  GetDataMsg want;
  std::size_t unknown_blocks = 0;
  for (const InvItem& item : m.items) {
    p.known.insert(item.hash);
    if (item.type == InvType::kBlock) {
      if (chain_.find(item.hash) == nullptr && ++unknown_blocks > kMaxUnknownBlockAnnouncements) {
        // An honest peer announces the few blocks it just connected; thousands of block
        // hashes this node has never heard of are a flood, whatever they hash to.
        misbehave(p, 50, "more than " + std::to_string(kMaxUnknownBlockAnnouncements) +
                             " unknown block announcements in one inv");
        return;
      }
      continue;
    }
    if (mempool_.contains(item.hash) || txs_in_flight_.contains(item.hash)) continue;
    if (p.tx_requests >= config_.max_tx_requests_in_flight) {
      misbehave(p, 1, "too many transaction announcements in flight");
      if (p.disconnecting) return;
      continue;
    }
    txs_in_flight_.emplace(item.hash, p.id);
    ++p.tx_requests;
    want.items.push_back(item);
  }
  if (!want.items.empty()) send(p, want);
  if (unknown_blocks > 0) request_headers(p);
  (void)now_ms;
}

void NetCore::on_getdata(Peer& p, const GetDataMsg& m) {
  NotFoundMsg missing;
  for (const InvItem& item : m.items) {
    if (item.type == InvType::kTx) {
      if (auto tx = mempool_.get(item.hash)) {
        p.known.insert(item.hash);
        send(p, TxMsg{*tx});
        continue;
      }
    } else {
      auto block = chain_.read_block(item.hash);
      if (block && block->has_value()) {
        p.known.insert(item.hash);
        send(p, BlockMsg{std::move(**block)});
        continue;
      }
    }
    missing.items.push_back(item);
  }
  if (!missing.items.empty()) send(p, missing);
}

void NetCore::on_notfound(Peer& p, const NotFoundMsg& m) {
  for (const InvItem& item : m.items) {
    if (item.type == InvType::kTx) {
      auto it = txs_in_flight_.find(item.hash);
      if (it != txs_in_flight_.end() && it->second == p.id) {
        txs_in_flight_.erase(it);
        --p.tx_requests;
      }
    } else {
      auto it = blocks_in_flight_.find(item.hash);
      if (it != blocks_in_flight_.end() && it->second.peer == p.id) {
        blocks_in_flight_.erase(it);
        --p.blocks_in_flight;
      }
    }
  }
}

void NetCore::on_tx(Peer& p, const TxMsg& m, std::int64_t now_ms) {
  const ledger::TxId txid = m.tx.txid();
  p.known.insert(txid);
  auto it = txs_in_flight_.find(txid);
  if (it != txs_in_flight_.end() && it->second == p.id) {
    txs_in_flight_.erase(it);
    --p.tx_requests;
  } else {
    misbehave(p, 5, "unrequested transaction");
    if (p.disconnecting) return;
  }
  accept_tx(m.tx, &p, now_ms);
}

void NetCore::accept_tx(const ledger::Transaction& tx, Peer* from, std::int64_t now_ms) {
  const PeerId from_id = from ? from->id : 0;
  const ledger::TxId txid = tx.txid();
  auto r = mempool_.accept(tx, chain_.state(), now_ms);
  if (!r) {
    emit(now_ms, TxRejectedEvent{txid, from_id, r.error().reason_code()});
    if (from && r.error().reason == ledger::MempoolReject::kInvalid && r.error().tx_error &&
        (*r.error().tx_error == ledger::TxError::kBadSignature || *r.error().tx_error == ledger::TxError::kWrongChainId ||
         *r.error().tx_error == ledger::TxError::kCoinbaseOutOfPlace))
      misbehave(*from, 10, std::string("invalid transaction: ") + r.error().reason_code());
    return;
  }
  emit(now_ms, TxAcceptedEvent{txid, from_id});
  if (from) from->last_tx_ms = now_ms;
  chain_.note_verified(txid);
  remember_extra_tx(txid, tx);
  if (r->queue == ledger::TxQueue::kReady) queue_tx_announcement(txid, from_id);
  for (const auto& promoted : r->promoted) queue_tx_announcement(promoted, 0);
}

std::expected<ledger::AcceptResult, ledger::MempoolError> NetCore::submit_transaction(const ledger::Transaction& tx,
                                                                                     std::int64_t now_ms,
                                                                                     bool signature_checked) {
  now_ms_ = now_ms;
  const ledger::TxId txid = tx.txid();
  auto r = mempool_.accept(tx, chain_.state(), now_ms, signature_checked);
  if (!r) {
    emit(now_ms, TxRejectedEvent{txid, 0, r.error().reason_code()});
    return r;
  }
  emit(now_ms, TxAcceptedEvent{txid, 0});
  chain_.note_verified(txid);
  remember_extra_tx(txid, tx);
  if (r->queue == ledger::TxQueue::kReady) queue_tx_announcement(txid, 0);
  for (const auto& promoted : r->promoted) queue_tx_announcement(promoted, 0);
  return r;
}

}  // namespace tally::p2p
