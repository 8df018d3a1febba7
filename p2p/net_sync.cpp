// NetCore: headers-first sync, parallel block download and block relay.
//
// Headers arrive first (getheaders with a block locator, up to 2,000 per message, or a new
// block announced by its header); the chain stores them, then blocks on the most-work header
// chain are fetched from the peers known to have them, at most
// max_blocks_in_flight_per_peer per peer within block_download_window blocks of the tip,
// re-requested from another peer on timeout. Header chains that end below our tip's work are
// buffered per peer (bounded) and only stored once they overtake it, unless they fork off
// within stale_fork_depth_max blocks of the tip (short stale forks are kept: they are what
// convergence studies look at). So a peer cannot make the node store an unbounded number of
// cheap headers.
#include "crypto/hex.h"
#include "p2p/net_core.h"
#include "p2p/peer.h"

namespace tally::p2p {

namespace {

std::vector<BlockHash> locator_from(const ledger::BlockEntry* e) {
  std::vector<BlockHash> out;
  std::uint32_t step = 1;
  while (e) {
    out.push_back(e->hash);
    if (e->height() == 0) break;
    if (out.size() >= 10) step *= 2;
    const std::uint32_t target = e->height() > step ? e->height() - step : 0;
    while (e->height() > target) e = e->parent;
  }
  return out;
}

}  // namespace

void NetCore::request_headers(Peer& p) {
  if (p.headers_requested || p.disconnecting) return;
  p.headers_requested = true;
  const ledger::BlockEntry* from = &chain_.best_header();
  send(p, GetHeadersMsg{locator_from(from), BlockHash{}});
}

void NetCore::on_getheaders(Peer& p, const GetHeadersMsg& m) {
  const ledger::BlockEntry& fork = chain_.find_fork(m.locator);
  HeadersMsg reply;
  for (std::uint32_t h = fork.height() + 1; h <= chain_.height() && reply.headers.size() < kMaxHeadersPerMessage; ++h) {
    const ledger::BlockEntry* e = chain_.at_height(h);
    reply.headers.push_back(e->header);
    p.known.insert(e->hash);
    if (e->hash == m.stop) break;
  }
  send(p, reply);
}

void NetCore::on_headers(Peer& p, HeadersMsg&& m, std::int64_t now_ms) {
  const bool full = m.headers.size() == kMaxHeadersPerMessage;
  p.headers_requested = false;
  if (m.headers.empty()) {
    p.low_work_headers.clear();
    return;
  }
  for (std::size_t i = 1; i < m.headers.size(); ++i) {
    if (m.headers[i].prev_hash != m.headers[i - 1].hash())
      return misbehave(p, 20, "headers do not form a chain");
  }
  for (const auto& h : m.headers) p.known.insert(h.hash());

  // Where does this batch attach: to a stored header, or to this peer's buffered chain?
  const ledger::BlockEntry* parent = chain_.find(m.headers.front().prev_hash);
  std::vector<ledger::BlockHeader> chain_headers;
  if (!parent) {
    if (!p.low_work_headers.empty() && p.low_work_headers.back().hash() == m.headers.front().prev_hash) {
      chain_headers = std::move(p.low_work_headers);
      p.low_work_headers.clear();
      parent = chain_.find(chain_headers.front().prev_hash);
    }
    if (!parent) {
      // We miss the start of the peer's branch (we are behind or it is a deep fork): ask.
      p.low_work_headers.clear();
      request_headers(p);
      return;
    }
  }
  chain_headers.insert(chain_headers.end(), m.headers.begin(), m.headers.end());

  ledger::Uint256 work = parent->chain_work;
  for (const auto& h : chain_headers) work += ledger::work_from_compact(h.bits);
  const ledger::BlockEntry& tip = chain_.tip();
  const bool more_work = work > tip.chain_work;
  const bool shallow_fork = parent->height() + config_.stale_fork_depth_max >= tip.height();
  if (more_work || shallow_fork) {
    if (!commit_headers(p, chain_headers, now_ms)) return;
    if (full) request_headers(p);
    request_blocks(now_ms);
    return;
  }
  // Below our tip's work so far: hold (bounded) and ask for more, or forget.
  if (!full) return;  // the peer has no more: a deep low-work fork, not stored
  if (chain_headers.size() + kMaxHeadersPerMessage > config_.low_work_header_buffer) {
    return misbehave(p, 20, "low-work header chain");
  }
  p.low_work_headers = std::move(chain_headers);
  p.headers_requested = true;
  send(p, GetHeadersMsg{{p.low_work_headers.back().hash()}, BlockHash{}});
}

bool NetCore::commit_headers(Peer& p, const std::vector<ledger::BlockHeader>& headers, std::int64_t now_ms) {
  for (const auto& h : headers) {
    const ledger::BlockEntry* e = accept_peer_header(p, h, now_ms);
    if (!e) return false;
    const BlockHash& hash = e->hash;
    // A freshly announced block on a stale branch is fetched right away so stale branches
    // are stored too; blocks of the best branch are scheduled by request_blocks.
    if (headers.size() <= config_.stale_fork_depth_max && !e->has_data() && e->parent &&
        (e->parent->has_data() || blocks_in_flight_.contains(e->parent->hash)) &&
        !blocks_in_flight_.contains(hash) && p.blocks_in_flight < config_.max_blocks_in_flight_per_peer &&
        e != &chain_.best_header()) {
      blocks_in_flight_[hash] = BlockRequest{p.id, now_ms + config_.block_request_timeout_ms};
      ++p.blocks_in_flight;
      send(p, GetDataMsg{{InvItem{InvType::kBlock, hash}}});
    }
  }
  return true;
}

const ledger::BlockEntry* NetCore::accept_peer_header(Peer& p, const ledger::BlockHeader& h, std::int64_t now_ms) {
  const BlockHash hash = h.hash();
  const bool is_new = chain_.find(hash) == nullptr;
  auto r = chain_.accept_header(h, chain_time_s(now_ms));
  if (!r) {
    const auto& err = r.error();
    if (err.kind != ledger::ChainError::Kind::kInvalid) {
      fatal_error_ = err.message;
      return nullptr;
    }
    emit(now_ms, BlockRejectedEvent{hash, p.id, err.message});
    // A header from the future may become valid later: not the peer's fault.
    const bool future = err.failure && err.failure->error == ledger::BlockError::kTimeTooNew;
    if (!future) misbehave(p, config_.ban_threshold, "invalid header: " + err.message);
    return nullptr;
  }
  const ledger::BlockEntry* e = *r;
  if (is_new) emit(now_ms, HeaderSeenEvent{hash, e->height(), p.id});
  if (!p.best_known || e->chain_work > p.best_known->chain_work) {
    p.best_known = e;
    p.best_known_height = std::max(p.best_known_height, e->height());
  }
  return e;
}

void NetCore::request_blocks(std::int64_t now_ms) {
  const ledger::BlockEntry* target = &chain_.best_header();
  if (target->chain_has_data) return;
  // Missing blocks on the way to the best header, oldest first, within the window.
  std::vector<const ledger::BlockEntry*> missing;
  const std::uint32_t limit = chain_.height() + config_.block_download_window;
  for (const ledger::BlockEntry* e = target; e && !e->chain_has_data; e = e->parent) {
    if (!e->has_data() && e->height() <= limit && !blocks_in_flight_.contains(e->hash)) missing.push_back(e);
  }
  std::reverse(missing.begin(), missing.end());
  if (missing.empty()) return;

  std::map<PeerId, GetDataMsg> requests;
  for (const ledger::BlockEntry* e : missing) {
    Peer* best = nullptr;
    for (auto& [id, pp] : peers_) {
      Peer& p = *pp;
      if (!p.established || p.disconnecting || !p.best_known) continue;
      if (p.blocks_in_flight >= config_.max_blocks_in_flight_per_peer) continue;
      if (p.best_known->height() < e->height() || p.best_known->ancestor(e->height()) != e) continue;
      if (!best || p.blocks_in_flight < best->blocks_in_flight) best = &p;
    }
    if (!best) continue;
    blocks_in_flight_[e->hash] = BlockRequest{best->id, now_ms + config_.block_request_timeout_ms};
    ++best->blocks_in_flight;
    requests[best->id].items.push_back(InvItem{InvType::kBlock, e->hash});
  }
  for (auto& [id, msg] : requests) send(*peers_.at(id), msg);
}

void NetCore::tick_block_requests(std::int64_t now_ms) {
  bool expired = false;
  for (auto it = blocks_in_flight_.begin(); it != blocks_in_flight_.end();) {
    if (it->second.deadline_ms > now_ms) {
      ++it;
      continue;
    }
    if (auto p = peers_.find(it->second.peer); p != peers_.end()) {
      --p->second->blocks_in_flight;
      // A peer that lets requests time out is likely stalling the download.
      misbehave(*p->second, 10, "block request timed out");
    }
    it = blocks_in_flight_.erase(it);
    expired = true;
  }
  if (expired) request_blocks(now_ms);
}

void NetCore::on_block(Peer& p, BlockMsg&& m, std::int64_t now_ms) {
  const BlockHash hash = m.block.hash();
  p.known.insert(hash);
  auto it = blocks_in_flight_.find(hash);
  if (it != blocks_in_flight_.end() && it->second.peer == p.id) {
    blocks_in_flight_.erase(it);
    --p.blocks_in_flight;
  }
  // Unrequested blocks are pushed new tips (see announce_tip). One whose parent has not
  // arrived yet is held as an orphan: proof of work and the body were checked, the orphan pool
  // is bounded, and an invalid one costs the full ban score in process_block, so a valid
  // but early block costs nothing (at high block rates with latency they are common).
  (void)process_block(m.block, &p, now_ms);
  request_blocks(now_ms);
}

std::expected<ledger::BlockAcceptResult, ledger::ChainError> NetCore::process_block(const ledger::Block& block,
                                                                                     Peer* from, std::int64_t now_ms,
                                                                                     bool via_compact) {
  const BlockHash hash = block.hash();
  const PeerId from_id = from ? from->id : 0;
  if (!chain_.find(hash)) emit(now_ms, HeaderSeenEvent{hash, block.header.height, from_id});
  auto r = chain_.accept_block(block, chain_time_s(now_ms));
  if (!r) {
    const auto& err = r.error();
    if (err.kind != ledger::ChainError::Kind::kInvalid) {
      fatal_error_ = err.message;
      return r;
    }
    emit(now_ms, BlockRejectedEvent{hash, from_id, err.message});
    const bool future = err.failure && err.failure->error == ledger::BlockError::kTimeTooNew;
    if (from && !future && !via_compact) misbehave(*from, config_.ban_threshold, "invalid block: " + err.message);
    return r;
  }
  if (r->status == ledger::AcceptStatus::kOrphan && from) request_headers(*from);
  if (from && r->entry && (!from->best_known || r->entry->chain_work > from->best_known->chain_work))
    from->best_known = r->entry;
  if (from && r->update.tip_changed()) from->last_block_ms = now_ms;
  after_chain_update(r->update, now_ms);
  return r;
}

std::expected<ledger::BlockAcceptResult, ledger::ChainError> NetCore::submit_block(const ledger::Block& block,
                                                                                     std::int64_t now_ms) {
  now_ms_ = now_ms;
  auto r = process_block(block, nullptr, now_ms);
  request_blocks(now_ms);
  return r;
}

std::expected<ledger::ChainUpdate, ledger::ChainError> NetCore::invalidate_block(const BlockHash& hash,
                                                                                std::int64_t now_ms) {
  now_ms_ = now_ms;
  auto r = chain_.invalidate_block(hash);
  if (!r) {
    if (r.error().kind == ledger::ChainError::Kind::kStore || r.error().kind == ledger::ChainError::Kind::kCorrupt)
      fatal_error_ = r.error().message;
    return r;
  }
  after_chain_update(*r, now_ms);
  return r;
}

std::expected<ledger::ChainUpdate, ledger::ChainError> NetCore::reconsider_block(const BlockHash& hash,
                                                                                std::int64_t now_ms) {
  now_ms_ = now_ms;
  auto r = chain_.reconsider_block(hash);
  if (!r) {
    if (r.error().kind == ledger::ChainError::Kind::kStore || r.error().kind == ledger::ChainError::Kind::kCorrupt)
      fatal_error_ = r.error().message;
    return r;
  }
  after_chain_update(*r, now_ms);
  request_blocks(now_ms);  // a reconsidered branch may lack blocks this node can now fetch
  return r;
}

void NetCore::after_chain_update(const ledger::ChainUpdate& update, std::int64_t now_ms) {
  for (const auto& [hash, failure] : update.invalidated)
    emit(now_ms, BlockRejectedEvent{hash, 0, failure.message()});
  if (!update.tip_changed()) return;

  if (!update.disconnected.empty()) {
    auto tu = mempool_.on_blocks_disconnected(update.disconnected_txs, chain_.state(), now_ms);
    for (const auto& txid : tu.readded) queue_tx_announcement(txid, 0);
    for (const auto& txid : tu.promoted) queue_tx_announcement(txid, 0);
  }
  for (std::size_t i = 0; i < update.connected.size(); ++i) {
    const auto& e = *update.connected[i];
    auto tu = mempool_.on_block_connected(*update.connected_blocks[i], chain_.state());
    for (const auto& txid : tu.promoted) queue_tx_announcement(txid, 0);
    const ledger::Block& block = *update.connected_blocks[i];
    std::vector<ledger::TxId> txids;
    if (config_.event_txids) {
      txids.reserve(block.txs.size());
      for (std::size_t t = 1; t < block.txs.size(); ++t) txids.push_back(block.txs[t].txid());
    }
    emit(now_ms, BlockConnectedEvent{e.hash, e.height(), block.txs.size(), std::move(txids)});
  }
  const BlockHash old_tip = update.disconnected.empty()
                                ? (update.connected.front()->parent ? update.connected.front()->parent->hash : BlockHash{})
                                : update.disconnected.front()->hash;
  if (!update.disconnected.empty())
    emit(now_ms, ReorgEvent{old_tip, chain_.tip().hash, update.disconnected.size()});
  emit(now_ms, TipChangedEvent{old_tip, chain_.tip().hash, chain_.height()});
  const bool one_block = update.disconnected.empty() && update.connected.size() == 1;
  announce_tip(one_block ? update.connected_blocks.front().get() : nullptr, now_ms);
}

void NetCore::announce_tip(const ledger::Block* pushed_block, std::int64_t now_ms) {
  (void)now_ms;
  const ledger::BlockEntry& tip = chain_.tip();
  if (tip.hash == last_announced_tip_) return;
  last_announced_tip_ = tip.hash;
  // The last few headers up to the tip, so a peer one or two blocks behind can connect them.
  std::vector<const ledger::BlockEntry*> recent;
  for (const ledger::BlockEntry* e = &tip; e && e->height() > 0 && recent.size() < 8; e = e->parent)
    recent.push_back(e);
  std::reverse(recent.begin(), recent.end());
  // A single new block on top of what a peer has is pushed whole: one hop then costs one
  // message instead of header -> getdata -> block (as BIP152's high-bandwidth mode).
  // Peers that asked for compact blocks get the block as cmpctblock, the others whole.
  const bool push = pushed_block && pushed_block->hash() == tip.hash && tip.parent;
  std::shared_ptr<const Bytes> block_frame;
  std::shared_ptr<const Bytes> compact_frame;
  for (auto& [id, pp] : peers_) {
    Peer& p = *pp;
    if (!p.established || p.disconnecting || p.known.contains(tip.hash)) continue;
    if (push && p.known.contains(tip.parent->hash)) {
      p.known.insert(tip.hash);
      auto& frame = p.wants_cmpct ? compact_frame : block_frame;
      if (!frame) {
        const std::uint32_t magic = chain_.spec().network_magic;
        frame = std::make_shared<const Bytes>(p.wants_cmpct ? encode_frame(magic, make_compact_block(*pushed_block, rng_()))
                                                            : encode_frame(magic, BlockMsg{*pushed_block}));
      }
      if (p.wants_cmpct) ++compact_stats_.blocks_sent;
      send_frame(p, frame);
      continue;
    }
    HeadersMsg msg;
    for (const ledger::BlockEntry* e : recent) {
      if (p.known.contains(e->hash) && msg.headers.empty()) continue;  // start after what it has
      msg.headers.push_back(e->header);
      p.known.insert(e->hash);
    }
    if (!msg.headers.empty()) send(p, msg);
  }
}

}  // namespace tally::p2p
