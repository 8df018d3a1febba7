// Routes, authentication and status codes of the RPC server.
#include "rpc/http_router.h"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/hex.h"
#include "rpc/metrics.h"
#include "rpc/node_api.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

HttpResponse json_status(int status, std::string_view message) {
  json::object o;
  o["error"] = message;
  return HttpResponse{status, "application/json", json::serialize(o), {}};
}

HttpResponse method_not_allowed(std::string_view allow) {
  HttpResponse r = json_status(405, "method not allowed");
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

HttpResponse unauthorized() {
  HttpResponse r = json_status(401, "authorization required");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"jsonrpc\"");
  return r;
}

}  // namespace

const std::vector<double>& rpc_latency_buckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                               0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,
                                               5,      10,      30};
  return kBuckets;
}

std::string_view request_path(std::string_view target) { return target.substr(0, target.find('?')); }

std::string_view path_label(std::string_view target) {
  const std::string_view path = request_path(target);
  if (path == "/" || path == "/health" || path == "/metrics" || path == "/events") return path;
  return "other";
}

namespace {
// Methods answered from the published tip snapshot: they never wait for the core, so they
// are served on the I/O thread without a hop to the worker pool.
bool is_snapshot_call(const std::string& body) {
  if (body.size() > 512) return false;
  boost::system::error_code ec;
  const json::value v = parse_request(body, ec);
  if (ec || !v.is_object()) return false;
  const json::value* method = v.as_object().if_contains("method");
  if (!method || !method->is_string()) return false;
  const json::string& m = method->as_string();
  return m == "getblockcount" || m == "getbestblockhash";
}
}  // namespace

bool HttpRouter::is_quick(const HttpRequest& request) const {
  const std::string_view path = request_path(request.target);
  if (path == "/health" || !auth_.check(request.authorization).has_value()) return true;
  return path == "/" && request.method == "POST" && is_snapshot_call(request.body);
}

bool HttpRouter::is_waiting(const HttpRequest& request) const {
  if (request.method != "POST" || request_path(request.target) != "/") return false;
  // Only a body that names a waiting method literally, or may name one through escapes, can
  // wait (every waiting method's name starts with kWaitingMethodPrefix): the others, batches
  // of transactions among them, cost one scan and go to the workers. Of the rest, a small
  // body is parsed here (as the dispatcher will: same depth limit) to tell; a large one, or
  // one that does not parse, goes to the wait pool unparsed: the I/O threads never parse
  // much, and a wait can never land on the workers (a body that does not parse only gets
  // its parse error there).
  const std::string& body = request.body;
  if (body.find(kWaitingMethodPrefix) == std::string::npos && body.find("\\u") == std::string::npos) return false;
  if (body.size() > kMaxWaitScanBytes) return true;
  boost::system::error_code ec;
  const json::value v = parse_request(body, ec);
  if (ec) return true;
  auto waits = [&](const json::value& call) {
    const json::object* o = call.if_object();
    const json::value* method = o ? o->if_contains("method") : nullptr;
    if (!method || !method->is_string()) return false;
    const Method* m = methods_.find(method->as_string());
    return m != nullptr && m->waits;
  };
  if (const json::array* batch = v.if_array()) return std::any_of(batch->begin(), batch->end(), waits);
  return waits(v);
}

HttpResponse HttpRouter::handle(const HttpRequest& request) const {
  const std::string_view path = request_path(request.target);
  if (path == "/health") return request.method == "GET" ? health() : method_not_allowed("GET");

  const auto user = auth_.check(request.authorization);
  if (!user) return unauthorized();
  if (path == "/") return request.method == "POST" ? json_rpc(request, *user) : method_not_allowed("POST");
  if (path == "/metrics") return request.method == "GET" ? metrics() : method_not_allowed("GET");
  // GET /events with credentials is streamed by the server (rpc/http_server.cpp); here only
  // what it does not take: another method, or a node without an event stream.
  if (path == "/events") return request.method == "GET" ? json_status(404, "no event stream") : method_not_allowed("GET");
  return json_status(404, "not found");
}

HttpResponse HttpRouter::health() const {
  const auto tip = node_.tip();
  json::object o;
  if (!tip) {
    o["status"] = "starting";
    return HttpResponse{503, "application/json", json::serialize(o), {}};
  }
  o["status"] = "ok";
  o["chain"] = node_.spec().name;
  o["height"] = tip->height;
  o["bestblockhash"] = crypto::to_hex(tip->hash);
  o["peers"] = tip->peers_in + tip->peers_out;
  o["uptime_s"] = node_.uptime_s();
  return HttpResponse{200, "application/json", json::serialize(o), {}};
}

HttpResponse HttpRouter::json_rpc(const HttpRequest& request, const std::string& user) const {
  Metrics& metrics = node_.metrics();
  RequestContext ctx;
  ctx.node = &node_;
  ctx.user = user;
  ctx.remote = request.remote;
  ctx.max_batch = max_batch_;
  ctx.observe = [&metrics](std::string_view method, double seconds, int error_code) {
    const std::string m(method);
    metrics.histogram_observe("tally_rpc_request_duration_seconds", "Time to answer one JSON-RPC call, by method.",
                              rpc_latency_buckets(), {"method"}, {m}, seconds);
    metrics.counter_add("tally_rpc_requests_total", "JSON-RPC calls answered, by method and result.",
                        {"method", "result"}, {m, error_code == 0 ? "ok" : "error"});
  };
  std::string body = handle_body(request.body, methods_, ctx);
  if (body.empty()) return HttpResponse{204, "application/json", {}, {}};
  return HttpResponse{200, "application/json", std::move(body), {}};
}

HttpResponse HttpRouter::metrics() const {
  Metrics& m = node_.metrics();
  // Gauges of the published tip snapshot, refreshed on every scrape.
  if (const auto tip = node_.tip()) {
    m.gauge_set("tally_chain_height", "Height of the active chain's tip.", {}, {}, tip->height);
    m.gauge_set("tally_chain_best_header_height", "Height of the most-work known header.", {}, {},
                tip->best_header_height);
    m.gauge_set("tally_chain_tip_time_seconds", "Header time of the active chain's tip.", {}, {}, tip->time);
    m.gauge_set("tally_mempool_transactions", "Transactions in the mempool.", {}, {},
                static_cast<double>(tip->mempool_size));
    m.gauge_set("tally_mempool_bytes", "Bytes of transactions in the mempool.", {}, {},
                static_cast<double>(tip->mempool_bytes));
    m.gauge_set("tally_peers", "Connected peers by direction.", {"direction"}, {"inbound"},
                static_cast<double>(tip->peers_in));
    m.gauge_set("tally_peers", "Connected peers by direction.", {"direction"}, {"outbound"},
                static_cast<double>(tip->peers_out));
  }
  m.gauge_set("tally_uptime_seconds", "Seconds since the node started.", {}, {},
              static_cast<double>(node_.uptime_s()));
  return HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", m.render(), {}};
}

}  // namespace tally::rpc
