#include "devnet/load.h"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>

#include "base/json_read.h"
#include "crypto/hex.h"
#include "crypto/sha256.h"
#include "ledger/transaction.h"
#include "devnet/process.h"
#include "rpc/rpc_client.h"

namespace tally::devnet {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

crypto::SecretKey devnet_key(std::size_t index) {
  const std::string seed = "Tally devnet key " + std::to_string(index);
  const crypto::Hash256 h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  auto key = crypto::SecretKey::from_bytes(h.span());
  // SHA-256 outputs are valid keys except with probability ~2^-128; the ten used are fixed.
  if (!key) std::abort();
  return *key;
}

std::string to_string(const LoadReport& r) {
  std::string reasons;
  for (const auto& [reason, count] : r.reasons)
    reasons += (reasons.empty() ? "" : ", ") + reason + " " + std::to_string(count);
  char tail[96];
  std::snprintf(tail, sizeof tail, " in %.1f s: %.2f tx/s accepted", r.elapsed_s, r.achieved_tps());
  return "submitted " + std::to_string(r.submitted) + ", accepted " + std::to_string(r.accepted) + ", rejected " +
         std::to_string(r.rejected) + (reasons.empty() ? "" : " (" + reasons + ")") + ", errors " +
         std::to_string(r.errors) + tail;
}

namespace {

constexpr auto kRpcTimeout = std::chrono::seconds(5);
constexpr auto kNodeRetryDelay = std::chrono::seconds(2);

// One connection per node, reopened (with a fresh cookie: the node may have restarted) after
// a failure, and skipped for a moment while its node does not answer.
class NodePool {
 public:
  NodePool(const Layout& layout, std::optional<rpc::Credentials> credentials)
      : nodes_(layout.nodes), slots_(layout.nodes.size()), credentials_(std::move(credentials)) {}

  std::size_t size() const { return nodes_.size(); }

  bool usable(std::size_t i, Clock::time_point now) const { return now >= slots_[i].retry_at; }

  std::expected<json::value, rpc::RpcCallError> call(std::size_t i, const std::string& method, const json::value& params) {
    Slot& s = slots_[i];
    if (!s.client && credentials_) s.client.emplace(nodes_[i].host, nodes_[i].rpc_port, *credentials_, kRpcTimeout);
    if (!s.client) {
      auto cookie = rpc::read_cookie(nodes_[i].datadir / rpc::kCookieFileName);
      if (!cookie) {
        s.retry_at = Clock::now() + kNodeRetryDelay;
        return std::unexpected(rpc::RpcCallError{rpc::RpcCallError::Kind::kTransport, 0, cookie.error()});
      }
      s.client.emplace(nodes_[i].host, nodes_[i].rpc_port, *cookie, kRpcTimeout);
    }
    auto r = s.client->call(method, params);
    if (!r && r.error().kind != rpc::RpcCallError::Kind::kRpc) {
      s.client.reset();
      s.retry_at = Clock::now() + kNodeRetryDelay;
    }
    return r;
  }

 private:
  struct Slot {
    std::optional<rpc::RpcClient> client;
    Clock::time_point retry_at{};
  };
  std::vector<NodeRecord> nodes_;
  std::vector<Slot> slots_;
  std::optional<rpc::Credentials> credentials_;  // set: not the cookies
};

std::optional<std::uint64_t> pending_nonce(NodePool& pool, std::size_t node, const std::string& address) {
  auto r = pool.call(node, "getaccount", json::array{json::value(address)});
  if (!r) return std::nullopt;
  auto nonce = base::read_json_with([&] { return base::json_field<std::uint64_t>(base::json_object(*r), "pending_nonce"); });
  return nonce ? std::optional<std::uint64_t>(*nonce) : std::nullopt;
}

// "stale-nonce: nonce 3 is below ..." -> "stale-nonce".
std::string reason_of(const std::string& message) {
  const auto colon = message.find(':');
  std::string r = message.substr(0, colon);
  if (r.size() > 40) r.resize(40);
  return r.empty() ? "unknown" : r;
}

}  // namespace

std::expected<Layout, std::string> remote_layout(const std::vector<std::string>& rpc_endpoints) {
  Layout layout;
  for (const std::string& endpoint : rpc_endpoints) {
    const auto colon = endpoint.rfind(':');
    std::string host = colon == std::string::npos ? std::string() : endpoint.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const std::string port_text = colon == std::string::npos ? std::string() : endpoint.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return std::unexpected("--rpc " + endpoint + ": expected host:port");
    NodeRecord n;
    n.index = layout.nodes.size();
    n.name = endpoint;
    n.host = host;
    n.rpc_port = static_cast<std::uint16_t>(port);
    layout.nodes.push_back(std::move(n));
  }
  if (layout.nodes.empty()) return std::unexpected(std::string("no --rpc endpoint given"));
  return layout;
}

std::expected<LoadReport, std::string> run_load(const Layout& layout, const ledger::ChainSpec& spec,
                                                const LoadOptions& options) {
  if (!(options.tps > 0)) return std::unexpected(std::string("tps must be positive"));
  NodePool pool(layout, options.credentials);
  std::mt19937_64 rng(options.seed != 0 ? options.seed : std::random_device{}());

  std::vector<crypto::SecretKey> keys;
  std::vector<crypto::Address> addresses;
  std::vector<std::string> address_text;
  for (std::size_t i = 0; i < kDevnetKeyCount; ++i) {
    keys.push_back(devnet_key(i));
    addresses.push_back(crypto::address_of(keys.back().public_key()));
    address_text.push_back(crypto::encode_address(addresses.back(), spec.address_prefix));
  }

  // Starting nonces from the first node that answers.
  std::vector<std::uint64_t> nonces(kDevnetKeyCount, 0);
  bool initialized = false;
  for (std::size_t node = 0; node < pool.size() && !initialized; ++node) {
    if (!options.credentials && !process_running(layout.nodes[node].pid)) continue;
    initialized = true;
    for (std::size_t k = 0; k < kDevnetKeyCount && initialized; ++k) {
      auto n = pending_nonce(pool, node, address_text[k]);
      if (n) nonces[k] = *n;
      else initialized = false;
    }
  }
  if (!initialized) return std::unexpected(std::string("no node of the devnet answers getaccount"));

  LoadReport report;
  const auto start = Clock::now();
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / options.tps));
  const auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.duration_s));
  auto next = start;
  auto next_progress = start + std::chrono::seconds(1);
  std::uniform_int_distribution<std::size_t> pick_key(0, kDevnetKeyCount - 1);
  std::uniform_int_distribution<std::size_t> pick_other(0, kDevnetKeyCount - 2);
  std::uniform_int_distribution<std::uint64_t> pick_amount(1, 1000);
  std::uniform_int_distribution<std::uint64_t> pick_tip(0, 1000);

  auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };
  while (!stopped()) {
    // Sleep in short steps so that a stop request is seen quickly even at low rates.
    while (Clock::now() < next && !stopped()) {
      std::this_thread::sleep_until(std::min(next, Clock::now() + std::chrono::milliseconds(100)));
    }
    auto now = Clock::now();
    if (stopped() || (options.duration_s > 0 && now >= end)) break;
    next += interval;
    if (next < now - std::chrono::seconds(1)) next = now;  // fell behind: no catch-up burst

    std::vector<std::size_t> usable;
    for (std::size_t i = 0; i < pool.size(); ++i)
      if (pool.usable(i, now) && !layout.nodes[i].relay_only) usable.push_back(i);
    if (usable.empty()) {
      ++report.errors;
      continue;
    }
    const std::size_t node = usable[std::uniform_int_distribution<std::size_t>(0, usable.size() - 1)(rng)];
    const std::size_t from = pick_key(rng);
    std::size_t to = pick_other(rng);
    if (to >= from) ++to;
    const ledger::Transaction tx = ledger::make_transfer(keys[from], spec.chain_id, addresses[to], pick_amount(rng),
                                                         spec.min_fee + pick_tip(rng), nonces[from]);
    const crypto::Bytes raw = tx.encode();
    ++report.submitted;
    auto r = pool.call(node, "sendrawtransaction", json::array{json::value(crypto::to_hex(crypto::ByteSpan(raw)))});
    if (r) {
      ++report.accepted;
      ++nonces[from];
    } else if (r.error().kind == rpc::RpcCallError::Kind::kRpc) {
      ++report.rejected;
      ++report.reasons[reason_of(r.error().message)];
      // Most rejections are nonce races (another node mined or saw something else): ask again.
      if (auto n = pending_nonce(pool, node, address_text[from])) nonces[from] = *n;
    } else {
      ++report.errors;
    }
    now = Clock::now();
    if (options.progress && now >= next_progress) {
      report.elapsed_s = std::chrono::duration<double>(now - start).count();
      options.progress(report);
      next_progress = now + std::chrono::seconds(1);
    }
  }
  report.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace tally::devnet
