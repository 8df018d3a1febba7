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
    if (addr_book_.add(e.address, p.address, seen) && now_s - seen < 600) fresh.push_back(e);
  }
  // Small announcements of fresh addresses travel on to two random peers (gossip); large
  // ones are getaddr answers and stop here.
  if (fresh.empty() || m.entries.size() > 10) return;
  std::vector<Peer*> targets;
  for (auto& [id, other] : peers_)
    if (other.get() != &p && other->established && !other->disconnecting) targets.push_back(other.get());
  std::shuffle(targets.begin(), targets.end(), rng_);
  if (targets.size() > 2) targets.resize(2);
  for (Peer* t : targets) send(*t, AddrMsg{fresh});
}

}  // namespace tally::p2p
