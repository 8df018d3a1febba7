// Peers given by DNS name (--connect/--addnode/--seed name:port, for example the stable pod
// names of a Kubernetes StatefulSet): each name is resolved at start and again every
// `refresh_ms` (every `retry_ms` while it does not resolve), on a thread of its own, and a
// changed address replaces the old one in the P2P core, so a peer whose pod moved to another
// address is found again. The P2P core itself deals only in addresses.
//
// PeerNames is the sans-I/O part (which name is due, which address to keep); the resolver and
// the clock are injected. PeerNameThread runs it on a thread and calls `apply` there with each
// change. Threading: PeerNames is single-threaded; PeerNameThread's start/stop from one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <expected>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crypto/keys.h"
#include "p2p/messages.h"

namespace tally::node {

struct NamedPeer {
  enum class Role { kFixed, kSeed };  // kept connected (--connect/--addnode) or asked for addresses
  std::string host;
  std::uint16_t port = 0;
  Role role = Role::kFixed;
  std::optional<crypto::CompressedPublicKey> key;  // from KEY@name:port
};

// One name's new address: `previous` is what the core had (none the first time).
struct PeerNameChange {
  std::size_t index = 0;  // into the list given to PeerNames
  std::optional<p2p::NetAddress> previous;
  p2p::NetAddress current;
};

// The addresses a name resolves to, or why it does not resolve.
using NameResolver = std::function<std::expected<std::vector<p2p::NetAddress>, std::string>(
    const std::string& host, std::uint16_t port)>;

// getaddrinfo (blocking), IPv4 and IPv6 stream addresses.
std::expected<std::vector<p2p::NetAddress>, std::string> resolve_with_system(const std::string& host,
                                                                             std::uint16_t port);

class PeerNames {
 public:
  struct Timing {
    std::int64_t refresh_ms = 30'000;
    std::int64_t retry_ms = 2'000;
  };
  PeerNames(std::vector<NamedPeer> peers, Timing timing);

  // Resolves every name that is due at now_ms; the changes, and the names that failed (with
  // why) in `failures` when given. The current address is kept while the name still resolves to
  // it (a name with several addresses does not flap); otherwise the first address is taken.
  std::vector<PeerNameChange> resolve_due(std::int64_t now_ms, const NameResolver& resolve,
                                          std::vector<std::pair<std::size_t, std::string>>* failures = nullptr);
  std::int64_t next_due_ms() const;
  const std::vector<NamedPeer>& peers() const { return peers_; }
  const std::optional<p2p::NetAddress>& current(std::size_t index) const { return state_[index].current; }

 private:
  struct State {
    std::optional<p2p::NetAddress> current;
    std::int64_t due_ms = 0;
  };
  std::vector<NamedPeer> peers_;
  std::vector<State> state_;
  Timing timing_;
};

// Runs PeerNames on its own thread with the system resolver and the steady clock.
class PeerNameThread {
 public:
  using Apply = std::function<void(const NamedPeer&, const PeerNameChange&)>;
  using Warn = std::function<void(const NamedPeer&, const std::string& why)>;
  PeerNameThread(std::vector<NamedPeer> peers, PeerNames::Timing timing, Apply apply, Warn warn);
  ~PeerNameThread();
  PeerNameThread(const PeerNameThread&) = delete;
  PeerNameThread& operator=(const PeerNameThread&) = delete;
  void stop();

 private:
  void run();
  PeerNames names_;
  Apply apply_;
  Warn warn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tally::node
