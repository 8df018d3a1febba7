// An in-process Tally node for RPC tests: a real ledger::Chain on RocksDB in a temporary
// directory (ChainHarness), a real Mempool, AddrBook and p2p::NetCore with no peers, and a
// NodeApi whose chain, mempool and network views are the node's own (node::CoreViews) over
// a runner that holds a mutex (the "core thread" is whichever thread holds it). Not a mock:
// every RPC handler runs against the real ledger code and the node's implementation of the
// views.
#pragma once

#include <atomic>
#include <mutex>

#include "../ledger/chain_fixture.h"
#include "ledger/block_assembler.h"
#include "ledger/thread_pool.h"
#include "node/core_views.h"
#include "p2p/net_core.h"
#include "rpc/metrics.h"
#include "rpc/event_hub.h"
#include "rpc/node_api.h"

namespace tally::rpc::testing {

using ledger::testing::ChainHarness;
using ledger::testing::test_address;
using ledger::testing::test_key;

class TestNode final : public NodeApi {
 public:
  explicit TestNode(ledger::ChainOptions options = {}, ledger::ChainSpec spec = ledger::testing::test_spec())
      : harness_(std::move(spec), options),
        mempool_(harness_.spec),
        addr_book_(42),
        net_(p2p::NetConfig{}, *harness_.chain, mempool_, addr_book_, 7, now_ms_locked()),
        views_([this](const std::function<void(node::CoreParts&)>& fn) { return run_core(fn); }) {
    publish();
  }

  const ledger::ChainSpec& spec() const override { return harness_.spec; }
  std::string node_name() const override { return "test-node"; }
  std::int64_t uptime_s() const override { return 42; }
  std::shared_ptr<const TipSnapshot> tip() const override { return tip_.load(); }

  ChainView& chain() override { return views_.chain; }
  MempoolView& mempool() override { return views_.mempool; }
  NetworkControl& network() override { return views_.network; }
  // One worker, as tallyd's default: a batch's signature checks run on two threads.
  ledger::Executor& verify_executor() override { return verify_pool_; }

  MiningStatus mining_status() const override {
    std::lock_guard lock(mining_mu_);
    return mining_;
  }
  std::expected<void, std::string> set_mining(bool on, unsigned threads,
                                              std::optional<crypto::Address> address) override {
    std::lock_guard lock(mining_mu_);
    if (on && !address && mining_.miner_address.empty()) return std::unexpected(std::string("no miner address"));
    mining_.enabled = on;
    if (threads != 0) mining_.threads = threads;
    if (address) mining_.miner_address = crypto::encode_address(*address, harness_.spec.address_prefix);
    return {};
  }

  std::expected<std::vector<ledger::BlockHash>, std::string> generate(unsigned n, const crypto::Address& to) override {
    std::lock_guard lock(mu_);
    std::vector<ledger::BlockHash> out;
    for (unsigned i = 0; i < n; ++i) {
      ledger::Chain& chain = *harness_.chain;
      auto txs = mempool_.select_for_block(chain.state(), harness_.spec.max_block_txs - 1);
      const std::int64_t t = static_cast<std::int64_t>(chain.tip().header.time) + harness_.spec.block_interval_s;
      auto block = ledger::assemble_block(chain, std::move(txs), to, t);
      if (!block) return std::unexpected(block.error().message());
      ledger::testing::mine(*block, harness_.spec);
      auto r = net_.submit_block(*block, now_ms_locked());
      if (!r) return std::unexpected(r.error().message);
      out.push_back(block->hash());
      after_core_call();
    }
    return out;
  }

  void request_stop() override { stop_requested = true; }
  bool stopping() const override { return stop_requested || shutting_down; }
  Metrics& metrics() override { return metrics_; }
  EventHub* event_hub() override { return &events; }
  EventHub events{64 * 1024};  // GET /events; small, so a test can make a client fall behind

  // Test access (callers hold no other lock).
  template <class F>
  auto core(F&& f) {
    std::lock_guard lock(mu_);
    auto result = f(*harness_.chain, mempool_, net_, now_ms_locked());
    after_core_call();
    return result;
  }
  ChainHarness& harness() { return harness_; }

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> shutting_down{false};

 private:
  // The views' runner: fn under the mutex, unless the node is "shutting down".
  bool run_core(const std::function<void(node::CoreParts&)>& fn) {
    if (shutting_down) return false;
    std::lock_guard lock(mu_);
    node::CoreParts parts{*harness_.chain, mempool_, net_, now_ms_locked()};
    fn(parts);
    after_core_call();
    return true;
  }

  // The chain's clock: an hour after the tip, so freshly assembled blocks are never "too new".
  std::int64_t now_ms_locked() const { return harness_.now() * 1000; }

  void after_core_call() {
    (void)net_.take_actions();  // no peers: nothing to send
    (void)net_.take_events();
    publish();
  }

  void publish() {
    auto s = std::make_shared<TipSnapshot>();
    const auto& t = harness_.chain->tip();
    s->height = t.height();
    s->hash = t.hash;
    s->state_hash = t.header.state_root;
    s->time = t.header.time;
    s->bits = t.header.bits;
    s->best_header_height = harness_.chain->best_header().height();
    s->mempool_size = mempool_.size();
    s->mempool_bytes = mempool_.bytes();
    s->peers_in = net_.inbound_count();
    s->peers_out = net_.outbound_count();
    tip_.store(std::shared_ptr<const TipSnapshot>(std::move(s)));
  }

  ChainHarness harness_;
  ledger::Mempool mempool_;
  p2p::AddrBook addr_book_;
  ledger::ThreadPool verify_pool_{1};
  p2p::NetCore net_;
  Metrics metrics_;
  std::mutex mu_;
  mutable std::mutex mining_mu_;
  MiningStatus mining_;
  std::atomic<std::shared_ptr<const TipSnapshot>> tip_;
  node::CoreViews views_;
};

}  // namespace tally::rpc::testing
