// RpcServer: the Beast HTTP/1.1 transport around HttpRouter.
//
// Per connection (Session, on its own strand):
//   wait_for_request: idle_timeout for the first byte of the next request
//   read_header / read_body: request_timeout for the whole request (slowloris defence);
//     Content-Length above the body limit fails at the header (413) before any body is read
//   handle_request: /health and unauthenticated requests are answered on the I/O thread,
//     requests that call a waiting method (HttpRouter::is_waiting) on the wait pool,
//     everything else on the worker pool; the answer is posted back to the strand
//   respond -> on_write -> wait_for_request (keep-alive) or close
// Error answers (400, 413, 431) close the connection with a lingering close: our side is
// shut down for sending and the rest of the request is read and dropped for a moment, so
// that the client sees the answer instead of a reset.
#include "rpc/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "rpc/event_hub.h"
#include "rpc/http_router.h"
#include "rpc/methods.h"
#include "rpc/metrics.h"
#include "rpc/node_api.h"

namespace tally::rpc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kLingerTime = std::chrono::milliseconds(1000);

// Set on the server's own threads, so that stop() can refuse to run on one (it would wait
// for itself).
thread_local bool tl_server_thread = false;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// Shuts our side down for sending, then reads and drops what the client still sends until
// it closes or kLingerTime passes; optionally writes `message` first. Owns the stream.
class Closer : public std::enable_shared_from_this<Closer> {
 public:
  explicit Closer(beast::tcp_stream stream) : stream_(std::move(stream)) {}

  void start(std::shared_ptr<const std::string> message = nullptr) {
    if (!message) return linger();
    message_ = std::move(message);
    stream_.expires_after(kLingerTime);
    asio::async_write(stream_, asio::buffer(*message_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->linger();
    });
  }

 private:
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerTime);
    drain();
  }
  void drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (!ec) self->drain();  // on EOF, timeout or error the stream closes with this object
    });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<const std::string> message_;
  std::array<char, 4096> scratch_{};
};

class Session;

}  // namespace

// Everything the sessions share. Members that sessions touch in their destructors (which can
// run while io_context is destroyed) are declared before io_context, so they outlive it.
struct ServerState {
  ServerState(NodeApi& n, RpcServerConfig c, MethodTable m) : node(n), config(std::move(c)), methods(std::move(m)) {}

  NodeApi& node;
  RpcServerConfig config;
  MethodTable methods;
  Authenticator auth;
  std::optional<Credentials> cookie;
  std::optional<HttpRouter> router;

  std::mutex sessions_mu;
  std::unordered_map<const void*, std::weak_ptr<Session>> sessions;  // GUARDED_BY(sessions_mu)
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> unauthenticated{0};  // of `connections`, those not authenticated yet
  std::atomic<std::uint16_t> bound_port{0};

  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  asio::steady_timer accept_retry{accept_strand};
  // Keeps run() going while no operation is pending (a session whose call is on the worker
  // or wait pool has none): the I/O threads end only when stop() says so.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::optional<asio::thread_pool> workers;
  std::optional<asio::thread_pool> waiters;  // requests that name a waiting method
  std::vector<std::thread> io_threads;

  std::mutex lifecycle_mu;
  enum class State { kNew, kRunning, kStopped } state = State::kNew;  // GUARDED_BY(lifecycle_mu)

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  bool evict_oldest_unauthenticated();
  static std::shared_ptr<const std::string> busy_answer() {
    static const auto kBusy = std::make_shared<const std::string>(
        "HTTP/1.1 503 Service Unavailable\r\nServer: tally-rpc\r\nContent-Type: application/json\r\n"
        "Content-Length: 32\r\nConnection: close\r\n\r\n{\"error\":\"too many connections\"}");
    return kBusy;
  }
  void count_connections(std::size_t n) {
    node.metrics().gauge_set("tally_rpc_connections", "Open RPC connections.", {}, {}, static_cast<double>(n));
  }
  void record_response(std::string_view target, int status) {
    node.metrics().counter_add("tally_rpc_http_responses_total", "HTTP responses of the RPC server by path and status.",
                               {"path", "code"}, {std::string(path_label(target)), std::to_string(status)});
  }
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerState& server)
      : stream_(std::move(socket)), server_(server), accepted_(std::chrono::steady_clock::now()) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
    server_.count_connections(++server_.connections);
    ++server_.unauthenticated;
  }
  ~Session() {
    {
      std::lock_guard lock(server_.sessions_mu);
      server_.sessions.erase(this);
    }
    if (!authenticated_) --server_.unauthenticated;
    server_.count_connections(--server_.connections);
  }

  // Read from any thread (the acceptor's eviction): whether it ever authenticated, whether it
  // is answering a request now, and when it was accepted.
  bool authenticated() const { return authenticated_; }
  bool busy() const { return answering_flag_ || reading_; }
  std::chrono::steady_clock::time_point accepted() const { return accepted_; }

  void run() {
    {
      std::lock_guard lock(server_.sessions_mu);
      server_.sessions.insert_or_assign(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  // From any thread: closes the connection; `done` is set once it is closed.
  // Closes the connection; a request being answered is answered first (its call finishes
  // and the response is written), so a client that asked for `stop` gets its reply.
  void close(std::shared_ptr<std::promise<void>> done) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), done] {
      if (self->answering_) {
        self->close_when_answered_ = done;
        return;
      }
      self->close_now(done);
    });
  }

 private:
  void close_now(const std::shared_ptr<std::promise<void>>& done) {
    subscriber_.reset();
    if (heartbeat_) heartbeat_->cancel();
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    done->set_value();
  }

  void wait_for_request() {
    if (closed_) return;
    if (buffer_.size() > 0) return read_header();  // pipelined: the next request is here
    reading_ = false;
    stream_.expires_after(authenticated_ ? server_.config.idle_timeout
                                         : std::min(server_.config.idle_timeout,
                                                    server_.config.unauthenticated_idle_timeout));
    stream_.async_read_some(buffer_.prepare(4096), beast::bind_front_handler(&Session::on_first_bytes, shared_from_this()));
  }

  void on_first_bytes(beast::error_code ec, std::size_t n) {
    if (ec) return finish();  // idle timeout, EOF, reset or closed by stop()
    reading_ = true;
    buffer_.commit(n);
    read_header();
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.config.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(server_.config.max_body_bytes));
    stream_.expires_after(server_.config.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return fail_read(ec);
    const auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      // curl sends large bodies only after "100 Continue" (or after waiting a second).
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code wec, std::size_t) {
        if (wec) return self->finish();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec) return fail_read(ec);
    handle_request();
  }

  void fail_read(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) return respond_and_close(413, "request body too large");
    if (ec == http::error::header_limit) return respond_and_close(431, "request header too large");
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset)
      return finish();
    if (ec.category() == http::make_error_code(http::error::bad_method).category())
      return respond_and_close(400, "malformed HTTP request");
    finish();
  }

  void handle_request() {
    http::request<http::string_body> req = parser_->release();
    parser_.reset();
    const bool keep_alive = req.keep_alive();
    HttpRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.authorization = std::string(req[http::field::authorization]);
    request.body = std::move(req.body());
    request.remote = remote_;
    target_ = request.target;

    if (!authenticated_ && server_.auth.check(request.authorization)) {
      // The cap on authenticated connections holds here too: a connection accepted while
      // there was room may find none when it first authenticates.
      if (server_.connections.load() - server_.unauthenticated.load() >= server_.config.max_connections) {
        server_.node.metrics().counter_add("tally_rpc_connections_rejected_total",
                                           "RPC connections refused because max_connections were open.", {}, {});
        answering_ = true;
        answering_flag_ = true;
        return respond_and_close(503, "too many connections");
      }
      authenticated_ = true;
      --server_.unauthenticated;
    }
    if (request.method == "GET" && path_label(request.target) == "/events" && server_.node.event_hub() != nullptr &&
        server_.auth.check(request.authorization))
      return start_events(*server_.node.event_hub());
    const HttpRouter& router = *server_.router;
    answering_ = true;  // until the response is written (on_write)
    answering_flag_ = true;
    if (router.is_quick(request)) return respond(router.handle(request), keep_alive);
    asio::thread_pool& pool = router.is_waiting(request) ? *server_.waiters : *server_.workers;
    asio::post(pool, [self = shared_from_this(), request = std::move(request), keep_alive]() {
      tl_server_thread = true;
      HttpResponse response;
      try {
        response = self->server_.router->handle(request);
      } catch (...) {
        response = HttpResponse{500, "application/json", std::string("{\"error\":\"internal error\"}"), {}};
      }
      asio::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive]() mutable {
        self->respond(std::move(response), keep_alive);
      });
    });
  }

  void respond(HttpResponse r, bool keep_alive) {
    if (closed_) return;
    server_.record_response(target_, r.status);
    response_ = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    response_->set(http::field::server, "tally-rpc");
    if (r.status != 204) response_->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) response_->set(name, value);
    response_->body() = std::move(r.body);
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    stream_.expires_after(server_.config.write_timeout);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this(), keep_alive));
  }

  void respond_and_close(int status, std::string_view message) {
    linger_after_write_ = true;
    respond(HttpResponse{status, "application/json", "{\"error\":\"" + std::string(message) + "\"}", {}}, false);
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    answering_ = false;
    answering_flag_ = false;
    if (close_when_answered_) return close_now(std::exchange(close_when_answered_, nullptr));
    if (ec || closed_) return finish();
    if (keep_alive) return wait_for_request();
    if (linger_after_write_) {
      std::make_shared<Closer>(beast::tcp_stream(stream_.release_socket()))->start();
      return;
    }
    beast::error_code sec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, sec);
    finish();
  }

  // The connection is done: nothing more is started, so the session (and its socket) goes
  // away with the last handler that holds it.
  void finish() {}

  // GET /events: the connection becomes a server-sent event stream until either side closes
  // it or the client falls behind (rpc/event_hub.h drops it; we close). A comment line every
  // kHeartbeat finds clients that went away without closing.
  void start_events(EventHub& hub) {
    server_.record_response(target_, 200);
    server_.node.metrics().counter_add("tally_rpc_event_streams_total", "GET /events streams opened.", {}, {});
    std::weak_ptr<Session> weak = weak_from_this();
    subscriber_ = hub.subscribe([weak] {
      if (auto self = weak.lock()) asio::post(self->stream_.get_executor(), [self] { self->pump_events(); });
    });
    heartbeat_.emplace(stream_.get_executor());
    out_ = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\nServer: tally-rpc\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "Connection: close\r\nX-Accel-Buffering: no\r\n\r\n: tally events\n\n");
    write_events();
    arm_heartbeat();
  }

  void arm_heartbeat() {
    heartbeat_->expires_after(kHeartbeat);
    heartbeat_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_ || !self->subscriber_) return;
      if (!self->writing_) {
        self->out_ = std::make_shared<std::string>(": ping\n\n");
        self->write_events();
      }
      self->arm_heartbeat();
    });
  }

  void pump_events() {
    if (closed_ || !subscriber_) return;
    // A dropped client is closed at once, even while a write to it is stuck on a full socket
    // (closing cancels that write); it is not left until the write timeout.
    if (writing_ && !subscriber_->overflowed()) return;
    auto batch = subscriber_->take();
    if (batch.overflowed) {
      server_.node.metrics().counter_add("tally_rpc_event_streams_dropped_total",
                                         "GET /events streams closed because the client fell behind.", {}, {});
      return end_events(/*abort=*/true);
    }
    if (batch.frames.empty()) return;
    out_ = std::make_shared<std::string>(std::move(batch.frames));
    write_events();
  }

  void write_events() {
    writing_ = true;
    stream_.expires_after(server_.config.write_timeout);
    asio::async_write(stream_, asio::buffer(*out_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      self->stream_.expires_never();
      if (ec || self->closed_) return self->end_events();
      self->pump_events();
    });
  }

  // `abort` (a client dropped for falling behind) resets the connection instead of closing
  // it: what its socket still holds for the client is thrown away at once. A graceful close
  // would keep that (up to the kernel's send buffer, megabytes) until a client that does not
  // read drains it through its small window, which can take minutes of zero-window probes.
  void end_events(bool abort = false) {
    subscriber_.reset();
    if (heartbeat_) heartbeat_->cancel();
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    if (abort) {
      stream_.socket().set_option(asio::socket_base::linger(true, 0), ec);
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerState& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  std::string remote_;
  std::string target_;
  bool closed_ = false;
  bool linger_after_write_ = false;
  bool answering_ = false;  // a request is being answered: from dispatch to on_write
  std::atomic<bool> answering_flag_{false};  // the same, for other threads
  std::atomic<bool> authenticated_{false};   // made an authenticated request (set once, on the strand)
  std::atomic<bool> reading_{false};         // bytes of a request have arrived and it is being read
  std::chrono::steady_clock::time_point accepted_;
  std::shared_ptr<std::promise<void>> close_when_answered_;  // stop() waits on it
  // GET /events
  static constexpr auto kHeartbeat = std::chrono::seconds(15);
  std::shared_ptr<EventSubscriber> subscriber_;
  std::optional<asio::steady_timer> heartbeat_;
  std::shared_ptr<std::string> out_;
  bool writing_ = false;
};

}  // namespace

namespace {
// True when `address` is loopback or inside one of the allowed networks.
bool client_allowed(const asio::ip::address& address, const std::vector<std::string>& allow) {
  if (address.is_loopback()) return true;
  const asio::ip::address a =
      address.is_v6() && address.to_v6().is_v4_mapped()
          ? asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()))
          : address;
  for (const std::string& entry : allow) {
    boost::system::error_code ec;
    const auto slash = entry.find('/');
    if (slash == std::string::npos) {
      if (asio::ip::make_address(entry, ec) == a && !ec) return true;
      continue;
    }
    if (a.is_v4()) {
      const auto net = asio::ip::make_network_v4(entry, ec);
      if (!ec && asio::ip::make_network_v4(a.to_v4(), net.prefix_length()).canonical() == net.canonical())
        return true;
    } else {
      const auto net = asio::ip::make_network_v6(entry, ec);
      if (!ec && asio::ip::make_network_v6(a.to_v6(), net.prefix_length()).canonical() == net.canonical())
        return true;
    }
  }
  return false;
}
}  // namespace

void ServerState::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), beast::bind_front_handler(&ServerState::on_accept, this));
}

void ServerState::on_accept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Out of file descriptors and the like: retry shortly instead of spinning.
    accept_retry.expires_after(kAcceptRetryDelay);
    accept_retry.async_wait([this](beast::error_code wec) {
      if (!wec) do_accept();
    });
    return;
  }
  {
    beast::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec || !client_allowed(remote.address(), config.allow_ips)) {
      node.metrics().counter_add("tally_rpc_clients_refused_total",
                                 "RPC connections closed because the client address is not allowed (--rpcallowip).", {},
                                 {});
      beast::error_code ignored;
      socket.close(ignored);
      do_accept();
      return;
    }
  }
  if (connections.load() - unauthenticated.load() >= config.max_connections) {
    node.metrics().counter_add("tally_rpc_connections_rejected_total",
                               "RPC connections refused because max_connections were open.", {}, {});
    std::make_shared<Closer>(beast::tcp_stream(std::move(socket)))->start(busy_answer());
  } else if (unauthenticated.load() >= config.max_unauthenticated && !evict_oldest_unauthenticated() &&
             unauthenticated.load() >= 2 * config.max_unauthenticated) {
    // Every unauthenticated connection is busy sending a request (each has request_timeout
    // to finish it): past twice the cap, newcomers wait outside.
    node.metrics().counter_add("tally_rpc_connections_rejected_total",
                               "RPC connections refused because max_connections were open.", {}, {});
    std::make_shared<Closer>(beast::tcp_stream(std::move(socket)))->start(busy_answer());
  } else {
    std::make_shared<Session>(std::move(socket), *this)->run();
  }
  do_accept();
}

// Makes room for a newcomer: closes the oldest connection that has not authenticated and is
// idle (neither sending a request nor being answered). False when there is none.
bool ServerState::evict_oldest_unauthenticated() {
  std::shared_ptr<Session> oldest;
  {
    std::lock_guard lock(sessions_mu);
    for (const auto& [key, weak] : sessions) {
      auto s = weak.lock();
      if (!s || s->authenticated() || s->busy()) continue;
      if (!oldest || s->accepted() < oldest->accepted()) oldest = std::move(s);
    }
  }
  if (!oldest) return false;
  node.metrics().counter_add("tally_rpc_unauthenticated_evicted_total",
                             "Unauthenticated RPC connections closed to make room for new ones.", {}, {});
  oldest->close(std::make_shared<std::promise<void>>());
  return true;
}

struct RpcServer::Impl : ServerState {
  using ServerState::ServerState;
};

RpcServer::RpcServer(NodeApi& node, RpcServerConfig config, MethodTable methods)
    : impl_(std::make_unique<Impl>(node, std::move(config), std::move(methods))) {}

RpcServer::RpcServer(NodeApi& node, RpcServerConfig config) : RpcServer(node, std::move(config), node_methods()) {}

RpcServer::~RpcServer() { stop(); }

std::expected<std::uint16_t, std::string> RpcServer::start() {
  Impl& s = *impl_;
  std::lock_guard lock(s.lifecycle_mu);
  if (s.state != ServerState::State::kNew) return std::unexpected(std::string("RPC server already started"));
  try {
    for (const auto& u : s.config.users) s.auth.allow(u);
    for (const auto& u : s.config.hashed_users) s.auth.allow_hashed(u);
  } catch (const std::exception& e) {
    return std::unexpected(std::string(e.what()));
  }
  const std::string where = s.config.bind_address + ":" + std::to_string(s.config.port);
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.config.bind_address, ec);
  if (ec) return std::unexpected("bad RPC bind address " + s.config.bind_address + ": " + ec.message());
  const tcp::endpoint endpoint(address, s.config.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return std::unexpected("cannot listen for RPC on " + where + ": " + ec.message());
  }
  s.bound_port = s.acceptor.local_endpoint(ec).port();

  if (!s.config.cookie_dir.empty()) {
    auto c = write_cookie(s.config.cookie_dir);
    if (!c) {
      beast::error_code ignored;
      s.acceptor.close(ignored);
      return std::unexpected(c.error());
    }
    s.cookie = *c;
    s.auth.allow(*c);
  }
  s.router.emplace(s.node, s.methods, s.auth, s.config.max_batch);
  s.workers.emplace(std::max(1u, s.config.worker_threads));
  s.waiters.emplace(std::max(1u, s.config.wait_threads));
  s.keep_running.emplace(s.ioc.get_executor());
  s.do_accept();
  for (unsigned i = 0; i < std::max(1u, s.config.threads); ++i) {
    s.io_threads.emplace_back([&s] {
      tl_server_thread = true;
      for (;;) {
        try {
          s.ioc.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "rpc: unexpected exception on an I/O thread: %s\n", e.what());
        }
      }
    });
  }
  s.state = ServerState::State::kRunning;
  return s.bound_port.load();
}

void RpcServer::stop() {
  if (tl_server_thread) throw std::logic_error("RpcServer::stop() called from one of the server's own threads");
  Impl& s = *impl_;
  std::lock_guard lock(s.lifecycle_mu);
  if (s.state != ServerState::State::kRunning) {
    s.state = ServerState::State::kStopped;
    return;
  }
  s.state = ServerState::State::kStopped;

  // 1. No new connections.
  auto accept_closed = std::make_shared<std::promise<void>>();
  asio::post(s.accept_strand, [&s, accept_closed] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
    accept_closed->set_value();
  });
  accept_closed->get_future().wait();

  // 2. Close every open connection, on its strand, and wait until each is closed.
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard slock(s.sessions_mu);
    for (const auto& [key, weak] : s.sessions)
      if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  std::vector<std::future<void>> closed;
  for (const auto& session : live) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    session->close(done);
  }
  live.clear();
  for (auto& f : closed) f.wait();

  // 3. Let running calls finish (queued ones are dropped), then stop the I/O threads.
  s.workers->stop();
  s.waiters->stop();
  s.workers->join();
  s.waiters->join();
  s.keep_running.reset();
  s.ioc.stop();
  for (auto& t : s.io_threads) t.join();
  s.io_threads.clear();

  if (s.cookie) remove_cookie(s.config.cookie_dir, *s.cookie);
}

std::uint16_t RpcServer::port() const { return impl_->bound_port.load(); }

std::optional<Credentials> RpcServer::cookie() const {
  std::lock_guard lock(impl_->lifecycle_mu);
  return impl_->cookie;
}

}  // namespace tally::rpc
