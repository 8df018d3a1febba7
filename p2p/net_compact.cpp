// NetCore: compact block relay (after BIP152; docs/PROTOCOL.md, "Compact blocks").
//
// Every peer is asked, once the handshake is done, to send new blocks as cmpctblock unasked
// (high-bandwidth mode). A cmpctblock's header is checked (proof of work, context) and
// stored first; the block is then rebuilt from the prefilled coinbase, the mempool and the
// recently accepted transactions; what is missing is asked for with getblocktxn. A rebuilt
// block whose merkle root matches its header is relayed on as cmpctblock before it is
// validated, then validated; one that fails validation costs its sender nothing, as its
// header was valid (docs/DECISIONS.md). Any failure (two slots with one short id, the wrong
// merkle root, an answer that does not fit) falls back to asking for the full block.
#include "p2p/net_core.h"
#include "p2p/peer.h"

namespace tally::p2p {

void NetCore::on_sendcmpct(Peer& p, const SendCmpctMsg& m) {
  // Other versions are ignored, as BIP152 asks: a later version may negotiate differently.
  // With compact relay off (--compactrelay 0) this node sends whole blocks to everyone, even
  // to peers that ask for compact ones.
  if (m.version == kCompactVersion && config_.compact_relay) p.wants_cmpct = m.high_bandwidth;
}

void NetCore::remember_extra_tx(const ledger::TxId& txid, const ledger::Transaction& tx) {
  if (config_.compact_extra_txs == 0) return;
  extra_txs_.emplace_back(txid, tx);
  if (extra_txs_.size() > config_.compact_extra_txs) extra_txs_.pop_front();
}

// While a block is being rebuilt from p's cmpctblock, it counts as in flight from p: the
// download scheduler does not ask anyone else for it, and a peer that never answers the
// getblocktxn times out like one that never sends a requested block.
void NetCore::release_compact_request(Peer& p, const BlockHash& hash) {
  auto it = blocks_in_flight_.find(hash);
  if (it == blocks_in_flight_.end() || it->second.peer != p.id) return;
  blocks_in_flight_.erase(it);
  --p.blocks_in_flight;
}

void NetCore::request_full_block(Peer& p, const BlockHash& hash, std::int64_t now_ms) {
  ++compact_stats_.fallbacks;
  release_compact_request(p, hash);
  if (blocks_in_flight_.contains(hash) || p.disconnecting) return;
  blocks_in_flight_[hash] = BlockRequest{p.id, now_ms + config_.block_request_timeout_ms};
  ++p.blocks_in_flight;
  send(p, GetDataMsg{{InvItem{InvType::kBlock, hash}}});
}

void NetCore::on_cmpctblock(Peer& p, const CmpctBlockMsg& m, std::int64_t now_ms) {
  const BlockHash hash = m.header.hash();
  p.known.insert(hash);
  if (const ledger::BlockEntry* e = chain_.find(hash); e && e->has_data()) return;  // have it
  if (p.partial && p.partial->header().hash() == hash) return;                       // rebuilding it
  for (const auto& pending : pending_compact_)
    if (pending.block.header.hash() == hash) return;  // rebuilt, about to be validated
  if (!chain_.find(m.header.prev_hash)) {
    request_headers(p);  // we lack its parent: sync headers first
    return;
  }
  if (!accept_peer_header(p, m.header, now_ms)) return;
  // Another peer's copy is being rebuilt or downloaded: one rebuild per block (that request
  // times out and moves on if its peer stalls).
  if (auto f = blocks_in_flight_.find(hash); f != blocks_in_flight_.end() && f->second.peer != p.id) return;
  ++compact_stats_.blocks_received;
  auto partial = PartialBlock::start(m);
  if (!partial) {
    if (partial.error() == PartialBlock::StartError::kNoCoinbase)
      misbehave(p, 10, std::string("cmpctblock: ") + to_string(partial.error()));
    return request_full_block(p, hash, now_ms);
  }
  mempool_.for_each([&](const ledger::TxId& txid, const ledger::Transaction& tx) { partial->offer(txid, tx); });
  for (const auto& [txid, tx] : extra_txs_) partial->offer(txid, tx);
  // One block rebuilt per peer: an unfinished older one is given up without blaming the peer
  // (its request is released, so the download scheduler fetches that block if still needed).
  if (p.partial) release_compact_request(p, p.partial->header().hash());
  p.partial = std::move(*partial);
  if (p.partial->complete()) {
    ++compact_stats_.reconstructed;
    return finish_compact(p, now_ms);
  }
  if (!blocks_in_flight_.contains(hash)) {
    blocks_in_flight_[hash] = BlockRequest{p.id, now_ms + config_.block_request_timeout_ms};
    ++p.blocks_in_flight;
  }
  GetBlockTxnMsg ask{hash, p.partial->missing()};
  compact_stats_.txs_requested += ask.indexes.size();
  send(p, ask);
}

void NetCore::on_getblocktxn(Peer& p, const GetBlockTxnMsg& m) {
  auto stored = chain_.read_block(m.block_hash);
  if (!stored || !stored->has_value()) return;  // unknown, or failed validation after relay
  const ledger::Block& block = **stored;
  BlockTxnMsg reply{m.block_hash, {}};
  reply.txs.reserve(m.indexes.size());
  for (std::uint32_t i : m.indexes) {
    if (i >= block.txs.size()) return misbehave(p, config_.ban_threshold, "getblocktxn index out of range");
    reply.txs.push_back(block.txs[i]);
  }
  send(p, reply);
}

void NetCore::on_blocktxn(Peer& p, BlockTxnMsg&& m, std::int64_t now_ms) {
  if (!p.partial || p.partial->header().hash() != m.block_hash) return misbehave(p, 5, "unrequested blocktxn");
  if (!p.partial->fill(m.txs)) {
    p.partial.reset();
    misbehave(p, 10, "blocktxn does not answer the request");
    return request_full_block(p, m.block_hash, now_ms);
  }
  ++compact_stats_.round_trips;
  finish_compact(p, now_ms);
}

void NetCore::finish_compact(Peer& p, std::int64_t now_ms) {
  const PartialBlock partial = std::move(*p.partial);
  p.partial.reset();
  ledger::Block block = partial.block();
  const BlockHash hash = block.hash();
  release_compact_request(p, hash);
  if (block.compute_tx_root() != block.header.tx_root) {
    // A short id matched a different transaction of ours: not the sender's fault.
    return request_full_block(p, hash, now_ms);
  }
  compact_stats_.txs_from_pool += partial.from_pool_count();
  // Relay before validating, to the peers that asked for compact blocks and whose view
  // holds the parent (BIP152's high-bandwidth relay). The header's proof of work is checked.
  if (chain_.find(block.header.prev_hash) == &chain_.tip()) {
    std::shared_ptr<const Bytes> frame;
    for (auto& [id, other] : peers_) {
      Peer& o = *other;
      if (o.id == p.id || !o.established || o.disconnecting || !o.wants_cmpct || o.known.contains(hash)) continue;
      if (!o.known.contains(block.header.prev_hash)) continue;
      if (!frame)
        frame = std::make_shared<const Bytes>(
            encode_frame(chain_.spec().network_magic, make_compact_block(block, rng_())));
      o.known.insert(hash);
      ++compact_stats_.blocks_sent;
      send_frame(o, frame);
    }
  }
  pending_compact_.push_back(PendingBlock{std::move(block), p.id});
}

void NetCore::validate_pending_compact(std::int64_t now_ms) {
  while (!pending_compact_.empty()) {
    PendingBlock next = std::move(pending_compact_.front());
    pending_compact_.pop_front();
    auto it = peers_.find(next.from);
    Peer* from = it != peers_.end() && !it->second->disconnecting ? it->second.get() : nullptr;
    (void)process_block(next.block, from, now_ms, /*via_compact=*/true);
  }
  request_blocks(now_ms);
}

}  // namespace tally::p2p
