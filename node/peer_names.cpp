// Peers given by DNS name, resolved and re-resolved (node/peer_names.h).
#include "node/peer_names.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

namespace tally::node {

std::expected<std::vector<p2p::NetAddress>, std::string> resolve_with_system(const std::string& host,
                                                                             std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return std::unexpected(std::string(::gai_strerror(rc)));
  std::vector<p2p::NetAddress> out;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    p2p::NetAddress address;
    address.port = port;
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      std::uint32_t ip = 0;
      std::memcpy(&ip, &in->sin_addr, 4);
      address = p2p::NetAddress::ipv4(ntohl(ip), port);
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      std::memcpy(address.ip.data(), &in6->sin6_addr, 16);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  ::freeaddrinfo(list);
  if (out.empty()) return std::unexpected(std::string("no IPv4 or IPv6 address"));
  return out;
}

PeerNames::PeerNames(std::vector<NamedPeer> peers, Timing timing)
    : peers_(std::move(peers)), state_(peers_.size()), timing_(timing) {}

std::vector<PeerNameChange> PeerNames::resolve_due(std::int64_t now_ms, const NameResolver& resolve,
                                                   std::vector<std::pair<std::size_t, std::string>>* failures) {
  std::vector<PeerNameChange> changes;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    State& s = state_[i];
    if (now_ms < s.due_ms) continue;
    auto resolved = resolve(peers_[i].host, peers_[i].port);
    if (!resolved || resolved->empty()) {
      s.due_ms = now_ms + timing_.retry_ms;
      if (failures) failures->emplace_back(i, resolved ? "no address" : resolved.error());
      continue;
    }
    s.due_ms = now_ms + timing_.refresh_ms;
    if (s.current && std::find(resolved->begin(), resolved->end(), *s.current) != resolved->end()) continue;
    changes.push_back(PeerNameChange{i, s.current, resolved->front()});
    s.current = resolved->front();
  }
  return changes;
}

std::int64_t PeerNames::next_due_ms() const {
  std::int64_t next = INT64_MAX;
  for (const State& s : state_) next = std::min(next, s.due_ms);
  return next;
}

PeerNameThread::PeerNameThread(std::vector<NamedPeer> peers, PeerNames::Timing timing, Apply apply, Warn warn)
    : names_(std::move(peers), timing), apply_(std::move(apply)), warn_(std::move(warn)) {
  thread_ = std::thread([this] { run(); });
}

PeerNameThread::~PeerNameThread() { stop(); }

void PeerNameThread::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeerNameThread::run() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto now_ms = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count(); };
  std::set<std::size_t> failing;  // warned once per streak of failures
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    std::vector<std::pair<std::size_t, std::string>> failures;
    const auto changes = names_.resolve_due(now_ms(), resolve_with_system, &failures);
    std::set<std::size_t> failed_now;
    for (const auto& [i, why] : failures) {
      failed_now.insert(i);
      if (!failing.contains(i)) warn_(names_.peers()[i], why);
    }
    for (const auto& change : changes) apply_(names_.peers()[change.index], change);
    for (std::size_t i = 0; i < names_.peers().size(); ++i)
      if (!failed_now.contains(i) && names_.current(i)) failing.erase(i);
    failing.insert(failed_now.begin(), failed_now.end());
    lock.lock();
    const auto wait = std::chrono::milliseconds(std::max<std::int64_t>(names_.next_due_ms() - now_ms(), 10));
    cv_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

}  // namespace tally::node
