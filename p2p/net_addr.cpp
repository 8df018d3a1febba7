// NetCore: address gossip (getaddr / addr).
#include "p2p/net_core.h"
#include "p2p/peer.h"

namespace tally::p2p {

void NetCore::on_getaddr(Peer& p) {
  // Answered once per connection: repeated getaddr would let a peer map the whole book.
  if (p.getaddr_answered) return;
  p.getaddr_answered = true;
  AddrMsg reply;
  reply.entries = addr_book_.sample(kMaxAddrPerMessage, rng_);
  if (!reply.entries.empty()) send(p, reply);
}

void NetCore::on_addr(Peer& p, const AddrMsg& m, std::int64_t now_ms) {
  const auto now_s = static_cast<std::uint32_t>(now_ms / 1000);
  std::vector<AddrEntry> fresh;
  for (const AddrEntry& e : m.entries) {
    // A timestamp from the future is clamped, not trusted.
    const std::uint32_t seen = std::min(e.last_seen, now_s);
    const bool known = addr_book_.find(e.address) != nullptr;
    // Only addresses new to this node travel on: each node relays an address at most once,
    // so an announcement reaches the network in O(nodes) messages and then stops.
    if (addr_book_.add(e.address, p.address, seen, e.node_key) && !known && now_s - seen < 600)
      fresh.push_back(AddrEntry{e.address, seen, addr_book_.find(e.address)->node_key});
  }
  // Small announcements travel on (gossip); large ones are getaddr answers and stop here.
  if (m.entries.size() <= 10) relay_addresses(fresh, p.id);
}

void NetCore::relay_addresses(const std::vector<AddrEntry>& fresh, PeerId except) {
  if (fresh.empty() || peers_.empty()) return;
  std::vector<Peer*> targets;
  auto eligible = [&](const Peer& q) {
    return q.id != except && q.established && !q.disconnecting &&
           std::find(targets.begin(), targets.end(), &q) == targets.end();
  };
  // Random probes into the range of peer ids first, so that a hub with thousands of peers
  // does not walk them all for every address it relays; a walk of all of them when the
  // probes miss (few peers, or few eligible).
  std::uniform_int_distribution<PeerId> probe(peers_.begin()->first, peers_.rbegin()->first);
  for (int i = 0; i < 16 && targets.size() < kAddrRelayFanout; ++i) {
    Peer& q = *peers_.lower_bound(probe(rng_))->second;
    if (eligible(q)) targets.push_back(&q);
  }
  if (targets.size() < kAddrRelayFanout) {
    std::vector<Peer*> rest;
    for (auto& [id, other] : peers_)
      if (eligible(*other)) rest.push_back(other.get());
    std::shuffle(rest.begin(), rest.end(), rng_);
    for (Peer* q : rest) {
      if (targets.size() == kAddrRelayFanout) break;
      targets.push_back(q);
    }
  }
  for (Peer* t : targets) send(*t, AddrMsg{fresh});
}

}  // namespace tally::p2p
