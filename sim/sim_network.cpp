// Simulator: the network between the nodes. A frame leaves when its sender's upload link is
// free (one FIFO per node, shared by its connections), takes its serialization time over the
// sender's upload, travels the one-way latency (plus jitter, and a retransmission delay when
// lost), and adds its serialization time over the receiver's download; frames of one
// connection direction arrive in order, as on TCP. A dial completes after one round trip.
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

std::int64_t Simulator::one_way_us(const SimNode& a, const SimNode& b) {
  const NetworkModel& m = config_.network;
  double ms = m.latency_ms[a.region][b.region] + a.persona.extra_latency_ms;
  if (m.jitter_ms > 0) ms += std::uniform_real_distribution<double>(0, m.jitter_ms)(rng_);
  if (m.loss_percent > 0 && std::uniform_real_distribution<double>(0, 100)(rng_) < m.loss_percent)
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

void Simulator::send_frame(SimNode& from, std::uint32_t link_index, std::shared_ptr<const crypto::Bytes> frame,
                           std::int64_t at_us) {
  Link& l = links_[link_index];
  const std::uint8_t dir = l.end[0] == from.index ? 0 : 1;
  if (!l.open[dir]) return;
  SimNode& to = *nodes_[l.end[1 - dir]];
  const std::size_t bytes = frame->size();
  const std::int64_t tx_start = std::max(at_us, from.up_free_us);
  const std::int64_t tx_end = tx_start + serialization_us(bytes, upload_of(config_.network, from));
  from.up_free_us = tx_end;
  std::int64_t arrive = tx_end + one_way_us(from, to) + serialization_us(bytes, download_of(config_.network, to));
  arrive = std::max(arrive, l.last_arrival_us[dir]);
  l.last_arrival_us[dir] = arrive;
  queue_->push(arrive, Ev{.kind = EvKind::kFrame, .dir = dir, .link = link_index, .frame = std::move(frame)});
}

void Simulator::on_frame(const Ev& ev) {
  const Link& l = links_[ev.link];
  const std::uint8_t end = 1 - ev.dir;
  SimNode& n = *nodes_[l.end[end]];
  if (!l.open[end] || !n.online || n.boot != l.boot[end]) return;
  auto& inbox = inbox_[n.index];
  if (n.busy_until_us > now_us_ || !inbox.empty()) {
    // Still working on earlier input: the frame waits its turn (arrival order is kept).
    if (inbox.empty())
      queue_->push(n.busy_until_us, Ev{.kind = EvKind::kWake, .node = static_cast<std::uint32_t>(n.index), .boot = n.boot});
    inbox.push_back(ev);
    return;
  }
  deliver(n, ev);
}

void Simulator::deliver(SimNode& n, const Ev& ev) {
  const Link& l = links_[ev.link];
  const std::uint8_t end = 1 - ev.dir;
  if (!l.open[end]) return;
  ++stats_.frames;
  stats_.frame_bytes += ev.frame->size();
  n.core->on_bytes(l.peer[end], *ev.frame, now_us_ / 1000);
  drain(n, now_us_, ev.frame->size());
}

void Simulator::on_wake(const Ev& ev) {
  SimNode& n = *nodes_[ev.node];
  auto& inbox = inbox_[n.index];
  if (!n.online || n.boot != ev.boot) return;
  while (!inbox.empty() && n.busy_until_us <= now_us_) {
    const Ev frame = std::move(inbox.front());
    inbox.pop_front();
    deliver(n, frame);
    if (!n.online) return;
  }
  if (!inbox.empty())
    queue_->push(n.busy_until_us, Ev{.kind = EvKind::kWake, .node = static_cast<std::uint32_t>(n.index), .boot = n.boot});
}

void Simulator::request_connect(SimNode& from, const p2p::NetAddress& to, std::int64_t at_us) {
  const auto target = node_at(to);
  // A dial of an address where no node lives fails after a connect timeout of 5 s.
  const std::int64_t delay_us = target ? 2 * one_way_us(from, *nodes_[*target]) : 5'000'000;
  queue_->push(at_us + delay_us, Ev{.kind = EvKind::kConnect,
                                    .node = static_cast<std::uint32_t>(from.index),
                                    .link = target ? static_cast<std::uint32_t>(*target) : kNoNode,
                                    .boot = from.boot,
                                    .address = to});
}

void Simulator::on_connect(const Ev& ev) {
  SimNode& a = *nodes_[ev.node];
  if (!a.online || a.boot != ev.boot) return;
  const std::int64_t now_ms = now_us_ / 1000;
  if (ev.link == kNoNode || !nodes_[ev.link]->online || cut(a.index, ev.link) || ev.link == a.index) {
    ++stats_.connect_failures;
    a.core->on_connect_failed(ev.address, now_ms);
    return drain(a, now_us_, 0);
  }
  SimNode& b = *nodes_[ev.link];
  const auto index = static_cast<std::uint32_t>(links_.size());
  Link l;
  l.end[0] = static_cast<std::uint32_t>(a.index);
  l.end[1] = static_cast<std::uint32_t>(b.index);
  l.boot[0] = a.boot;
  l.boot[1] = b.boot;
  // The accepting side sees the dialer's address with an ephemeral port, as over TCP.
  p2p::NetAddress ephemeral = a.address;
  ephemeral.port = static_cast<std::uint16_t>(40'000 + next_ephemeral_++ % 20'000);
  links_.push_back(l);
  const p2p::PeerId pa = a.core->on_connected(ev.address, /*inbound=*/false, now_ms);
  const p2p::PeerId pb = b.core->on_connected(ephemeral, /*inbound=*/true, now_ms);
  links_[index].peer[0] = pa;
  links_[index].peer[1] = pb;
  a.links[pa] = index;
  b.links[pb] = index;
  ++stats_.connections;
  drain(a, now_us_, 0);
  drain(b, now_us_, 0);
}

void Simulator::close_link(SimNode& n, p2p::PeerId peer, std::int64_t at_us) {
  auto it = n.links.find(peer);
  if (it == n.links.end()) return;
  const std::uint32_t index = it->second;
  n.links.erase(it);
  Link& l = links_[index];
  const std::uint8_t end = l.end[0] == n.index && l.peer[0] == peer ? 0 : 1;
  if (!l.open[end]) return;
  l.open[end] = false;
  n.core->on_disconnected(peer, now_us_ / 1000);
  // The other end learns it after what was already sent has arrived.
  const SimNode& other = *nodes_[l.end[1 - end]];
  const std::int64_t at = std::max(at_us + one_way_us(n, other), l.last_arrival_us[end]);
  queue_->push(at, Ev{.kind = EvKind::kClose, .dir = static_cast<std::uint8_t>(1 - end), .link = index});
}

void Simulator::on_close(const Ev& ev) {
  Link& l = links_[ev.link];
  const std::uint8_t end = ev.dir;
  if (!l.open[end]) return;
  l.open[end] = false;
  SimNode& n = *nodes_[l.end[end]];
  if (!n.online || n.boot != l.boot[end]) return;
  n.links.erase(l.peer[end]);
  n.core->on_disconnected(l.peer[end], now_us_ / 1000);
  drain(n, now_us_, 0);
}

}  // namespace tally::sim
