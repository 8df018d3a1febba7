// Simulator: the network between the nodes. A frame leaves when its sender's upload link is
// free (one FIFO per node, shared by its connections), takes its serialization time over the
// sender's upload, travels the one-way latency (plus jitter, and a retransmission delay when
// lost), and adds its serialization time over the receiver's download; frames of one
// connection direction arrive in order, as on TCP. A dial reaches the other node after one
// latency and its answer comes back after another.
#include <algorithm>

#include "sim/sim_internal.h"

namespace tally::sim {

namespace {

double upload_of(const NetworkModel& m, const SimNode& n) {
  return n.persona.upload_bps ? static_cast<double>(*n.persona.upload_bps) * m.bandwidth_scale : m.upload_bps(n.region);
}
double download_of(const NetworkModel& m, const SimNode& n) {
  return n.persona.download_bps ? static_cast<double>(*n.persona.download_bps) * m.bandwidth_scale
                                : m.download_bps(n.region);
}

}  // namespace

namespace {

// The next number of a node's splitmix64 stream, as a double in [0, 1).
double next_unit(std::uint64_t& state) {
  std::uint64_t x = (state += 0x9e3779b97f4a7c15ULL);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

}  // namespace

// Jitter and loss come from the sender's own random stream, so a frame's delay does not
// depend on what other lanes did first.
std::int64_t Simulator::one_way_us(SimNode& from, const SimNode& to) {
  const NetworkModel& m = config_.network;
  double ms = m.latency_ms[from.region][to.region] + from.persona.extra_latency_ms;
  if (m.jitter_ms > 0) ms += next_unit(from.net_random) * m.jitter_ms;
  if (m.loss_percent > 0 && next_unit(from.net_random) * 100 < m.loss_percent)
    ms += 3 * ms + 200;  // the lost segment is sent again after a retransmission timeout
  return static_cast<std::int64_t>(ms * 1000);
}

bool Simulator::cut(std::size_t a, std::size_t b) const {
  return !group_of_.empty() && group_of_[a] != group_of_[b];
}

std::optional<std::size_t> Simulator::node_at(const p2p::NetAddress& address) const {
  if (!address.is_ipv4() || address.port != kListenPort) return std::nullopt;
  const std::size_t hi = address.ip[12], mid = address.ip[13];
  if (hi < 11 || mid >= 250 || address.ip[14] != 0 || address.ip[15] != 1) return std::nullopt;
  const std::size_t i = (hi - 11) * 250 + mid;
  if (i >= nodes_.size()) return std::nullopt;
  return i;
}

void Simulator::send_frame(SimNode& from, SimLink& l, std::shared_ptr<const crypto::Bytes> frame, std::int64_t at_us) {
  const std::uint8_t dir = l.end[0] == from.index ? 0 : 1;
  if (!l.open[dir]) return;
  const SimNode& to = *nodes_[l.end[1 - dir]];
  const std::size_t bytes = frame->size();
  const std::int64_t tx_start = std::max(at_us, from.up_free_us);
  const std::int64_t tx_end = tx_start + serialization_us(bytes, upload_of(config_.network, from));
  from.up_free_us = tx_end;
  std::int64_t arrive = tx_end + one_way_us(from, to) + serialization_us(bytes, download_of(config_.network, to));
  arrive = std::max(arrive, l.last_arrival_us[dir]);
  l.last_arrival_us[dir] = arrive;
  push(from, l.end[1 - dir], arrive, Ev{.kind = EvKind::kFrame, .dir = dir, .link = &l, .frame = std::move(frame)});
}

void Simulator::on_frame(const Ev& ev) {
  const SimLink& l = *ev.link;
  const std::uint8_t end = 1 - ev.dir;
  SimNode& n = *nodes_[ev.node];
  if (!l.open[end] || !n.online || n.boot != l.boot[end]) return;
  auto& inbox = inbox_[n.index];
  if (n.busy_until_us > now_us() || !inbox.empty()) {
    // Still working on earlier input: the frame waits its turn (arrival order is kept).
    if (inbox.empty()) push(n, ev.node, n.busy_until_us, Ev{.kind = EvKind::kWake, .boot = n.boot});
    inbox.push_back(ev);
    return;
  }
  deliver(n, ev);
}

void Simulator::deliver(SimNode& n, const Ev& ev) {
  const SimLink& l = *ev.link;
  const std::uint8_t end = 1 - ev.dir;
  if (!l.open[end]) return;
  SimStats& stats = stats_here();
  ++stats.frames;
  stats.frame_bytes += ev.frame->size();
  const std::int64_t now = now_us();
  n.core->on_bytes(l.peer[end], *ev.frame, now / 1000);
  drain(n, now, ev.frame->size());
}

void Simulator::on_wake(const Ev& ev) {
  SimNode& n = *nodes_[ev.node];
  auto& inbox = inbox_[n.index];
  if (!n.online || n.boot != ev.boot) return;
  while (!inbox.empty() && n.busy_until_us <= now_us()) {
    const Ev frame = std::move(inbox.front());
    inbox.pop_front();
    deliver(n, frame);
    if (!n.online) return;
  }
  if (!inbox.empty()) push(n, ev.node, n.busy_until_us, Ev{.kind = EvKind::kWake, .boot = n.boot});
}

// A dial reaches the other node after one latency; its answer (accepted, or refused when the
// node is offline or on the other side of a partition) takes one more.
void Simulator::request_connect(SimNode& from, const p2p::NetAddress& to, std::int64_t at_us) {
  const auto target = node_at(to);
  const auto self = static_cast<std::uint32_t>(from.index);
  if (!target || *target == from.index) {
    // A dial of an address where no node lives fails after a connect timeout of 5 s.
    const std::int64_t delay_us = target ? 2 * one_way_us(from, from) : 5'000'000;
    push(from, self, at_us + delay_us, Ev{.kind = EvKind::kDialFailed, .boot = from.boot, .address = to});
    return;
  }
  // The accepting side sees the dialer's address with an ephemeral port, as over TCP.
  const auto port = static_cast<std::uint16_t>(40'000 + from.next_ephemeral++ % 20'000);
  push(from, static_cast<std::uint32_t>(*target), at_us + one_way_us(from, *nodes_[*target]),
       Ev{.kind = EvKind::kDial, .port = port, .boot = from.boot, .aux = self, .address = to});
}

void Simulator::on_dial(const Ev& ev) {
  SimNode& b = *nodes_[ev.node];
  const SimNode& a = *nodes_[ev.aux];
  const std::int64_t now = now_us();
  if (!b.online || cut(a.index, b.index)) {
    push(b, ev.aux, now + one_way_us(b, a), Ev{.kind = EvKind::kDialFailed, .boot = ev.boot, .address = ev.address});
    return;
  }
  SimLink& l = t_lane_->links.emplace_back();
  l.end[0] = ev.aux;
  l.end[1] = ev.node;
  l.boot[0] = ev.boot;
  l.boot[1] = b.boot;
  p2p::NetAddress ephemeral = a.address;
  ephemeral.port = ev.port;
  const p2p::PeerId pb = b.core->on_connected(ephemeral, /*inbound=*/true, now / 1000);
  l.peer[1] = pb;
  b.links[pb] = &l;
  // What b sends from now on arrives after its answer.
  const std::int64_t answer_at = now + one_way_us(b, a);
  l.last_arrival_us[1] = answer_at;
  push(b, ev.aux, answer_at, Ev{.kind = EvKind::kAccepted, .boot = ev.boot, .link = &l, .address = ev.address});
  drain(b, now, 0);
}

void Simulator::on_accepted(const Ev& ev) {
  SimNode& a = *nodes_[ev.node];
  SimLink& l = *ev.link;
  const std::int64_t now = now_us();
  if (!a.online || a.boot != ev.boot) {
    // The dialer went away meanwhile: the accepting end learns that the connection closed.
    send_close(a, l, 0, now);
    return;
  }
  const p2p::PeerId pa = a.core->on_connected(ev.address, /*inbound=*/false, now / 1000);
  l.peer[0] = pa;
  a.links[pa] = &l;
  ++stats_here().connections;
  drain(a, now, 0);
}

void Simulator::on_dial_failed(const Ev& ev) {
  SimNode& a = *nodes_[ev.node];
  if (!a.online || a.boot != ev.boot) return;
  ++stats_here().connect_failures;
  const std::int64_t now = now_us();
  a.core->on_connect_failed(ev.address, now / 1000);
  drain(a, now, 0);
}

void Simulator::send_close(SimNode& n, SimLink& l, std::uint8_t end, std::int64_t at_us) {
  if (!l.open[end]) return;
  l.open[end] = false;
  // The other end learns it after what was already sent has arrived.
  const SimNode& other = *nodes_[l.end[1 - end]];
  const std::int64_t at = std::max(at_us + one_way_us(n, other), l.last_arrival_us[end]);
  push(n, l.end[1 - end], at, Ev{.kind = EvKind::kClose, .dir = static_cast<std::uint8_t>(1 - end), .link = &l});
}

void Simulator::close_link(SimNode& n, p2p::PeerId peer, std::int64_t at_us) {
  auto it = n.links.find(peer);
  if (it == n.links.end()) return;
  SimLink& l = *it->second;
  n.links.erase(it);
  const std::uint8_t end = l.end[0] == n.index && l.peer[0] == peer ? 0 : 1;
  if (!l.open[end]) return;
  n.core->on_disconnected(peer, now_us() / 1000);
  send_close(n, l, end, at_us);
}

void Simulator::on_close(const Ev& ev) {
  SimLink& l = *ev.link;
  const std::uint8_t end = ev.dir;
  if (!l.open[end]) return;
  l.open[end] = false;
  SimNode& n = *nodes_[ev.node];
  if (!n.online || n.boot != l.boot[end]) return;
  n.links.erase(l.peer[end]);
  const std::int64_t now = now_us();
  n.core->on_disconnected(l.peer[end], now / 1000);
  drain(n, now, 0);
}

}  // namespace tally::sim
