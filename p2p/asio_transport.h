// TCP transport that drives a NetCore with Boost.Asio: accepts and dials connections, feeds
// received bytes to the core, writes what it asks, and runs its timers. Optional link shaping
// (added one-way latency with jitter, and a token-bucket bandwidth cap on outgoing bytes)
// makes processes on loopback behave like a WAN; the core is unaware of it.
//
// Encryption (docs/PROTOCOL.md, "Encrypted transport"): with a node key, every connection
// first runs a Noise handshake (crypto/noise.h: XK when the dialler knows the listener's key,
// XX otherwise); the core learns of the peer only once it is authenticated (and allowed), and
// its frames then travel in encrypted records. Without a node key the transport is plaintext.
//
// Threading: everything runs on the io_context's single thread that also owns the NetCore;
// call pump() on that thread after driving the core directly (e.g. submit_transaction).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "crypto/keys.h"
#include "p2p/net_core.h"

namespace boost::asio {
class io_context;
}

namespace tally::p2p {

struct LinkShaping {
  std::int64_t latency_ms = 0;         // added one-way delay of every outgoing frame
  std::int64_t jitter_ms = 0;          // plus uniform 0..jitter_ms
  std::uint64_t rate_bytes_per_s = 0;  // 0: unlimited
};

struct TransportConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: pick a free port (see listen_port())
  bool listen = true;
  std::int64_t connect_timeout_ms = 5'000;
  std::size_t max_write_queue_bytes = 64u << 20;  // a peer that reads slower is dropped
  LinkShaping shaping;  // every link
  // Per link, by the peer's listening endpoint (ip:port; for an inbound peer, the port from
  // its version message): replaces `shaping` for traffic sent to that peer.
  std::map<NetAddress, LinkShaping> per_link;

  // Encryption: none without a node key (plaintext, for debugging and the protocol tests).
  std::optional<crypto::SecretKey> node_key;
  // Binds handshakes to one network (tallyd: "tally" and the chain's network magic): nodes
  // of two networks never complete one.
  Bytes prologue;
  // Listeners' keys by endpoint: a dial there authenticates the listener (XK) and fails if it
  // is anyone else.
  std::map<NetAddress, crypto::CompressedPublicKey> known_keys;
  // When not empty, only these keys may connect, in either direction.
  std::set<crypto::CompressedPublicKey> allowed_keys;
  std::int64_t handshake_timeout_ms = 10'000;
  std::size_t max_handshaking = 64;  // connections still in their handshake; more are closed at once
};

// What the encrypted transport has refused, for /metrics.
struct TransportCounters {
  std::uint64_t handshakes_completed = 0;
  std::uint64_t handshakes_failed = 0;    // bad bytes, bad tag, wrong key, timeout
  std::uint64_t peers_not_allowed = 0;    // authenticated, but not in the allowlist
  std::uint64_t records_rejected = 0;     // a record that failed authentication after the handshake
  std::uint64_t dials_with_key = 0;       // dials that authenticated the listener by a key known beforehand (XK)
};

class AsioTransport {
 public:
  using Clock = std::function<std::int64_t()>;  // milliseconds since the Unix epoch

  AsioTransport(boost::asio::io_context& io, NetCore& core, TransportConfig config, Clock clock);
  ~AsioTransport();
  AsioTransport(const AsioTransport&) = delete;
  AsioTransport& operator=(const AsioTransport&) = delete;

  // Binds and listens (when config.listen). Returns the bound port.
  [[nodiscard]] std::expected<std::uint16_t, std::string> start();
  // Closes the listener and every connection. Idempotent.
  void stop();
  // Executes the core's pending actions and re-arms its timer.
  void pump();
  // Called after every batch of core activity (the node drains events there).
  void set_activity_hook(std::function<void()> hook);
  void set_shaping(const LinkShaping& shaping);
  // Shaping of traffic to the peer listening at `peer` (see TransportConfig::per_link).
  void set_link_shaping(const NetAddress& peer, const LinkShaping& shaping);

  std::uint16_t listen_port() const;
  // Dials to `peer` authenticate it by this key from now on (TransportConfig::known_keys).
  void set_known_key(const NetAddress& peer, const crypto::CompressedPublicKey& key);
  // Replaces the allowlist (TransportConfig::allowed_keys); connected peers stay.
  void set_allowed_keys(std::set<crypto::CompressedPublicKey> keys);
  // The authenticated node key of a connected peer (nullopt: plaintext, or no such peer).
  std::optional<crypto::CompressedPublicKey> peer_key(PeerId id) const;
  const TransportCounters& counters() const;
  // This node's key on the encrypted transport (nullopt: plaintext), and the allowlist's size.
  std::optional<crypto::CompressedPublicKey> node_key() const;
  std::size_t allowed_key_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::p2p
