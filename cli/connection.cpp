#include "cli/connection.h"

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "base/files.h"
#include "base/json_read.h"
#include "rpc/auth.h"

namespace tally::cli {

namespace json = boost::json;

namespace {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// rpc_port from <datadir>/node.json, which a running tallyd writes after it started.
std::optional<std::uint16_t> port_from_node_json(const std::filesystem::path& datadir) {
  std::ifstream in(datadir / "node.json");
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  boost::system::error_code ec;
  json::value v = json::parse(ss.str(), ec);
  if (ec) return std::nullopt;
  auto port = base::read_json_with([&] {
    return base::json_field(base::json_object(v), "rpc_port", [](const json::value& p) {
      return base::json_integer<std::uint16_t>(p, 1, 65535);
    });
  });
  return port ? std::optional<std::uint16_t>(*port) : std::nullopt;
}

}  // namespace

std::filesystem::path datadir_of(const CliOptions& options, const ledger::ChainSpec& spec) {
  return options.datadir ? *options.datadir : base::default_datadir_root() / spec.name;
}

std::expected<Endpoint, std::string> resolve_endpoint(const CliOptions& options, const ledger::ChainSpec& spec) {
  Endpoint e;
  e.host = options.rpcconnect;
  e.datadir = datadir_of(options, spec);
  if (options.rpcuser) {
    e.credentials = rpc::Credentials{*options.rpcuser, options.rpcpassword};
  } else {
    const auto cookie_path = e.datadir / rpc::kCookieFileName;
    auto cookie = rpc::read_cookie(cookie_path);
    if (!cookie)
      return std::unexpected(cookie.error() + " (the RPC cookie)\nIs tallyd running with datadir " +
                             e.datadir.string() + "? Pass --datadir DIR, or --rpcuser and --rpcpassword.");
    e.credentials = *cookie;
  }
  e.port = rpc_port_of(options, spec);
  return e;
}

std::uint16_t rpc_port_of(const CliOptions& options, const ledger::ChainSpec& spec) {
  if (options.rpcport) return *options.rpcport;
  if (auto p = is_loopback(options.rpcconnect) ? port_from_node_json(datadir_of(options, spec)) : std::nullopt) return *p;
  return spec.default_rpc_port;
}

void CallFailure::print(std::ostream& err) const {
  switch (error.kind) {
    case rpc::RpcCallError::Kind::kRpc:
      err << "error code: " << error.code << "\nerror message:\n" << error.message << "\n";
      return;
    case rpc::RpcCallError::Kind::kHttp:
      if (error.code == 401) {
        err << "error: authorization failed (HTTP 401): incorrect --rpcuser/--rpcpassword, or a stale cookie ("
            << context << ")\n";
      } else {
        err << "error: " << error.message << "\n";
      }
      return;
    case rpc::RpcCallError::Kind::kTransport:
      err << "error: " << error.message << "\n";
      if (!context.empty())
        err << "Make sure tallyd is running and that tally-cli connects to it (" << context
            << "; see --datadir, --rpcconnect, --rpcport).\n";
      return;
  }
}

std::expected<json::value, CallFailure> RpcSession::call(const std::string& method, const json::value& params) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(options_.rpcwait_timeout_s);
  auto may_wait = [&] {
    if (!options_.rpcwait) return false;
    if (options_.rpcwait_timeout_s > 0 && Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    return true;
  };
  for (;;) {
    if (!client_) {
      auto endpoint = resolve_endpoint(options_, spec_);
      if (!endpoint) {
        if (may_wait()) continue;
        return std::unexpected(CallFailure{{rpc::RpcCallError::Kind::kTransport, 0, endpoint.error()}, ""});
      }
      where_ = endpoint->host + ":" + std::to_string(endpoint->port) + ", datadir " + endpoint->datadir.string();
      client_.emplace(endpoint->host, endpoint->port, endpoint->credentials,
                      std::chrono::seconds(options_.timeout_s));
    }
    auto r = client_->call(method, params);
    if (r) return std::move(*r);
    if (r.error().kind == rpc::RpcCallError::Kind::kTransport) {
      client_.reset();  // the cookie may be rewritten by a restarted node
      if (may_wait()) continue;
    }
    return std::unexpected(CallFailure{r.error(), where_});
  }
}

}  // namespace tally::cli
