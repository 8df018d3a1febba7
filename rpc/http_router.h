// What the RPC server answers, as a pure function of one HTTP request: authentication, the
// routes (POST / for JSON-RPC, GET /health, GET /metrics) and their status codes. No socket
// and no Beast here, so the routing is testable on its own; rpc/http_server.cpp moves the
// bytes.
//
//   GET  /health   no authentication; {"status":"ok",...} (503 while the node has no tip)
//   POST /         JSON-RPC 2.0 (200, or 204 when only notifications were sent)
//   GET  /metrics  Prometheus text format 0.0.4
//   anything else  401 without valid credentials, else 404, or 405 for a wrong method
//
// Thread-safety: handle() is const and reentrant; the NodeApi, table and authenticator it
// refers to must outlive the router.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rpc/auth.h"
#include "rpc/json_rpc.h"

namespace tally::rpc {

class NodeApi;

struct HttpRequest {
  std::string method;         // "GET", "POST", ...
  std::string target;         // "/metrics", "/?x=y", ...
  std::string authorization;  // the Authorization header's value, "" when absent
  std::string body;
  std::string remote;         // client endpoint, for logs
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Buckets of tally_rpc_request_duration_seconds.
const std::vector<double>& rpc_latency_buckets();

// The path without its query string.
std::string_view request_path(std::string_view target);
// A bounded label value for a path: "/", "/health", "/metrics" or "other".
std::string_view path_label(std::string_view target);

class HttpRouter {
 public:
  HttpRouter(NodeApi& node, const MethodTable& methods, const Authenticator& auth, std::size_t max_batch)
      : node_(node), methods_(methods), auth_(auth), max_batch_(max_batch) {}

  HttpResponse handle(const HttpRequest& request) const;

  // True for requests answered without waiting on the node's core (the server answers
  // them on its I/O threads): /health, every request that fails authentication, and single
  // calls of methods served from the tip snapshot (getblockcount, getbestblockhash).
  bool is_quick(const HttpRequest& request) const;
  // True for a JSON-RPC request (single or batch) that calls a method which waits
  // (Method::waits): the server runs it apart from the other calls. Also true, without a
  // parse, for a body above kMaxWaitScanBytes that mentions the waiting methods' prefix or a
  // \u escape, and for such a body that does not parse: never false for a request that waits.
  bool is_waiting(const HttpRequest& request) const;
  static constexpr std::size_t kMaxWaitScanBytes = 4096;

 private:
  HttpResponse health() const;
  HttpResponse json_rpc(const HttpRequest& request, const std::string& user) const;
  HttpResponse metrics() const;

  NodeApi& node_;
  const MethodTable& methods_;
  const Authenticator& auth_;
  std::size_t max_batch_;
};

}  // namespace tally::rpc
