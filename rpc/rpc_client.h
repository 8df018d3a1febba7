// A small synchronous JSON-RPC 2.0 client over HTTP/1.1 keep-alive (Boost.Beast), for
// tally-cli, tally-devnet and tests. One connection, reconnected on demand. Not thread-safe:
// one object per thread.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "rpc/auth.h"

namespace tally::rpc {

struct RpcCallError {
  enum class Kind { kTransport, kHttp, kRpc } kind;
  int code = 0;  // HTTP status for kHttp, JSON-RPC error code for kRpc
  std::string message;
};

class RpcClient {
 public:
  RpcClient(std::string host, std::uint16_t port, Credentials credentials,
            std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~RpcClient();
  RpcClient(RpcClient&&) noexcept;
  RpcClient& operator=(RpcClient&&) noexcept;

  // Calls `method` with `params` (an array or object) and returns "result", or the error.
  [[nodiscard]] std::expected<boost::json::value, RpcCallError> call(const std::string& method,
                                                                     const boost::json::value& params);
  // Sends a raw body to POST / and returns the HTTP status and body.
  [[nodiscard]] std::expected<std::pair<int, std::string>, RpcCallError> post(const std::string& body);
  // GET a path (e.g. /metrics); credentials are sent when `authenticate`.
  [[nodiscard]] std::expected<std::pair<int, std::string>, RpcCallError> get(const std::string& target,
                                                                             bool authenticate = true);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::rpc
