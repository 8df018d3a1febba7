// TCP transport that drives a NetCore with Boost.Asio: accepts and dials connections, feeds
// received bytes to the core, writes what it asks, and runs its timers. Optional link shaping
// (added one-way latency with jitter, and a token-bucket bandwidth cap on outgoing bytes)
// makes processes on loopback behave like a WAN; the core is unaware of it.
//
// Threading: everything runs on the io_context's single thread that also owns the NetCore;
// call pump() on that thread after driving the core directly (e.g. submit_transaction).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>

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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::p2p
