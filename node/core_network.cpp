// The RPC layer's network control over the core's NetCore: peers, bans, partitions, and
// local submissions of transactions and blocks. Each call is one closure on the core thread.
#include <algorithm>

#include "node/core_views.h"

#include "crypto/hex.h"
#include "p2p/asio_transport.h"

namespace tally::node {

namespace {

rpc::PeerInfo peer_info(const p2p::PeerStats& p) {
  rpc::PeerInfo i;
  i.id = p.id;
  i.address = p.address;
  i.inbound = p.inbound;
  i.established = p.established;
  i.user_agent = p.user_agent;
  i.start_height = p.start_height;
  i.best_known_height = p.best_known_height;
  i.connected_ms = p.connected_ms;
  i.last_ping_rtt_ms = p.last_ping_rtt_ms;
  i.bytes_sent = p.bytes_sent;
  i.bytes_received = p.bytes_received;
  i.misbehaviour = p.misbehaviour;
  i.blocks_in_flight = p.blocks_in_flight;
  return i;
}

// BIP22's reason for a block that breaks a rule: the rule's code, then the transaction's.
std::string block_reject_reason(const ledger::BlockFailure& f) {
  std::string r = ledger::reason_code(f.error);
  if (f.tx_error) r += std::string(":") + ledger::reason_code(*f.tx_error);
  return r;
}

rpc::BlockSubmitResult block_result(rpc::BlockSubmitResult::Status status, std::string reason = {}) {
  return rpc::BlockSubmitResult{status, std::move(reason)};
}

}  // namespace

rpc::NodeResult<rpc::NetworkInfo> CoreNetworkControl::info() {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<rpc::NetworkInfo> {
    const p2p::NetCore& net = core.net;
    rpc::NetworkInfo info;
    info.user_agent = net.config().user_agent;
    info.listen_port = net.config().listen_port;
    info.inbound = net.inbound_count();
    info.outbound = net.outbound_count();
    info.max_inbound = net.config().max_inbound;
    info.max_outbound = net.config().max_outbound;
    info.discovery = net.config().discovery;
    info.banned = net.bans().size();
    if (core.transport) {
      if (core.transport->node_key()) info.node_key = crypto::to_hex(core.transport->node_key()->span());
      info.allowed_keys = core.transport->allowed_key_count();
      const p2p::TransportCounters& t = core.transport->counters();
      info.handshakes_completed = t.handshakes_completed;
      info.handshakes_failed = t.handshakes_failed;
      info.peers_not_allowed = t.peers_not_allowed;
      info.records_rejected = t.records_rejected;
      info.dials_with_key = t.dials_with_key;
    }
    for (const auto& t : net.traffic()) {
      info.bytes_received += t.received;
      info.bytes_sent += t.sent;
    }
    info.now_ms = core.now_ms;
    return info;
  });
}

rpc::NodeResult<std::vector<rpc::PeerInfo>> CoreNetworkControl::peers() {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<std::vector<rpc::PeerInfo>> {
    std::vector<rpc::PeerInfo> out;
    for (const auto& p : core.net.peer_stats()) {
      out.push_back(peer_info(p));
      if (core.transport)
        if (auto key = core.transport->peer_key(p.id)) out.back().node_key = crypto::to_hex(key->span());
    }
    return out;
  });
}

rpc::NodeResult<void> CoreNetworkControl::add_peer(const p2p::NetAddress& address) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<void> {
    core.net.add_peer_address(address, core.now_ms);
    return {};
  });
}

rpc::NodeResult<bool> CoreNetworkControl::remove_peer(const p2p::NetAddress& address) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<bool> {
    return core.net.remove_peer_address(address);
  });
}

rpc::NodeResult<void> CoreNetworkControl::connect_once(const p2p::NetAddress& address) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<void> {
    core.net.connect_once(address, core.now_ms);
    return {};
  });
}

rpc::NodeResult<bool> CoreNetworkControl::disconnect(p2p::PeerId id, const std::string& reason) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<bool> {
    return core.net.disconnect(id, reason);
  });
}

rpc::NodeResult<bool> CoreNetworkControl::disconnect(const p2p::NetAddress& address, const std::string& reason) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<bool> {
    std::optional<p2p::PeerId> id;
    for (const auto& p : core.net.peer_stats())
      if (p.address == address) id = p.id;
    return id && core.net.disconnect(*id, reason);
  });
}

rpc::NodeResult<rpc::BanList> CoreNetworkControl::bans() {
  return run_on_core(runner_, [](CoreParts& core) -> rpc::NodeResult<rpc::BanList> {
    rpc::BanList list;
    list.now_ms = core.now_ms;
    for (const auto& b : core.net.bans()) list.bans.push_back(rpc::Ban{b.key, b.until_ms, b.reason});
    return list;
  });
}

rpc::NodeResult<rpc::BanOutcome> CoreNetworkControl::ban(const std::string& key, const rpc::BanUntil& until,
                                                         const std::string& reason) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::BanOutcome> {
    p2p::NetCore& net = core.net;
    const auto bans = net.bans();
    if (std::any_of(bans.begin(), bans.end(), [&](const p2p::BanEntry& b) { return b.key == key; }))
      return rpc::BanOutcome::kAlreadyBanned;
    const std::int64_t duration_ms = until.duration_ms > 0 ? until.duration_ms : net.config().ban_duration_ms;
    const std::int64_t until_ms = until.until_ms.value_or(core.now_ms + duration_ms);
    if (until_ms <= core.now_ms) return rpc::BanOutcome::kEndsInThePast;
    net.ban(key, until_ms, reason);
    return rpc::BanOutcome::kBanned;
  });
}

rpc::NodeResult<bool> CoreNetworkControl::unban(const std::string& key) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<bool> { return core.net.unban(key); });
}

rpc::NodeResult<void> CoreNetworkControl::set_partition(const std::set<p2p::NetAddress>& endpoints) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<void> {
    core.net.set_blocked(endpoints, core.now_ms);
    return {};
  });
}

rpc::NodeResult<rpc::TxSubmitResult> CoreNetworkControl::submit_transaction(const ledger::Transaction& tx,
                                                                            bool signature_checked) {
  auto r = submit_transactions(std::span<const ledger::Transaction>(&tx, 1), std::span<const bool>(&signature_checked, 1));
  if (!r) return std::unexpected(r.error());
  return std::move(r->front());
}

rpc::NodeResult<std::vector<rpc::TxSubmitResult>> CoreNetworkControl::submit_transactions(
    std::span<const ledger::Transaction> txs, std::span<const bool> signature_checked) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<std::vector<rpc::TxSubmitResult>> {
    using Status = rpc::TxSubmitResult::Status;
    std::vector<rpc::TxSubmitResult> out;
    out.reserve(txs.size());
    for (std::size_t i = 0; i < txs.size(); ++i) {
      const ledger::Transaction& tx = txs[i];
      const ledger::TxId txid = tx.txid();
      auto in_chain = confirmed_in(core.chain, txid);
      if (!in_chain) return std::unexpected(chain_error(in_chain.error()));
      if (*in_chain != nullptr) {
        out.push_back(rpc::TxSubmitResult{Status::kAlreadyInChain, {}, {}});
      } else if (core.mempool.contains(txid)) {
        out.push_back(rpc::TxSubmitResult{Status::kAlreadyInMempool, {}, {}});
      } else if (auto r = core.net.submit_transaction(tx, core.now_ms, signature_checked[i]); !r) {
        out.push_back(rpc::TxSubmitResult{Status::kRejected, r.error().reason_code(), r.error().message()});
      } else {
        out.push_back(rpc::TxSubmitResult{Status::kAccepted, {}, {}});
      }
    }
    return out;
  });
}

rpc::NodeResult<rpc::BlockSubmitResult> CoreNetworkControl::submit_block(const ledger::Block& block) {
  return run_on_core(runner_, [&](CoreParts& core) -> rpc::NodeResult<rpc::BlockSubmitResult> {
    using Status = rpc::BlockSubmitResult::Status;
    const ledger::BlockHash hash = block.hash();
    if (const ledger::BlockEntry* e = core.chain.find(hash); e != nullptr && e->has_data())
      return block_result(e->failed() ? Status::kDuplicateInvalid : Status::kDuplicate);
    auto r = core.net.submit_block(block, core.now_ms);
    if (!r) {
      if (r.error().kind != ledger::ChainError::Kind::kInvalid) return std::unexpected(chain_error(r.error()));
      return block_result(Status::kRejected, r.error().failure ? block_reject_reason(*r.error().failure) : "rejected");
    }
    if (r->status == ledger::AcceptStatus::kOrphan) return block_result(Status::kOrphan);
    if (r->status == ledger::AcceptStatus::kDuplicate) return block_result(Status::kDuplicate);
    for (const auto& [h, failure] : r->update.invalidated)
      if (h == hash) return block_result(Status::kRejected, block_reject_reason(failure));
    if (const ledger::BlockEntry* e = core.chain.find(hash); e != nullptr && e->failed())
      return block_result(Status::kRejected, "rejected");
    return block_result(Status::kAccepted);
  });
}

}  // namespace tally::node
