#include "p2p/asio_transport.h"

#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "crypto/noise.h"

namespace tally::p2p {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

NetAddress to_net_address(const tcp::endpoint& ep) {
  NetAddress a;
  const auto addr = ep.address();
  if (addr.is_v4()) {
    a = NetAddress::ipv4(addr.to_v4().to_uint(), ep.port());
  } else {
    const auto bytes = addr.to_v6().to_bytes();
    std::copy(bytes.begin(), bytes.end(), a.ip.begin());
    a.port = ep.port();
  }
  return a;
}

tcp::endpoint to_endpoint(const NetAddress& a) {
  if (a.is_ipv4()) {
    const std::uint32_t v = (std::uint32_t{a.ip[12]} << 24) | (std::uint32_t{a.ip[13]} << 16) |
                            (std::uint32_t{a.ip[14]} << 8) | a.ip[15];
    return tcp::endpoint(asio::ip::address_v4(v), a.port);
  }
  asio::ip::address_v6::bytes_type b;
  std::copy(a.ip.begin(), a.ip.end(), b.begin());
  return tcp::endpoint(asio::ip::address_v6(b), a.port);
}

}  // namespace

struct AsioTransport::Impl {
  struct Connection {
    Connection(asio::io_context& io, PeerId id_) : socket(io), shaping_timer(io), handshake_timer(io), id(id_) {}
    tcp::socket socket;
    asio::steady_timer shaping_timer;
    asio::steady_timer handshake_timer;
    PeerId id;  // 0 while the encrypted handshake runs (the core does not know the peer yet)
    NetAddress remote;
    bool inbound = false;
    std::optional<crypto::noise::Handshake> handshake;
    std::optional<crypto::noise::Session> session;
    std::optional<crypto::CompressedPublicKey> key;  // the peer's, once authenticated
    std::array<std::uint8_t, 64 * 1024> read_buffer;
    // Frames waiting to be written, with the earliest time each may leave (shaping).
    std::deque<std::pair<std::int64_t, std::shared_ptr<const Bytes>>> queue;
    std::size_t queued_bytes = 0;
    bool writing = false;
    bool closing = false;  // close once the queue is written
    std::int64_t last_release_ms = 0;  // keeps frames in order under jitter
    double tokens = 0;                 // token bucket (bytes)
    std::int64_t tokens_at_ms = 0;
  };

  Impl(asio::io_context& io_, NetCore& core_, TransportConfig config_, Clock clock_)
      : io(io_), core(core_), config(std::move(config_)), clock(std::move(clock_)), acceptor(io_), timer(io_),
        rng(core_.local_nonce()) {}

  asio::io_context& io;
  NetCore& core;
  TransportConfig config;
  Clock clock;
  tcp::acceptor acceptor;
  asio::steady_timer timer;
  std::map<PeerId, std::shared_ptr<Connection>> connections;
  std::set<std::shared_ptr<Connection>> handshaking;  // encrypted connections not yet known to the core
  TransportCounters counters;
  std::function<void()> hook;
  std::mt19937_64 rng;
  bool stopped = false;
  std::uint16_t bound_port = 0;

  void accept_next() {
    if (stopped) return;
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (stopped) return;
      if (!ec) {
        boost::system::error_code ep_ec;
        const auto remote = socket.remote_endpoint(ep_ec);
        if (!ep_ec) {
          socket.set_option(tcp::no_delay(true), ep_ec);
          if (config.node_key) {
            if (handshaking.size() >= config.max_handshaking) {
              ++counters.handshakes_failed;  // too many half-open handshakes: this one is not even started
              socket.close(ep_ec);
            } else {
              auto conn = std::make_shared<Connection>(io, 0);
              conn->socket = std::move(socket);
              conn->remote = to_net_address(remote);
              conn->inbound = true;
              conn->handshake.emplace(crypto::noise::Handshake::responder(*config.node_key, config.prologue));
              start_handshake(conn);
            }
          } else {
            const PeerId id = core.on_connected(to_net_address(remote), /*inbound=*/true, clock());
            auto conn = std::make_shared<Connection>(io, id);
            conn->socket = std::move(socket);
            connections[id] = conn;
            read(conn);
            pump();
          }
        }
      }
      accept_next();
    });
  }

  void read(const std::shared_ptr<Connection>& conn) {
    conn->socket.async_read_some(asio::buffer(conn->read_buffer),
                                 [this, conn](boost::system::error_code ec, std::size_t n) {
                                   if (stopped || conn->closing) return;
                                   if (conn->handshake) {
                                     if (ec) return handshake_failed(conn);
                                     if (!on_handshake_bytes(conn, ByteSpan(conn->read_buffer.data(), n))) return;
                                     if (!conn->closing) read(conn);
                                     return;
                                   }
                                   if (ec) return closed(conn);
                                   deliver(conn, ByteSpan(conn->read_buffer.data(), n));
                                   pump();
                                   if (!conn->closing) read(conn);
                                 });
  }

  // Bytes from an established connection to the core: opened first when encrypted. A record
  // that fails authentication ends the connection (nothing after it can be trusted).
  void deliver(const std::shared_ptr<Connection>& conn, ByteSpan bytes) {
    if (!conn->session) {
      core.on_bytes(conn->id, bytes, clock());
      return;
    }
    Bytes plain;
    auto opened = conn->session->open(bytes, plain);
    if (!plain.empty()) core.on_bytes(conn->id, plain, clock());
    if (!opened) {
      ++counters.records_rejected;
      core.disconnect(conn->id, std::string("encrypted transport: ") + crypto::noise::to_string(opened.error()));
    }
  }

  // --- the encrypted handshake, before the core knows the peer ------------------------------

  void start_handshake(const std::shared_ptr<Connection>& conn) {
    handshaking.insert(conn);
    conn->handshake_timer.expires_after(std::chrono::milliseconds(config.handshake_timeout_ms));
    conn->handshake_timer.async_wait([this, conn](boost::system::error_code ec) {
      if (!ec && !stopped && conn->handshake) handshake_failed(conn);
    });
    write_raw(conn, conn->handshake->take_output());
    read(conn);
  }

  // Handshake bytes join the write queue unshaped (a few dozen bytes), ahead of any frame.
  void write_raw(const std::shared_ptr<Connection>& conn, Bytes bytes) {
    if (bytes.empty()) return;
    conn->queued_bytes += bytes.size();
    conn->queue.emplace_back(clock(), std::make_shared<const Bytes>(std::move(bytes)));
    write_next(conn);
  }

  void handshake_failed(const std::shared_ptr<Connection>& conn) {
    if (!handshaking.erase(conn)) return;
    ++counters.handshakes_failed;
    conn->handshake.reset();
    conn->handshake_timer.cancel();
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    if (!conn->inbound) {
      core.on_connect_failed(conn->remote, clock());
      pump();
    }
  }

  // False when the connection ended here.
  bool on_handshake_bytes(const std::shared_ptr<Connection>& conn, ByteSpan bytes) {
    auto used = conn->handshake->feed(bytes);
    if (!used) {
      handshake_failed(conn);
      return false;
    }
    write_raw(conn, conn->handshake->take_output());
    if (!conn->handshake->done()) return true;
    const crypto::CompressedPublicKey key = conn->handshake->remote_static();
    auto session = conn->handshake->take_session();
    conn->handshake.reset();
    conn->handshake_timer.cancel();
    handshaking.erase(conn);
    if (!session) {
      ++counters.handshakes_failed;
      return close_unknown(conn);
    }
    if (!config.allowed_keys.empty() && !config.allowed_keys.contains(key)) {
      ++counters.peers_not_allowed;
      return close_unknown(conn);
    }
    ++counters.handshakes_completed;
    conn->session.emplace(std::move(*session));
    conn->key = key;
    conn->id = core.on_connected(conn->remote, conn->inbound, clock(), key);
    connections[conn->id] = conn;
    if (*used < bytes.size()) deliver(conn, bytes.subspan(*used));
    pump();
    return true;
  }

  bool close_unknown(const std::shared_ptr<Connection>& conn) {
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    if (!conn->inbound) {
      core.on_connect_failed(conn->remote, clock());
      pump();
    }
    return false;
  }

  void closed(const std::shared_ptr<Connection>& conn) {
    if (connections.erase(conn->id) == 0) return;
    boost::system::error_code ignored;
    conn->socket.close(ignored);
    conn->shaping_timer.cancel();
    core.on_disconnected(conn->id, clock());
    pump();
  }

  // heard_key: the listener's key from the core's address book; a key given in the config
  // for this address (--connect KEY@host:port) wins.
  void dial(const NetAddress& address, const std::optional<crypto::CompressedPublicKey>& heard_key) {
    auto socket = std::make_shared<tcp::socket>(io);
    auto deadline = std::make_shared<asio::steady_timer>(io);
    deadline->expires_after(std::chrono::milliseconds(config.connect_timeout_ms));
    deadline->async_wait([socket](boost::system::error_code ec) {
      if (!ec) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
    });
    socket->async_connect(to_endpoint(address), [this, socket, deadline, address,
                                                 heard_key](boost::system::error_code ec) {
      deadline->cancel();
      if (stopped) return;
      if (ec || !socket->is_open()) {
        core.on_connect_failed(address, clock());
        pump();
        return;
      }
      boost::system::error_code opt_ec;
      socket->set_option(tcp::no_delay(true), opt_ec);
      if (config.node_key) {
        std::optional<crypto::CompressedPublicKey> known = heard_key;
        if (auto k = config.known_keys.find(address); k != config.known_keys.end()) known = k->second;
        if (known) ++counters.dials_with_key;
        auto hs = crypto::noise::Handshake::initiator(*config.node_key, known, config.prologue);
        auto conn = std::make_shared<Connection>(io, 0);
        conn->socket = std::move(*socket);
        conn->remote = address;
        conn->inbound = false;
        if (!hs) {
          ++counters.handshakes_failed;
          close_unknown(conn);
          return;
        }
        conn->handshake.emplace(std::move(*hs));
        start_handshake(conn);
        return;
      }
      const PeerId id = core.on_connected(address, /*inbound=*/false, clock());
      auto conn = std::make_shared<Connection>(io, id);
      conn->socket = std::move(*socket);
      connections[id] = conn;
      read(conn);
      pump();
    });
  }

  const LinkShaping& shaping_for(PeerId id) const {
    if (!config.per_link.empty()) {
      if (auto endpoint = core.peer_listen_endpoint(id)) {
        auto it = config.per_link.find(*endpoint);
        if (it != config.per_link.end()) return it->second;
      }
    }
    return config.shaping;
  }

  std::int64_t release_time(Connection& c, std::size_t bytes, std::int64_t now) {
    const LinkShaping& s = shaping_for(c.id);
    std::int64_t at = now;
    if (s.latency_ms > 0 || s.jitter_ms > 0) {
      std::uniform_int_distribution<std::int64_t> jitter(0, std::max<std::int64_t>(0, s.jitter_ms));
      at += s.latency_ms + jitter(rng);
    }
    if (s.rate_bytes_per_s > 0) {
      const double rate_per_ms = static_cast<double>(s.rate_bytes_per_s) / 1000.0;
      // Refill, then take; a deficit delays the frame until it is paid back.
      c.tokens = std::min(c.tokens + static_cast<double>(now - c.tokens_at_ms) * rate_per_ms,
                          static_cast<double>(s.rate_bytes_per_s));
      c.tokens_at_ms = now;
      c.tokens -= static_cast<double>(bytes);
      if (c.tokens < 0) at += static_cast<std::int64_t>(-c.tokens / rate_per_ms);
    }
    at = std::max(at, c.last_release_ms);  // TCP keeps order
    c.last_release_ms = at;
    return at;
  }

  void enqueue(const std::shared_ptr<Connection>& conn, std::shared_ptr<const Bytes> frame) {
    if (conn->closing) return;
    if (conn->session) frame = std::make_shared<const Bytes>(conn->session->seal(*frame));
    conn->queued_bytes += frame->size();
    if (conn->queued_bytes > config.max_write_queue_bytes) {
      core.disconnect(conn->id, "peer reads too slowly (write queue full)");
      return;
    }
    const std::int64_t now = clock();
    conn->queue.emplace_back(release_time(*conn, frame->size(), now), std::move(frame));
    write_next(conn);
  }

  void write_next(const std::shared_ptr<Connection>& conn) {
    if (conn->writing || stopped) return;
    if (conn->queue.empty()) {
      if (conn->closing) finish_close(conn);
      return;
    }
    const std::int64_t now = clock();
    const std::int64_t at = conn->queue.front().first;
    if (at > now) {
      conn->writing = true;
      conn->shaping_timer.expires_after(std::chrono::milliseconds(at - now));
      conn->shaping_timer.async_wait([this, conn](boost::system::error_code ec) {
        conn->writing = false;
        if (!ec && !stopped) write_next(conn);
      });
      return;
    }
    conn->writing = true;
    auto frame = conn->queue.front().second;
    asio::async_write(conn->socket, asio::buffer(*frame), [this, conn, frame](boost::system::error_code ec, std::size_t) {
      conn->writing = false;
      if (stopped) return;
      conn->queued_bytes -= frame->size();
      conn->queue.pop_front();
      if (ec) return closed(conn);
      write_next(conn);
    });
  }

  void finish_close(const std::shared_ptr<Connection>& conn) {
    boost::system::error_code ignored;
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
    conn->shaping_timer.cancel();
    if (connections.erase(conn->id) > 0) core.on_disconnected(conn->id, clock());
  }

  void pump() {
    if (stopped) return;
    // Actions can cause more actions (a disconnect notifies the core): loop until quiet.
    for (int round = 0; round < 8; ++round) {
      auto actions = core.take_actions();
      if (actions.empty()) break;
      for (auto& action : actions) {
        if (auto* s = std::get_if<SendAction>(&action)) {
          auto it = connections.find(s->peer);
          if (it != connections.end()) enqueue(it->second, std::move(s->frame));
        } else if (auto* d = std::get_if<DisconnectAction>(&action)) {
          auto it = connections.find(d->peer);
          if (it != connections.end()) {
            auto conn = it->second;
            conn->closing = true;
            // Flush what is queued (e.g. nothing, or a final message), then close.
            if (!conn->writing) write_next(conn);
          }
        } else if (auto* c = std::get_if<ConnectAction>(&action)) {
          dial(c->address, c->node_key);
        }
      }
    }
    arm_timer();
    if (hook) hook();
  }

  void arm_timer() {
    const std::int64_t now = clock();
    // Work due now (a rebuilt compact block waiting to be validated after its relay) runs as
    // soon as the frames just queued are written.
    const std::int64_t wait = std::max<std::int64_t>(0, core.next_deadline_ms() - now);
    timer.expires_after(std::chrono::milliseconds(wait));
    timer.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped) return;
      core.on_tick(clock());
      pump();
    });
  }
};

AsioTransport::AsioTransport(asio::io_context& io, NetCore& core, TransportConfig config, Clock clock)
    : impl_(std::make_unique<Impl>(io, core, std::move(config), std::move(clock))) {}

AsioTransport::~AsioTransport() { stop(); }

std::expected<std::uint16_t, std::string> AsioTransport::start() {
  Impl& d = *impl_;
  if (d.config.listen) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(d.config.bind_address, ec);
    if (ec) return std::unexpected("invalid bind address '" + d.config.bind_address + "': " + ec.message());
    const tcp::endpoint ep(address, d.config.port);
    d.acceptor.open(ep.protocol(), ec);
    if (!ec) d.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) d.acceptor.bind(ep, ec);
    if (!ec) d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return std::unexpected("cannot listen for peers on " + d.config.bind_address + ":" +
                             std::to_string(d.config.port) + ": " + ec.message());
    d.bound_port = d.acceptor.local_endpoint().port();
    d.accept_next();
  }
  d.pump();
  return d.bound_port;
}

void AsioTransport::stop() {
  Impl& d = *impl_;
  if (d.stopped) return;
  d.stopped = true;
  boost::system::error_code ignored;
  d.acceptor.close(ignored);
  d.timer.cancel();
  for (auto& [id, conn] : d.connections) {
    conn->socket.shutdown(tcp::socket::shutdown_both, ignored);
    conn->socket.close(ignored);
    conn->shaping_timer.cancel();
  }
  d.connections.clear();
  for (auto& conn : d.handshaking) {
    conn->socket.close(ignored);
    conn->handshake_timer.cancel();
  }
  d.handshaking.clear();
}

void AsioTransport::pump() { impl_->pump(); }
void AsioTransport::set_activity_hook(std::function<void()> hook) { impl_->hook = std::move(hook); }
void AsioTransport::set_shaping(const LinkShaping& shaping) { impl_->config.shaping = shaping; }
void AsioTransport::set_link_shaping(const NetAddress& peer, const LinkShaping& shaping) {
  impl_->config.per_link[peer] = shaping;
}
std::uint16_t AsioTransport::listen_port() const { return impl_->bound_port; }
std::optional<crypto::CompressedPublicKey> AsioTransport::peer_key(PeerId id) const {
  auto it = impl_->connections.find(id);
  if (it == impl_->connections.end()) return std::nullopt;
  return it->second->key;
}
const TransportCounters& AsioTransport::counters() const { return impl_->counters; }
std::optional<crypto::CompressedPublicKey> AsioTransport::node_key() const {
  if (!impl_->config.node_key) return std::nullopt;
  return impl_->config.node_key->compressed_public_key();
}
std::size_t AsioTransport::allowed_key_count() const { return impl_->config.allowed_keys.size(); }
void AsioTransport::set_known_key(const NetAddress& peer, const crypto::CompressedPublicKey& key) {
  impl_->config.known_keys[peer] = key;
}
void AsioTransport::set_allowed_keys(std::set<crypto::CompressedPublicKey> keys) {
  impl_->config.allowed_keys = std::move(keys);
}

}  // namespace tally::p2p
