// Test support: protocol cores driven by the real Asio transport over TCP on 127.0.0.1
// (ports chosen by the OS), all on one io_context thread, plus a raw-socket peer for
// adversarial tests. Queries run on the io thread (on_io) so the cores stay single-threaded.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "../ledger/chain_fixture.h"
#include "ledger/mempool.h"
#include "p2p/asio_transport.h"

namespace tally::p2p::testing {

inline std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Like the test spec but with the genesis in the recent past, so headers stamped with the
// wall clock pass the time rules.
inline ledger::ChainSpec tcp_spec() {
  auto s = ledger::testing::test_spec();
  s.genesis_time = static_cast<std::uint32_t>(wall_ms() / 1000 - 3600);
  return s;
}

// A port that was free a moment ago (bound to 127.0.0.1:0 and released).
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(0x7f000001);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

struct TcpNode {
  TcpNode(boost::asio::io_context& io, const ledger::ChainSpec& spec, std::uint64_t seed, NetConfig config,
          const std::function<void(TransportConfig&)>& configure_transport = {})
      : harness(spec), mempool(spec), book(seed), port(free_port()) {
    config.listen_port = port;
    core = std::make_unique<NetCore>(config, *harness.chain, mempool, book, seed, wall_ms());
    TransportConfig tc;
    tc.port = port;
    if (configure_transport) configure_transport(tc);
    transport = std::make_unique<AsioTransport>(io, *core, tc, wall_ms);
  }
  ledger::testing::ChainHarness harness;
  ledger::Mempool mempool;
  AddrBook book;
  std::uint16_t port;
  std::unique_ptr<NetCore> core;
  std::unique_ptr<AsioTransport> transport;
  NetAddress address() const { return NetAddress::ipv4(0x7f000001, port); }
};

class TcpNet {
 public:
  // configure: changes node i's settings before it starts; configure_transport, its transport's.
  explicit TcpNet(std::size_t n, const std::function<void(std::size_t, NetConfig&)>& configure = {},
                  const std::function<void(std::size_t, TransportConfig&)>& configure_transport = {})
      : spec_(tcp_spec()) {
    for (std::size_t i = 0; i < n; ++i) {
      NetConfig c;
      c.discovery = false;
      if (configure) configure(i, c);
      std::function<void(TransportConfig&)> t;
      if (configure_transport) t = [&, i](TransportConfig& tc) { configure_transport(i, tc); };
      nodes_.push_back(std::make_unique<TcpNode>(io_, spec_, 1000 + i, c, t));
    }
    work_.emplace(io_.get_executor());
    for (auto& node : nodes_) {
      auto r = node->transport->start();
      EXPECT_TRUE(r) << r.error();
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TcpNet() {
    on_io([&] {
      for (auto& n : nodes_) n->transport->stop();
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  TcpNode& node(std::size_t i) { return *nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }
  const ledger::ChainSpec& spec() const { return spec_; }

  // Runs fn on the io thread and waits.
  template <class F>
  auto on_io(F&& fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::forward<F>(fn));
    auto future = task.get_future();
    boost::asio::post(io_, [&] { task(); });
    return future.get();
  }

  void connect(std::size_t from, std::size_t to) {
    on_io([&] {
      nodes_[from]->core->add_peer_address(nodes_[to]->address(), wall_ms());
      nodes_[from]->core->on_tick(wall_ms());
      nodes_[from]->transport->pump();
    });
  }

  ledger::BlockHash mine(std::size_t i) {
    return on_io([&] {
      TcpNode& n = *nodes_[i];
      auto txs = n.mempool.select_for_block(n.harness.chain->state(), 999);
      auto block = ledger::assemble_block(*n.harness.chain, std::move(txs), ledger::testing::test_address(0),
                                          wall_ms() / 1000);
      ledger::testing::mine(*block, spec_);
      auto r = n.core->submit_block(*block, wall_ms());
      EXPECT_TRUE(r) << r.error().message;
      n.transport->pump();
      return block->hash();
    });
  }

  std::uint32_t height(std::size_t i) {
    return on_io([&] { return nodes_[i]->harness.chain->height(); });
  }
  bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
  bool all_at(std::uint32_t h) {
    for (std::size_t i = 0; i < size(); ++i)
      if (height(i) != h) return false;
    return true;
  }

 private:
  ledger::ChainSpec spec_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::unique_ptr<TcpNode>> nodes_;
  std::thread thread_;
};

// A blocking TCP client that speaks raw bytes.
class RawPeer {
 public:
  explicit RawPeer(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(0x7f000001);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawPeer() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }
  void send(crypto::ByteSpan bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }
  void send(const Message& m, std::uint32_t magic) { send(encode_frame(magic, m)); }
  // True once the other side has closed the connection (reads until EOF or timeout).
  bool closed_by_peer(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::uint8_t buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return true;
    }
    return false;
  }
  // Reads n bytes (fewer if the peer closes or the timeout passes).
  Bytes read_exactly(std::size_t n, std::chrono::milliseconds timeout) {
    Bytes out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::uint8_t buf[4096];
    while (out.size() < n && std::chrono::steady_clock::now() < end) {
      const ssize_t got = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got == 0) break;
      if (got > 0) out.insert(out.end(), buf, buf + got);
    }
    return out;
  }
  // Reads frames until one satisfies pred (returned) or the timeout passes (nullopt).
  std::optional<Message> wait_for(std::uint32_t magic, const std::function<bool(const Message&)>& pred,
                                  std::chrono::milliseconds timeout) {
    if (!decoder_) decoder_.emplace(magic);
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::uint8_t buf[65536];
    while (std::chrono::steady_clock::now() < end) {
      for (;;) {
        auto f = decoder_->next();
        if (!f || !f->has_value()) break;
        if (pred((*f)->message)) return std::move((*f)->message);
      }
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return std::nullopt;
      if (n > 0) decoder_->feed(crypto::ByteSpan(buf, static_cast<std::size_t>(n)));
    }
    return std::nullopt;
  }
  // A valid handshake for `spec` from a node claiming to listen on listen_port.
  void handshake(const ledger::ChainSpec& spec, std::uint16_t listen_port) {
    VersionMsg v;
    v.chain_id = spec.chain_id;
    v.genesis_hash = spec.genesis_hash();
    v.listen_port = listen_port;
    v.nonce = 0x1234567890abcdefull + listen_port;
    v.user_agent = "/raw-peer/";
    send(v, spec.network_magic);
    send(VerackMsg{}, spec.network_magic);
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::optional<FrameDecoder> decoder_;
};

}  // namespace tally::p2p::testing
