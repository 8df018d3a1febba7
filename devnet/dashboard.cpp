// The live dashboard's server, poller and event-stream readers (devnet/dashboard.h).
#include "devnet/dashboard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "crypto/base64.h"
#include "devnet/dashboard_model.h"
#include "devnet/dashboard_page.h"
#include "devnet/devnet.h"
#include "rpc/auth.h"

namespace tally::devnet {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One HTTP exchange of the page server: read a request, answer it, close.
class PageSession : public std::enable_shared_from_this<PageSession> {
 public:
  using Handler = std::function<http::response<http::string_body>(const http::request<http::string_body>&)>;
  PageSession(tcp::socket socket, Handler handler) : stream_(std::move(socket)), handler_(std::move(handler)) {}
  void run() {
    stream_.expires_after(10s);
    http::async_read(stream_, buffer_, request_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->response_ = self->handler_(self->request_);
      self->response_.keep_alive(false);
      self->response_.prepare_payload();
      http::async_write(self->stream_, self->response_, [self](beast::error_code, std::size_t) {
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
  }

 private:
  beast::tcp_stream stream_;
  Handler handler_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

struct Dashboard::Impl {
  std::filesystem::path dir;
  std::function<void(const std::string&)> log;
  std::mutex mu;  // guards model, layout
  DashboardModel model;
  Layout layout;
  std::atomic<bool> stopping{false};
  std::mutex wait_mu;
  std::condition_variable wait_cv;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread http_thread;
  std::thread poller;
  std::vector<std::thread> readers;
  std::mutex fds_mu;
  std::vector<int> reader_fds;  // GUARDED_BY(fds_mu): each reader's open socket, -1 when none
  std::uintmax_t control_offset = 0;

  void say(const std::string& m) {
    if (log) log(m);
  }
  // Waits up to `d`; true when stopping.
  bool rest(std::chrono::milliseconds d) {
    std::unique_lock lock(wait_mu);
    return wait_cv.wait_for(lock, d, [this] { return stopping.load(); });
  }

  http::response<http::string_body> answer(const http::request<http::string_body>& req) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::server, "tally-devnet-dashboard");
    res.set(http::field::cache_control, "no-store");
    if (req.method() != http::verb::get) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::content_type, "text/plain");
      res.body() = "GET only\n";
    } else if (path == "/") {
      res.set(http::field::content_type, "text/html; charset=utf-8");
      res.body() = dashboard_page();
    } else if (path == "/api/state") {
      res.set(http::field::content_type, "application/json");
      std::lock_guard lock(mu);
      res.body() = json::serialize(model.snapshot(now_us()));
    } else {
      res.result(http::status::not_found);
      res.set(http::field::content_type, "text/plain");
      res.body() = "not found\n";
    }
    return res;
  }

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<PageSession>(std::move(socket), [this](const auto& r) { return answer(r); })->run();
      accept();
    });
  }

  void poll_once(Devnet& net) {
    const StatusReport status = net.status();
    const Layout l = net.layout();
    {
      std::lock_guard lock(mu);
      layout = l;
      model.set_layout(l);
      model.on_status(status);
    }
    while (readers.size() < l.nodes.size()) {
      const std::size_t i = readers.size();
      {
        std::lock_guard lock(fds_mu);
        reader_fds.push_back(-1);
      }
      readers.emplace_back([this, i] { read_events(i); });
    }
    for (const NodeStatus& n : status.nodes) {
      if (!n.up || stopping) continue;
      auto c = net.client(n.index, 3s);
      if (!c) continue;
      auto peers = c->call("getpeerinfo", json::array{});
      if (!peers || !peers->is_array()) continue;
      std::vector<std::string> outbound;
      for (const json::value& p : peers->as_array()) {
        const json::object* o = p.if_object();
        if (o == nullptr) continue;
        const json::value* in = o->if_contains("inbound");
        const json::value* addr = o->if_contains("addr");
        if (in && in->is_bool() && !in->as_bool() && addr && addr->is_string()) outbound.emplace_back(addr->as_string());
      }
      std::lock_guard lock(mu);
      model.on_outbound_peers(n.index, outbound);
    }
    // Headers the tree lacks, a few rounds down each branch.
    for (int round = 0; round < 8 && !stopping; ++round) {
      std::vector<std::pair<std::string, std::size_t>> wanted;
      {
        std::lock_guard lock(mu);
        wanted = model.wanted_headers(32);
      }
      if (wanted.empty()) break;
      for (const auto& [hash, node] : wanted) {
        auto c = net.client(node, 3s);
        if (!c) continue;
        auto h = c->call("getblockheader", json::array{json::value(hash)});
        if (!h || !h->is_object()) continue;
        const json::object& o = h->as_object();
        const json::value* height = o.if_contains("height");
        const json::value* prev = o.if_contains("previousblockhash");
        std::lock_guard lock(mu);
        model.on_header(hash, prev && prev->is_string() ? std::string(prev->as_string()) : std::string(),
                        height && height->is_number() ? height->to_number<std::int64_t>() : 0);
      }
    }
    read_control();
  }

  // New lines of DIR/control.jsonl (partitions, heals, stops, starts).
  void read_control() {
    std::ifstream in(dir / "control.jsonl", std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(control_offset));
    std::string line;
    while (std::getline(in, line)) {
      if (in.eof()) break;  // a line still being written
      control_offset += line.size() + 1;
      if (auto e = events::parse_control_line(line)) {
        std::lock_guard lock(mu);
        model.on_control(*e);
      }
    }
  }

  void run_poller() {
    std::optional<Devnet> net;
    while (!stopping) {
      if (!net) {
        auto opened = Devnet::open(dir);
        if (opened) net.emplace(std::move(*opened));
      }
      if (net) poll_once(*net);
      if (rest(1000ms)) break;
    }
  }

  // Node i's GET /events, as long as the dashboard runs: reconnects after a second when the
  // node is down, restarted (new cookie) or dropped us.
  void read_events(std::size_t i) {
    while (!stopping) {
      NodeRecord n;
      {
        std::lock_guard lock(mu);
        if (i < layout.nodes.size()) n = layout.nodes[i];
      }
      if (!n.name.empty()) stream_events(i, n);
      if (rest(1000ms)) break;
    }
  }

  void stream_events(std::size_t i, const NodeRecord& n) {
    auto cookie = rpc::read_cookie(n.datadir / rpc::kCookieFileName);
    if (!cookie) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(n.rpc_port);
    if (::inet_pton(AF_INET, n.host.c_str(), &addr.sin_addr) != 1) return;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    {
      std::lock_guard lock(fds_mu);
      reader_fds[i] = fd;
    }
    timeval tv{1, 0};  // reads wake every second to see whether the dashboard stops
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const std::string request = "GET /events HTTP/1.1\r\nHost: " + n.host + "\r\nAuthorization: Basic " +
                                crypto::base64_encode(cookie->user + ":" + cookie->password) + "\r\n\r\n";
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      std::string buffer;
      bool header_done = false;
      char chunk[16384];
      while (!stopping) {
        const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got == 0) break;
        if (got < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
          break;
        }
        buffer.append(chunk, static_cast<std::size_t>(got));
        if (!header_done) {
          const auto end = buffer.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          if (buffer.compare(0, 12, "HTTP/1.1 200") != 0) break;
          buffer.erase(0, end + 4);
          header_done = true;
        }
        for (std::size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
          const std::string frame = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          const auto data = frame.find("data: ");
          if (data == std::string::npos) continue;  // a comment (": ping")
          auto e = events::parse_event_line(std::string_view(frame).substr(data + 6));
          if (!e) continue;
          std::lock_guard lock(mu);
          model.on_event(i, *e);
        }
      }
    }
    std::lock_guard lock(fds_mu);
    reader_fds[i] = -1;
    ::close(fd);
  }
};

Dashboard::Dashboard(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Dashboard::~Dashboard() { stop(); }

std::expected<std::unique_ptr<Dashboard>, std::string> Dashboard::start(const std::filesystem::path& dir,
                                                                        std::uint16_t port,
                                                                        std::function<void(const std::string&)> log) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->log = std::move(log);
  if (auto l = load_layout(dir); !l) return std::unexpected(l.error());
  beast::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return std::unexpected("dashboard: cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  Impl* p = impl.get();
  p->accept();
  p->http_thread = std::thread([p] { p->ioc.run(); });
  p->poller = std::thread([p] { p->run_poller(); });
  return std::unique_ptr<Dashboard>(new Dashboard(std::move(impl)));
}

std::uint16_t Dashboard::port() const { return impl_->acceptor.local_endpoint().port(); }

void Dashboard::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  impl_->wait_cv.notify_all();
  {
    std::lock_guard lock(impl_->fds_mu);
    for (int fd : impl_->reader_fds)
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  }
  if (impl_->poller.joinable()) impl_->poller.join();
  for (auto& t : impl_->readers)
    if (t.joinable()) t.join();
  asio::post(impl_->ioc, [p = impl_.get()] {
    beast::error_code ignored;
    p->acceptor.close(ignored);
    p->ioc.stop();
  });
  if (impl_->http_thread.joinable()) impl_->http_thread.join();
}

}  // namespace tally::devnet
