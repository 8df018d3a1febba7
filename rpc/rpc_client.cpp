#include "rpc/rpc_client.h"

#include "crypto/base64.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace tally::rpc {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct RpcClient::Impl {
  std::string host;
  std::uint16_t port;
  std::string authorization;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  std::uint64_t next_id = 1;

  std::expected<void, RpcCallError> connect() {
    if (stream && stream->socket().is_open()) return {};
    stream.emplace(io);
    boost::system::error_code ec;
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec) return std::unexpected(RpcCallError{RpcCallError::Kind::kTransport, 0, "cannot resolve " + host + ": " + ec.message()});
    stream->expires_after(timeout);
    stream->connect(results, ec);
    if (ec) {
      stream.reset();
      return std::unexpected(RpcCallError{RpcCallError::Kind::kTransport, 0,
                                          "cannot connect to " + host + ":" + std::to_string(port) + ": " + ec.message()});
    }
    return {};
  }

  std::expected<std::pair<int, std::string>, RpcCallError> request(http::verb verb, const std::string& target,
                                                                   const std::string& body, bool auth) {
    // One retry: a kept-alive connection the server closed in the meantime is reopened.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (auto r = connect(); !r) return std::unexpected(r.error());
      http::request<http::string_body> req{verb, target, 11};
      req.set(http::field::host, host);
      req.set(http::field::user_agent, "tally-rpc-client");
      if (auth) req.set(http::field::authorization, authorization);
      if (verb == http::verb::post) req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      boost::system::error_code ec;
      stream->expires_after(timeout);
      http::write(*stream, req, ec);
      beast::flat_buffer buffer;
      http::response<http::string_body> res;
      if (!ec) http::read(*stream, buffer, res, ec);
      if (ec) {
        stream.reset();
        if (attempt == 0 && (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                             ec == asio::error::broken_pipe || ec == asio::error::eof))
          continue;
        return std::unexpected(RpcCallError{RpcCallError::Kind::kTransport, 0, "RPC request failed: " + ec.message()});
      }
      if (!res.keep_alive()) stream.reset();
      return std::pair<int, std::string>{res.result_int(), std::move(res.body())};
    }
    return std::unexpected(RpcCallError{RpcCallError::Kind::kTransport, 0, "RPC connection closed"});
  }
};

RpcClient::RpcClient(std::string host, std::uint16_t port, Credentials credentials, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->authorization = "Basic " + crypto::base64_encode(credentials.user + ":" + credentials.password);
  impl_->timeout = timeout;
}
RpcClient::~RpcClient() = default;
RpcClient::RpcClient(RpcClient&&) noexcept = default;
RpcClient& RpcClient::operator=(RpcClient&&) noexcept = default;

std::expected<std::pair<int, std::string>, RpcCallError> RpcClient::post(const std::string& body) {
  return impl_->request(http::verb::post, "/", body, true);
}

std::expected<std::pair<int, std::string>, RpcCallError> RpcClient::get(const std::string& target, bool authenticate) {
  return impl_->request(http::verb::get, target, "", authenticate);
}

std::expected<boost::json::value, RpcCallError> RpcClient::call(const std::string& method,
                                                                const boost::json::value& params) {
  boost::json::object req{{"jsonrpc", "2.0"}, {"id", impl_->next_id++}, {"method", method}, {"params", params}};
  auto r = post(boost::json::serialize(req));
  if (!r) return std::unexpected(r.error());
  const auto& [status, body] = *r;
  if (status == 401) return std::unexpected(RpcCallError{RpcCallError::Kind::kHttp, 401, "authorization failed (401): check the cookie or --rpcuser/--rpcpassword"});
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object())
    return std::unexpected(RpcCallError{RpcCallError::Kind::kHttp, status, "HTTP " + std::to_string(status) + ": " + body});
  const auto& o = v.as_object();
  if (const auto* err = o.if_contains("error"); err && !err->is_null()) {
    int code = 0;
    std::string message;
    if (err->is_object()) {
      if (const auto* c = err->as_object().if_contains("code"); c && c->is_int64()) code = static_cast<int>(c->as_int64());
      if (const auto* m = err->as_object().if_contains("message"); m && m->is_string()) message = std::string(m->as_string());
    }
    return std::unexpected(RpcCallError{RpcCallError::Kind::kRpc, code, message});
  }
  if (const auto* res = o.if_contains("result")) return *res;
  return boost::json::value(nullptr);
}

}  // namespace tally::rpc
