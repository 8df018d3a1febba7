// The RPC server: HTTP/1.1 (Boost.Beast) on its own io_context and threads, serving the
// routes of HttpRouter (POST / JSON-RPC, GET /health, GET /metrics).
//
// One session per connection, on its own strand; keep-alive; one request at a time per
// connection, so pipelined requests are answered in order. Handlers that may wait for the
// node's core run on a separate worker pool, so the I/O threads keep accepting, reading,
// timing out and answering /health while a long call (generate) runs; requests that call a
// waiting method (waitfornewblock) run on a wait pool of their own, so they never hold the
// workers.
//
// Limits: header bytes (431), body bytes (413, checked against Content-Length before the
// body is read), a deadline for reading a whole request once its first byte arrived (a
// slowloris client is disconnected; others are unaffected), an idle keep-alive timeout, and
// a cap on connections (beyond it a connection gets 503 and is closed).
//
// Lifecycle: construct, start() once, stop() (idempotent; the destructor calls it).
// REQUIRES: stop() is not called from a server thread (i.e. not from inside a handler: the
// "stop" method only asks the node to stop; the node then calls stop() from its own thread).
// Thread-safety: start(), stop() and the accessors may be called from any other thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/auth.h"
#include "rpc/json_rpc.h"

namespace tally::rpc {

class NodeApi;

struct RpcServerConfig {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;        // 0: pick a free port (start() returns the one bound)
  unsigned threads = 2;          // I/O threads: accept, read, write, /health
  unsigned worker_threads = 2;   // run JSON-RPC calls and /metrics (may wait on the core)
  unsigned wait_threads = 4;     // run requests that name a waiting method (Method::waits)
  // Directory for the cookie file (<dir>/.cookie); empty: no cookie.
  std::filesystem::path cookie_dir;
  // Configured --rpcuser/--rpcpassword pairs, accepted alongside the cookie. With neither a
  // cookie nor users every authenticated route answers 401.
  std::vector<Credentials> users;
  std::vector<HashedCredentials> hashed_users;  // --rpcauth
  // Clients allowed to connect besides loopback: addresses or CIDR networks ("10.0.0.0/8",
  // "192.168.1.7", "::1"). Empty: loopback only. Others are closed at accept.
  std::vector<std::string> allow_ips;

  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  std::size_t max_batch = 1000;
  // Connections that have made an authenticated request. Beyond it a new connection is
  // answered 503 at once.
  std::size_t max_connections = 128;
  // Connections that have not (yet) authenticated: new ones, and those that only asked for
  // /health or failed to authenticate. Counted apart and short-lived, so that idle or
  // unauthenticated connections can never lock an authenticated client out: when they are
  // this many, the oldest idle one is closed to make room for the newcomer (and when none is
  // idle, newcomers get 503 past twice this many).
  std::size_t max_unauthenticated = 128;
  std::chrono::milliseconds unauthenticated_idle_timeout{3'000};  // wait for a request before authenticating
  std::chrono::milliseconds request_timeout{10'000};  // first byte to last byte of a request
  std::chrono::milliseconds idle_timeout{30'000};     // keep-alive wait for the next request
  std::chrono::milliseconds write_timeout{30'000};    // to send one response
};

class RpcServer {
 public:
  // `node` and the table are used by the server's threads until stop() returns.
  RpcServer(NodeApi& node, RpcServerConfig config, MethodTable methods);
  // With every method of methods.h.
  RpcServer(NodeApi& node, RpcServerConfig config);
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Writes the cookie (if configured), binds, listens and starts the threads. Returns the
  // bound port, or why it could not start (cookie not writable, address in use, ...).
  [[nodiscard]] std::expected<std::uint16_t, std::string> start();
  // Stops accepting, closes every connection, waits for running calls and joins the
  // threads, then removes the cookie. Idempotent. Throws std::logic_error when called from
  // one of the server's own threads (a handler), where it would wait for itself.
  void stop();

  // The bound port (0 before start()).
  std::uint16_t port() const;
  // The cookie credentials written by start(), if any.
  std::optional<Credentials> cookie() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::rpc
