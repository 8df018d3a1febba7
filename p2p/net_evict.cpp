// NetCore: which inbound peer to evict when the inbound slots are full, after Bitcoin Core's
// rules (net.cpp, SelectNodeToEvict): protect the peers that serve us (recent blocks, recent
// transactions, fast pings), peers from diverse address groups and the longest-connected;
// evict the youngest peer of the address group that holds the most of the rest. A peer that
// floods us with idle connections thus only ever evicts its own.
#include <algorithm>
#include <map>

#include "crypto/salted_hash.h"
#include "p2p/peer.h"

namespace tally::p2p {

namespace {

// The address group: /16 of an IPv4 address, /32 of an IPv6 one (loopback devnets: one group).
std::uint64_t netgroup(const NetAddress& a) {
  std::uint8_t bytes[5] = {};
  if (a.is_ipv4()) {
    bytes[0] = 4;
    bytes[1] = a.ip[12];
    bytes[2] = a.ip[13];
  } else {
    bytes[0] = 6;
    std::copy(a.ip.begin(), a.ip.begin() + 4, bytes + 1);
  }
  return crypto::salted_hash(crypto::ByteSpan(bytes, sizeof bytes));
}

// Removes from `c` up to n peers that rank first by `better` (and have what it ranks by).
template <class P, class Better, class Has>
void protect(std::vector<P*>& c, std::size_t n, Better better, Has has) {
  std::vector<P*> ranked;
  for (P* p : c)
    if (has(*p)) ranked.push_back(p);
  std::stable_sort(ranked.begin(), ranked.end(), [&](P* a, P* b) { return better(*a, *b); });
  ranked.resize(std::min(n, ranked.size()));
  std::erase_if(c, [&](P* p) { return std::find(ranked.begin(), ranked.end(), p) != ranked.end(); });
}

}  // namespace

NetCore::Peer* NetCore::select_inbound_to_evict(PeerId newcomer) {
  std::vector<Peer*> c;
  for (auto& [id, p] : peers_)
    if (p->inbound && p->established && !p->disconnecting && id != newcomer) c.push_back(p.get());
  // Candidates in connection order (ids grow with time), so every tie below goes the same way.
  std::sort(c.begin(), c.end(), [](Peer* a, Peer* b) { return a->id < b->id; });

  // One peer from each of 4 address groups (the longest-connected of the group; groups in
  // the order of their salted hash, which a peer cannot choose).
  {
    std::map<std::uint64_t, Peer*> first_of_group;
    for (Peer* p : c) first_of_group.emplace(netgroup(p->address), p);
    std::vector<Peer*> keep;
    for (auto it = first_of_group.begin(); it != first_of_group.end() && keep.size() < 4; ++it) keep.push_back(it->second);
    std::erase_if(c, [&](Peer* p) { return std::find(keep.begin(), keep.end(), p) != keep.end(); });
  }
  protect(c, 4, [](const auto& a, const auto& b) { return a.last_rtt_ms < b.last_rtt_ms; },
          [](const auto& p) { return p.last_rtt_ms >= 0; });
  protect(c, 4, [](const auto& a, const auto& b) { return a.last_tx_ms > b.last_tx_ms; },
          [](const auto& p) { return p.last_tx_ms > 0; });
  protect(c, 4, [](const auto& a, const auto& b) { return a.last_block_ms > b.last_block_ms; },
          [](const auto& p) { return p.last_block_ms > 0; });
  // Half of the rest: the longest-connected.
  protect(c, c.size() / 2, [](const auto& a, const auto& b) { return a.connected_ms < b.connected_ms; },
          [](const auto&) { return true; });
  if (c.empty()) return nullptr;

  // The address group with the most candidates (ties: the one with the youngest peer); its
  // youngest peer goes.
  std::map<std::uint64_t, std::vector<Peer*>> groups;
  for (Peer* p : c) groups[netgroup(p->address)].push_back(p);
  const std::vector<Peer*>* worst = nullptr;
  for (const auto& [g, members] : groups) {
    if (!worst || members.size() > worst->size() ||
        (members.size() == worst->size() && members.back()->id > worst->back()->id))
      worst = &members;
  }
  return worst->back();
}

}  // namespace tally::p2p
