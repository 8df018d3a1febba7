// A deterministic in-process network of NetCores for multi-node tests: every node has its
// own Chain on a real RocksDB (temporary directory), Mempool and AddrBook; bytes travel
// between cores through a virtual network with per-link latency, jitter, loss (modelled as a
// retransmission delay, since the transport is a stream) and partitions, driven by a virtual
// clock. Everything derives from one seed.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>

#include "../ledger/chain_fixture.h"
#include "ledger/mempool.h"
#include "p2p/net_core.h"

namespace tally::p2p::testing {

using ledger::testing::ChainHarness;

inline std::uint64_t testing_seed() {
  if (const char* s = std::getenv("TALLY_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

struct SimOptions {
  std::size_t nodes = 4;
  std::uint64_t seed = 1;
  std::int64_t latency_ms = 20;
  std::int64_t jitter_ms = 5;
  double loss_percent = 0;
  ledger::ChainSpec spec = ledger::testing::test_spec();
};

struct SimNode {
  SimNode(std::size_t index, const ledger::ChainSpec& spec, std::uint64_t seed, std::int64_t now_ms)
      : harness(spec), mempool(spec), book(seed ^ 0x5bd1e995) {
    config.listen_port = static_cast<std::uint16_t>(20000 + index);
    config.discovery = false;
    address = NetAddress::ipv4(0x7f000001, config.listen_port);
    core = std::make_unique<NetCore>(config, *harness.chain, mempool, book, seed, now_ms);
  }
  ChainHarness harness;
  ledger::Mempool mempool;
  AddrBook book;
  NetConfig config;
  NetAddress address;
  std::unique_ptr<NetCore> core;
  bool online = true;
  ledger::Chain& chain() { return *harness.chain; }
};

class SimNetwork {
 public:
  explicit SimNetwork(SimOptions options) : options_(std::move(options)), rng_(options_.seed) {
    now_ms_ = (static_cast<std::int64_t>(options_.spec.genesis_time) + 60) * 1000;
    for (std::size_t i = 0; i < options_.nodes; ++i)
      nodes_.push_back(std::make_unique<SimNode>(i, options_.spec, options_.seed * 1000 + i, now_ms_));
  }

  std::size_t size() const { return nodes_.size(); }
  SimNode& node(std::size_t i) { return *nodes_[i]; }
  std::int64_t now_ms() const { return now_ms_; }

  // Adds a node that is not connected yet (a late joiner).
  std::size_t add_node() {
    nodes_.push_back(std::make_unique<SimNode>(nodes_.size(), options_.spec, options_.seed * 1000 + nodes_.size(), now_ms_));
    return nodes_.size() - 1;
  }

  // a dials b (b must be online). The connection persists until either side drops it.
  void connect(std::size_t a, std::size_t b) {
    NetCore& ca = *nodes_[a]->core;
    NetCore& cb = *nodes_[b]->core;
    const NetAddress b_addr = nodes_[b]->address;
    const NetAddress a_ephemeral = NetAddress::ipv4(0x7f000001, static_cast<std::uint16_t>(40000 + next_ephemeral_++));
    const PeerId pa = ca.on_connected(b_addr, /*inbound=*/false, now_ms_);
    const PeerId pb = cb.on_connected(a_ephemeral, /*inbound=*/true, now_ms_);
    links_[{a, pa}] = {b, pb};
    links_[{b, pb}] = {a, pa};
    drain(a);
    drain(b);
  }
  void connect_line() {
    for (std::size_t i = 0; i + 1 < size(); ++i) connect(i, i + 1);
  }
  void connect_ring() {
    connect_line();
    connect(size() - 1, 0);
  }
  void connect_random(std::size_t degree) {
    // A spanning line in random order keeps it connected, then random extra links.
    std::vector<std::size_t> order(size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng_);
    for (std::size_t i = 0; i + 1 < order.size(); ++i) connect(order[i], order[i + 1]);
    std::uniform_int_distribution<std::size_t> pick(0, size() - 1);
    for (std::size_t i = 0; i < size() * (degree > 2 ? degree - 2 : 0) / 2; ++i) {
      const std::size_t a = pick(rng_), b = pick(rng_);
      if (a != b && !connected(a, b)) connect(a, b);
    }
  }
  bool connected(std::size_t a, std::size_t b) const {
    for (const auto& [from, to] : links_)
      if (from.first == a && to.first == b) return true;
    return false;
  }

  // Cuts the links between `group` and the rest: queued bytes are lost and both ends see the
  // connection drop. heal() dials the cut links again, as fixed peers reconnect.
  void partition(const std::set<std::size_t>& group) {
    partition_ = group;
    partitioned_ = true;
    std::vector<std::pair<std::size_t, std::size_t>> cut_links;
    for (const auto& [from, to] : links_)
      if (from.first < to.first && cut(from.first, to.first)) cut_links.push_back({from.first, to.first});
    for (const auto& [a, b] : cut_links) {
      for (auto it = links_.begin(); it != links_.end(); ++it) {
        if (it->first.first == a && it->second.first == b) {
          const auto [pa, pb] = std::pair{it->first.second, it->second.second};
          links_.erase({b, pb});
          links_.erase(it);
          nodes_[a]->core->on_disconnected(pa, now_ms_);
          nodes_[b]->core->on_disconnected(pb, now_ms_);
          drain(a);
          drain(b);
          break;
        }
      }
      cut_links_.push_back({a, b});
    }
  }
  void heal() {
    partitioned_ = false;
    for (const auto& [a, b] : cut_links_) connect(a, b);
    cut_links_.clear();
  }
  bool cut(std::size_t a, std::size_t b) const {
    return partitioned_ && (partition_.contains(a) != partition_.contains(b));
  }

  // Mines one block at node i on its tip with (up to 1,000 of) its mempool's transactions.
  ledger::BlockHash mine(std::size_t i) {
    SimNode& n = *nodes_[i];
    auto txs = n.mempool.select_for_block(n.chain().state(), n.chain().spec().max_block_txs - 1);
    auto block = ledger::assemble_block(n.chain(), std::move(txs), ledger::testing::test_address(static_cast<int>(i % 8)),
                                        now_ms_ / 1000);
    EXPECT_TRUE(block) << block.error().message();
    ledger::testing::mine(*block, n.chain().spec());
    auto r = n.core->submit_block(*block, now_ms_);
    EXPECT_TRUE(r) << r.error().message;
    drain(i);
    return block->hash();
  }

  // Runs the network for `duration_ms` of virtual time.
  void run_for(std::int64_t duration_ms) { run_until([] { return false; }, duration_ms); }

  // Runs until pred() holds (checked after every event) or the time budget passes.
  bool run_until(const std::function<bool()>& pred, std::int64_t budget_ms) {
    const std::int64_t end = now_ms_ + budget_ms;
    while (now_ms_ <= end) {
      if (pred()) return true;
      // The next thing to happen: a delivery or some node's timer.
      std::int64_t next = end + 1;
      if (!deliveries_.empty()) next = std::min(next, deliveries_.top().at_ms);
      for (const auto& n : nodes_)
        if (n->online) next = std::min(next, n->core->next_deadline_ms());
      next = std::max(next, now_ms_);
      if (next > end) break;
      now_ms_ = next;
      while (!deliveries_.empty() && deliveries_.top().at_ms <= now_ms_) {
        Delivery d = deliveries_.top();
        deliveries_.pop();
        deliver(d);
      }
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (!nodes_[i]->online) continue;
        if (nodes_[i]->core->next_deadline_ms() <= now_ms_) {
          nodes_[i]->core->on_tick(now_ms_);
          drain(i);
        }
      }
    }
    now_ms_ = std::max(now_ms_, end);
    return pred();
  }

  bool tips_agree() const {
    for (const auto& n : nodes_)
      if (n->online && n->harness.chain->tip().hash != nodes_[0]->harness.chain->tip().hash) return false;
    return true;
  }
  bool states_agree() const {
    for (const auto& n : nodes_)
      if (n->online && n->harness.chain->state_hash() != nodes_[0]->harness.chain->state_hash()) return false;
    return true;
  }
  std::size_t reorgs(std::size_t i) const { return reorg_count_.contains(i) ? reorg_count_.at(i) : 0; }
  std::size_t bans() const { return ban_count_; }

 private:
  struct Delivery {
    std::int64_t at_ms;
    std::uint64_t seq;
    std::size_t to_node;
    PeerId to_peer;
    std::size_t from_node;
    std::shared_ptr<const Bytes> bytes;  // null: a disconnect notice
    bool operator<(const Delivery& o) const { return at_ms != o.at_ms ? at_ms > o.at_ms : seq > o.seq; }
  };

  std::int64_t link_delay_ms(std::size_t a, std::size_t b) {
    std::uniform_int_distribution<std::int64_t> jitter(0, options_.jitter_ms);
    std::int64_t d = options_.latency_ms + jitter(rng_);
    std::uniform_real_distribution<double> coin(0, 100);
    if (coin(rng_) < options_.loss_percent) d += 3 * options_.latency_ms + 200;  // a retransmission
    // Bytes of one connection stay in order, like TCP.
    auto& last = last_delivery_[{a, b}];
    last = std::max(last, now_ms_ + d);
    return last - now_ms_;
  }

  void deliver(const Delivery& d) {
    if (!nodes_[d.to_node]->online) return;
    NetCore& core = *nodes_[d.to_node]->core;
    if (!d.bytes) {
      core.on_disconnected(d.to_peer, now_ms_);
    } else {
      if (cut(d.from_node, d.to_node)) return;
      core.on_bytes(d.to_peer, *d.bytes, now_ms_);
    }
    drain(d.to_node);
  }

  // Carries out what node i's core asked for.
  void drain(std::size_t i) {
    NetCore& core = *nodes_[i]->core;
    for (auto& action : core.take_actions()) {
      if (auto* s = std::get_if<SendAction>(&action)) {
        auto it = links_.find({i, s->peer});
        if (it == links_.end()) continue;
        const auto [to, to_peer] = it->second;
        if (cut(i, to)) continue;
        deliveries_.push(Delivery{now_ms_ + link_delay_ms(i, to), seq_++, to, to_peer, i, s->frame});
      } else if (auto* dc = std::get_if<DisconnectAction>(&action)) {
        auto it = links_.find({i, dc->peer});
        if (it == links_.end()) continue;
        const auto [to, to_peer] = it->second;
        links_.erase({to, to_peer});
        links_.erase(it);
        core.on_disconnected(dc->peer, now_ms_);
        deliveries_.push(Delivery{now_ms_ + options_.latency_ms, seq_++, to, to_peer, i, nullptr});
      }
    }
    for (auto& ev : core.take_events()) {
      if (std::holds_alternative<ReorgEvent>(ev.body)) ++reorg_count_[i];
      if (auto* d = std::get_if<PeerDisconnectedEvent>(&ev.body); d && d->reason.starts_with("misbehaving")) ++ban_count_;
    }
  }

  SimOptions options_;
  std::mt19937_64 rng_;
  std::int64_t now_ms_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::map<std::pair<std::size_t, PeerId>, std::pair<std::size_t, PeerId>> links_;
  std::map<std::pair<std::size_t, std::size_t>, std::int64_t> last_delivery_;
  std::priority_queue<Delivery> deliveries_;
  std::uint64_t seq_ = 0;
  std::uint16_t next_ephemeral_ = 0;
  std::set<std::size_t> partition_;
  std::vector<std::pair<std::size_t, std::size_t>> cut_links_;
  bool partitioned_ = false;
  std::map<std::size_t, std::size_t> reorg_count_;
  std::size_t ban_count_ = 0;
};

}  // namespace tally::p2p::testing
