// NetCore: connection lifecycle, handshake, keepalive, misbehaviour and bans, outbound
// slots. Addresses, transactions and blocks are handled in net_addr.cpp, net_tx.cpp and
// net_sync.cpp.
#include "p2p/net_core.h"

#include "crypto/hex.h"
#include "p2p/peer.h"

namespace tally::p2p {

namespace {
bool is_loopback(const NetAddress& a) {
  if (a.is_ipv4()) return a.ip[12] == 127;
  static const std::array<std::uint8_t, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.ip == kV6Loopback;
}
std::string ip_only(const NetAddress& a) {
  const std::string s = a.to_string();
  return s.substr(0, s.rfind(':'));
}
}  // namespace

NetCore::NetCore(const NetConfig& config, ledger::Chain& chain, ledger::Mempool& mempool, AddrBook& addr_book,
                 std::uint64_t seed, std::int64_t now_ms)
    : config_(config), chain_(chain), mempool_(mempool), addr_book_(addr_book), rng_(seed), now_ms_(now_ms),
      next_tick_ms_(now_ms) {  // the first housekeeping (dial fixed peers, seeds) at once
  local_nonce_ = rng_() | 1;
  next_expiry_check_ms_ = now_ms + config_.mempool_expiry_check_ms;
  last_announced_tip_ = chain_.tip().hash;
  for (const NetAddress& a : config_.fixed_peers) fixed_next_try_ms_[a] = now_ms;
  for (const NetAddress& a : config_.seeds) addr_book_.add(a, a, static_cast<std::uint32_t>(now_ms / 1000));
}

NetCore::~NetCore() = default;

void NetCore::emit(std::int64_t now_ms, NetEventBody body) {
  const std::int64_t us = event_clock_us_ ? event_clock_us_() : now_ms * 1000;
  events_.push_back(NetEvent{now_ms, std::move(body), us});
}

std::vector<Action> NetCore::take_actions() { return std::exchange(actions_, {}); }
std::vector<NetEvent> NetCore::take_events() { return std::exchange(events_, {}); }

PeerId NetCore::on_connected(const NetAddress& remote, bool inbound, std::int64_t now_ms,
                             const std::optional<crypto::CompressedPublicKey>& node_key) {
  now_ms_ = now_ms;
  const PeerId id = next_peer_id_++;
  auto peer = std::make_unique<Peer>(id, remote, inbound, chain_.spec().network_magic, config_.known_inventory_max,
                                     now_ms);
  Peer& p = *peer;
  p.node_key = node_key;
  peers_.emplace(id, std::move(peer));
  ++(inbound ? live_inbound_ : live_outbound_);
  schedule_connection_timer(p, now_ms + config_.handshake_timeout_ms + 1);
  if (!inbound) pending_connects_.erase(remote);
  if (inbound && inbound_count() > config_.max_inbound) {
    // Full: make room by evicting an inbound peer that gives us the least (net_evict.cpp);
    // when every one of them is protected, the newcomer is refused.
    Peer* victim = select_inbound_to_evict(p.id);
    if (victim == nullptr) {
      drop(p, "inbound slots full");
      return id;
    }
    ++inbound_evictions_;
    drop(*victim, "evicted to make room for a new inbound peer");
  }
  if (!inbound && blocked_.contains(remote)) {
    drop(p, "link blocked (partition)");
    return id;
  }
  if (inbound && !is_loopback(remote) && is_banned(ip_only(remote), now_ms)) {
    drop(p, "banned");
    return id;
  }
  if (!inbound) addr_book_.mark_attempt(remote, now_ms);
  VersionMsg v;
  v.chain_id = chain_.spec().chain_id;
  v.genesis_hash = chain_.genesis().hash;
  v.best_height = chain_.height();
  v.listen_port = config_.listen_port;
  v.nonce = local_nonce_;
  v.user_agent = config_.user_agent;
  send(p, v);
  return id;
}

void NetCore::on_connect_failed(const NetAddress& remote, std::int64_t now_ms) {
  now_ms_ = now_ms;
  pending_connects_.erase(remote);
  housekeeping_idle_ = false;
  addr_book_.mark_failed(remote, now_ms);
}

void NetCore::on_disconnected(PeerId id, std::int64_t now_ms) {
  now_ms_ = now_ms;
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  housekeeping_idle_ = false;
  if (!p.disconnecting) {
    --(p.inbound ? live_inbound_ : live_outbound_);
    emit(now_ms, PeerDisconnectedEvent{p.id, p.address, "closed by peer or network"});
  }
  // Forget what was asked of this peer so that another one is asked.
  for (auto r = blocks_in_flight_.begin(); r != blocks_in_flight_.end();)
    r = r->second.peer == id ? blocks_in_flight_.erase(r) : std::next(r);
  for (auto r = txs_in_flight_.begin(); r != txs_in_flight_.end();)
    r = r->second == id ? txs_in_flight_.erase(r) : std::next(r);
  if (!p.inbound && !p.established) addr_book_.mark_failed(p.address, now_ms);
  peers_.erase(it);
  request_blocks(now_ms);
}

void NetCore::on_bytes(PeerId id, ByteSpan bytes, std::int64_t now_ms) {
  now_ms_ = now_ms;
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  Peer& p = *it->second;
  if (p.disconnecting) return;
  p.bytes_received += bytes.size();
  p.decoder.feed(bytes);
  for (;;) {
    auto frame = p.decoder.next();
    if (!frame) {
      misbehave(p, config_.ban_threshold, std::string("malformed frame: ") + to_string(frame.error()));
      return;
    }
    if (!frame->has_value()) return;
    traffic_[std::min<std::size_t>(static_cast<std::size_t>((*frame)->type), kLastMessageType)].received += (*frame)->wire_size;
    handle_message(p, std::move((*frame)->message), now_ms);
    if (p.disconnecting) return;
  }
}

void NetCore::send(Peer& p, const Message& m) {
  send_frame(p, std::make_shared<const Bytes>(encode_frame(chain_.spec().network_magic, m)));
}

void NetCore::send_frame(Peer& p, std::shared_ptr<const Bytes> frame) {
  if (p.disconnecting) return;
  p.bytes_sent += frame->size();
  if (frame->size() > 4) traffic_[std::min<std::size_t>((*frame)[4], kLastMessageType)].sent += frame->size();
  actions_.push_back(SendAction{p.id, std::move(frame)});
}

void NetCore::drop(Peer& p, const std::string& reason) {
  if (p.disconnecting) return;
  p.disconnecting = true;
  --(p.inbound ? live_inbound_ : live_outbound_);
  housekeeping_idle_ = false;
  actions_.push_back(DisconnectAction{p.id, reason});
  emit(now_ms_, PeerDisconnectedEvent{p.id, p.address, reason});
}

bool NetCore::disconnect(PeerId id, const std::string& reason) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return false;
  drop(*it->second, reason);
  return true;
}

std::string NetCore::ban_key(const Peer& p) const {
  // Every devnet node shares 127.0.0.1: ban loopback peers by their listening endpoint (the
  // one we dialled, or the one an inbound peer announced). An inbound loopback peer with none
  // (before its version, or not listening) is banned by this connection's endpoint only:
  // "127.0.0.1:0" would refuse every non-listening loopback peer.
  if (is_loopback(p.address)) {
    std::uint16_t port = p.address.port;
    if (p.inbound && p.version_received && p.version.listen_port != 0) port = p.version.listen_port;
    return ip_only(p.address) + ":" + std::to_string(port);
  }
  return ip_only(p.address);
}

bool NetCore::is_banned(const std::string& key, std::int64_t now_ms) const {
  auto it = bans_.find(key);
  return it != bans_.end() && it->second.until_ms > now_ms;
}

void NetCore::ban(const std::string& key, std::int64_t until_ms, const std::string& reason) {
  housekeeping_idle_ = false;
  bans_[key] = BanEntry{key, until_ms, reason};
  for (auto& [id, p] : peers_)
    if (ban_key(*p) == key || ip_only(p->address) == key) drop(*p, "banned: " + reason);
}

bool NetCore::unban(const std::string& key) { return bans_.erase(key) > 0; }

std::optional<NetAddress> NetCore::peer_listen_endpoint(PeerId id) const {
  auto it = peers_.find(id);
  if (it == peers_.end()) return std::nullopt;
  const Peer& p = *it->second;
  if (!p.inbound) return p.address;
  if (!p.version_received || p.version.listen_port == 0) return std::nullopt;
  NetAddress a = p.address;
  a.port = p.version.listen_port;
  return a;
}

std::vector<BanEntry> NetCore::bans() const {
  std::vector<BanEntry> out;
  for (const auto& [k, b] : bans_)
    if (b.until_ms > now_ms_) out.push_back(b);
  return out;
}

void NetCore::misbehave(Peer& p, int points, const std::string& why) {
  if (points <= 0 || p.disconnecting) return;
  p.score += points;
  if (p.score >= config_.ban_threshold) {
    ban(ban_key(p), now_ms_ + config_.ban_duration_ms, why);
    drop(p, "misbehaving: " + why);
  }
}

void NetCore::set_blocked(const std::set<NetAddress>& endpoints, std::int64_t now_ms) {
  housekeeping_idle_ = false;
  now_ms_ = now_ms;
  blocked_ = endpoints;
  for (auto& [id, p] : peers_) {
    NetAddress listen = p->address;
    if (p->inbound) listen.port = p->version.listen_port;
    if (blocked_.contains(listen)) drop(*p, "link blocked (partition)");
  }
}

std::size_t NetCore::inbound_count() const { return live_inbound_; }

std::size_t NetCore::outbound_count() const { return live_outbound_; }

void NetCore::handle_message(Peer& p, Message&& m, std::int64_t now_ms) {
  const MessageType type = type_of(m);
  if (!p.established) {
    if (type == MessageType::kVersion) return on_version(p, std::get<VersionMsg>(m), now_ms);
    if (type == MessageType::kVerack) return on_verack(p, now_ms);
    return misbehave(p, 10, std::string("message before handshake: ") + message_name(type));
  }
  switch (type) {
    case MessageType::kVersion: return misbehave(p, 10, "duplicate version");
    case MessageType::kVerack: return misbehave(p, 10, "duplicate verack");
    case MessageType::kPing: return send(p, PongMsg{std::get<PingMsg>(m).nonce});
    case MessageType::kPong: {
      const auto nonce = std::get<PongMsg>(m).nonce;
      if (p.ping_nonce != 0 && nonce == p.ping_nonce) {
        p.last_rtt_ms = now_ms - p.ping_sent_ms;
        p.ping_nonce = 0;
      }
      return;
    }
    case MessageType::kGetAddr: return on_getaddr(p);
    case MessageType::kAddr: return on_addr(p, std::get<AddrMsg>(m), now_ms);
    case MessageType::kInv: return on_inv(p, std::get<InvMsg>(m), now_ms);
    case MessageType::kGetData: return on_getdata(p, std::get<GetDataMsg>(m));
    case MessageType::kNotFound: return on_notfound(p, std::get<NotFoundMsg>(m));
    case MessageType::kTx: return on_tx(p, std::get<TxMsg>(m), now_ms);
    case MessageType::kGetHeaders: return on_getheaders(p, std::get<GetHeadersMsg>(m));
    case MessageType::kHeaders: return on_headers(p, std::move(std::get<HeadersMsg>(m)), now_ms);
    case MessageType::kBlock: return on_block(p, std::move(std::get<BlockMsg>(m)), now_ms);
    case MessageType::kSendCmpct: return on_sendcmpct(p, std::get<SendCmpctMsg>(m));
    case MessageType::kCmpctBlock: return on_cmpctblock(p, std::get<CmpctBlockMsg>(m), now_ms);
    case MessageType::kGetBlockTxn: return on_getblocktxn(p, std::get<GetBlockTxnMsg>(m));
    case MessageType::kBlockTxn: return on_blocktxn(p, std::move(std::get<BlockTxnMsg>(m)), now_ms);
  }
}

void NetCore::on_version(Peer& p, const VersionMsg& m, std::int64_t now_ms) {
  if (p.version_received) return misbehave(p, 10, "duplicate version");
  p.version_received = true;
  p.version = m;
  if (m.nonce == local_nonce_) {
    addr_book_.mark_failed(p.address, now_ms);
    return drop(p, "connected to self");
  }
  if (m.protocol_version < kProtocolVersion) return drop(p, "unsupported protocol version");
  if (m.chain_id != chain_.spec().chain_id || m.genesis_hash != chain_.genesis().hash)
    return drop(p, "different chain (chain id or genesis mismatch)");
  if (p.inbound && is_banned(ban_key(p), now_ms)) return drop(p, "banned");
  if (p.inbound) {
    NetAddress listen = p.address;
    listen.port = m.listen_port;
    if (blocked_.contains(listen)) return drop(p, "link blocked (partition)");
  }
  p.best_known_height = m.best_height;
  send(p, VerackMsg{});
  if (p.verack_received) on_established(p, now_ms);
}

void NetCore::on_verack(Peer& p, std::int64_t now_ms) {
  if (p.verack_received) return misbehave(p, 10, "duplicate verack");
  p.verack_received = true;
  if (p.version_received) on_established(p, now_ms);
}

void NetCore::on_established(Peer& p, std::int64_t now_ms) {
  p.established = true;
  p.next_ping_ms = now_ms + config_.ping_interval_ms;
  schedule_connection_timer(p, p.next_ping_ms);
  p.next_tx_inv_ms = now_ms;
  emit(now_ms, PeerConnectedEvent{p.id, p.address, p.inbound, p.version.user_agent});
  if (config_.compact_relay) send(p, SendCmpctMsg{true, kCompactVersion});
  if (!p.inbound) {
    addr_book_.mark_good(p.address, now_ms, p.node_key);
    if (config_.discovery) send(p, GetAddrMsg{});
  } else if (p.version.listen_port != 0) {
    // An inbound peer that listens announces itself by connecting: its endpoint is gossiped
    // on like a fresh addr entry (Bitcoin nodes advertise their own address the same way),
    // so nodes that joined through a seed become reachable by the rest. Its key goes with it,
    // as heard, not verified: nothing proves that this peer is the one listening there.
    NetAddress listen = p.address;
    listen.port = p.version.listen_port;
    const auto now_s = static_cast<std::uint32_t>(now_ms / 1000);
    const bool known = addr_book_.find(listen) != nullptr;
    if (addr_book_.add(listen, p.address, now_s, p.node_key) && !known)
      relay_addresses({AddrEntry{listen, now_s, p.node_key}}, p.id);
  }
  // Headers-first: learn the peer's chain, and tell it ours.
  request_headers(p);
  // Everything in the mempool is news to a new peer.
  for (const auto& txid : mempool_.all_txids()) add_tx_to_announce(p, txid);
}

void NetCore::schedule_connection_timer(Peer& p, std::int64_t at_ms) {
  if (at_ms >= p.timer_due_ms) return;  // an earlier entry will look again
  p.timer_due_ms = at_ms;
  connection_timers_.emplace(at_ms, p.id);
}

void NetCore::tick_connections(std::int64_t now_ms) {
  while (!connection_timers_.empty() && connection_timers_.top().first <= now_ms) {
    const auto [at, id] = connection_timers_.top();
    connection_timers_.pop();
    auto it = peers_.find(id);
    if (it == peers_.end() || it->second->timer_due_ms != at || it->second->disconnecting) continue;  // stale
    Peer& p = *it->second;
    p.timer_due_ms = INT64_MAX;
    if (!p.established) {
      if (now_ms - p.connected_ms > config_.handshake_timeout_ms) drop(p, "handshake timeout");
      else schedule_connection_timer(p, p.connected_ms + config_.handshake_timeout_ms + 1);
      continue;
    }
    if (p.ping_nonce != 0 && now_ms - p.ping_sent_ms > config_.ping_timeout_ms) {
      drop(p, "ping timeout");
      continue;
    }
    if (p.ping_nonce == 0 && now_ms >= p.next_ping_ms) {
      p.ping_nonce = rng_() | 1;
      p.ping_sent_ms = now_ms;
      p.next_ping_ms = now_ms + config_.ping_interval_ms;
      send(p, PingMsg{p.ping_nonce});
    }
    // A pong moves the deadline later, never earlier: this entry then finds nothing to do.
    schedule_connection_timer(p, p.ping_nonce ? p.ping_sent_ms + config_.ping_timeout_ms + 1 : p.next_ping_ms);
  }
}

void NetCore::fill_outbound(std::int64_t now_ms) {
  std::vector<NetAddress> connected;
  for (const auto& [id, p] : peers_) {
    if (p->disconnecting) continue;
    connected.push_back(p->address);
    if (p->inbound && p->version_received) {
      NetAddress listen = p->address;
      listen.port = p->version.listen_port;
      connected.push_back(listen);
    }
  }
  connected.insert(connected.end(), pending_connects_.begin(), pending_connects_.end());
  auto is_connected = [&](const NetAddress& a) { return std::find(connected.begin(), connected.end(), a) != connected.end(); };

  // Idle: nothing for this to do until a connection closes or fails, or the settings change
  // (each of those clears housekeeping_idle_); the once-a-second tick can rest till then.
  bool idle = true;
  // Fixed peers (--connect / --addnode / addnode RPC) are kept connected.
  for (auto& [addr, next_try] : fixed_next_try_ms_) {
    if (is_connected(addr) || blocked_.contains(addr)) continue;
    idle = false;
    if (now_ms < next_try) continue;
    next_try = now_ms + config_.reconnect_fixed_ms;
    pending_connects_.insert(addr);
    connected.push_back(addr);
    dial(addr);
  }
  housekeeping_idle_ = idle && !config_.discovery;
  if (!config_.discovery) return;
  std::size_t outbound = pending_connects_.size() + live_outbound_;
  std::vector<NetAddress> exclude = connected;
  exclude.insert(exclude.end(), blocked_.begin(), blocked_.end());
  while (outbound < config_.max_outbound) {
    auto pick = addr_book_.select(now_ms, rng_, exclude);
    if (!pick) break;
    exclude.push_back(*pick);
    addr_book_.mark_attempt(*pick, now_ms);
    pending_connects_.insert(*pick);
    dial(*pick);
    ++outbound;
  }
  housekeeping_idle_ = idle && outbound >= config_.max_outbound;
}

void NetCore::add_peer_address(const NetAddress& address, std::int64_t now_ms) {
  fixed_next_try_ms_.try_emplace(address, now_ms);
  housekeeping_idle_ = false;
  addr_book_.add(address, address, static_cast<std::uint32_t>(now_ms / 1000));
}

void NetCore::add_known_address(const NetAddress& address, std::int64_t now_ms) {
  addr_book_.add(address, address, static_cast<std::uint32_t>(now_ms / 1000));
  housekeeping_idle_ = false;
}

bool NetCore::remove_peer_address(const NetAddress& address) { return fixed_next_try_ms_.erase(address) > 0; }

void NetCore::connect_once(const NetAddress& address, std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (pending_connects_.contains(address) || blocked_.contains(address)) return;
  for (const auto& [id, p] : peers_)
    if (!p->disconnecting && p->address == address) return;
  pending_connects_.insert(address);
  dial(address);
}

void NetCore::dial(const NetAddress& address) {
  const AddrInfo* info = addr_book_.find(address);
  actions_.push_back(ConnectAction{address, info != nullptr ? info->node_key : std::nullopt});
}

void NetCore::on_tick(std::int64_t now_ms) {
  now_ms_ = now_ms;
  if (!pending_compact_.empty()) validate_pending_compact(now_ms);
  flush_due_announcements(now_ms);
  tick_block_requests(now_ms);
  tick_connections(now_ms);
  if (now_ms < next_tick_ms_) return;
  next_tick_ms_ = now_ms + 1000;
  for (auto it = bans_.begin(); it != bans_.end();)
    it = it->second.until_ms <= now_ms ? bans_.erase(it) : std::next(it);
  fill_outbound(now_ms);
  if (now_ms >= next_expiry_check_ms_) {
    next_expiry_check_ms_ = now_ms + config_.mempool_expiry_check_ms;
    (void)mempool_.expire(now_ms);
  }
}

std::int64_t NetCore::next_deadline_ms() const {
  // Housekeeping (fill_outbound) once a second while it has work; bans and the mempool's
  // expiry when they are due (both run in housekeeping, so not before next_tick_ms_).
  std::int64_t next = housekeeping_idle_ ? INT64_MAX : next_tick_ms_;
  if (!connection_timers_.empty()) next = std::min(next, connection_timers_.top().first);
  next = std::min(next, std::max(next_tick_ms_, next_expiry_check_ms_));
  for (const auto& [key, b] : bans_) next = std::min(next, std::max(next_tick_ms_, b.until_ms));
  if (!inv_due_.empty()) next = std::min(next, inv_due_.top().first);
  if (!pending_compact_.empty()) next = now_ms_;
  for (const auto& [hash, r] : blocks_in_flight_) next = std::min(next, r.deadline_ms);
  return std::max(next, now_ms_);
}

std::vector<PeerStats> NetCore::peer_stats() const {
  std::vector<PeerStats> out;
  for (const auto& [id, p] : peers_) {
    PeerStats s;
    s.id = id;
    s.address = p->address;
    s.inbound = p->inbound;
    s.established = p->established;
    s.user_agent = p->version.user_agent;
    s.start_height = p->version.best_height;
    s.best_known_height = p->best_known_height;
    s.connected_ms = p->connected_ms;
    s.last_ping_rtt_ms = p->last_rtt_ms;
    s.bytes_sent = p->bytes_sent;
    s.bytes_received = p->bytes_received;
    s.misbehaviour = p->score;
    s.blocks_in_flight = p->blocks_in_flight;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace tally::p2p
