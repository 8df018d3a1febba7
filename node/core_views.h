// The node's implementation of the RPC layer's narrow views (rpc::ChainView,
// rpc::MempoolView, rpc::NetworkControl, declared in rpc/node_api.h) over the parts the core
// thread owns: the Chain, the Mempool and the P2P NetCore. Each call runs one closure on the
// core thread through the CoreRunner it is given and returns copies, so nothing it returns
// refers into those parts. The implementation is in core_views.cpp (chain and mempool) and
// core_network.cpp (network control and submissions).
//
// tallyd's Node runs the closures on its io_context thread; the RPC tests' TestNode runs them
// under a mutex over a real chain, mempool and NetCore. Thread-safety: as the runner's (every
// method may be called from any thread when the runner serializes the closures).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>

#include "ledger/chain.h"
#include "ledger/mempool.h"
#include "p2p/net_core.h"
#include "rpc/node_api.h"

namespace tally::p2p {
class AsioTransport;
}

namespace tally::node {

// The core thread's parts, valid only inside one runner call.
struct CoreParts {
  ledger::Chain& chain;
  ledger::Mempool& mempool;
  p2p::NetCore& net;
  std::int64_t now_ms;  // the node's clock for this call
  const p2p::AsioTransport* transport = nullptr;  // null in tests that drive no sockets
};

// Runs fn on the core thread and waits for it; returns false, without running fn, when the
// node no longer runs core calls. Rethrows on the caller's thread what fn throws.
using CoreRunner = std::function<bool(const std::function<void(CoreParts&)>& fn)>;

// Runs f (CoreParts& -> NodeResult<T>) through `runner` and returns its result, or
// kShuttingDown when the runner no longer runs core calls.
template <class F>
auto run_on_core(const CoreRunner& runner, F&& f) -> std::invoke_result_t<F&, CoreParts&> {
  using Result = std::invoke_result_t<F&, CoreParts&>;
  std::optional<Result> result;
  if (!runner([&](CoreParts& parts) { result.emplace(f(parts)); }))
    return std::unexpected(rpc::NodeError{rpc::NodeError::Kind::kShuttingDown, "node is shutting down"});
  return std::move(*result);
}

// A chain failure (store, damaged record) as the RPC layer reports it.
rpc::NodeError chain_error(const ledger::ChainError& e);

// A block on the active tip paying `to`: the mempool's best transactions, the time of the
// chain's clock (NetCore::chain_time_s: the mock time when set). The nonce is left at zero.
std::expected<ledger::Block, ledger::BlockFailure> assemble_template(const CoreParts& core,
                                                                     const crypto::Address& to);

// The active-chain block holding txid according to the transaction index; nullptr when the
// index does not know it (or is off) or names a block off the active chain.
std::expected<const ledger::BlockEntry*, ledger::ChainError> confirmed_in(const ledger::Chain& chain,
                                                                         const ledger::TxId& txid);

// Reads of the Chain (and of the Mempool for pending nonces and pooled transactions).
class CoreChainView final : public rpc::ChainView {
 public:
  explicit CoreChainView(CoreRunner runner) : runner_(std::move(runner)) {}
  rpc::NodeResult<rpc::ChainInfo> info() const override;
  rpc::NodeResult<std::optional<rpc::BlockSummary>> header(const ledger::BlockHash& hash) const override;
  rpc::NodeResult<std::optional<rpc::BlockSummary>> header_at(std::uint32_t height) const override;
  rpc::NodeResult<std::optional<rpc::StoredBlock>> block(const ledger::BlockHash& hash) const override;
  rpc::NodeResult<std::vector<rpc::ChainTip>> tips() const override;
  rpc::NodeResult<rpc::AccountState> account(const crypto::Address& address) const override;
  rpc::NodeResult<rpc::TxLookup> transaction(const ledger::TxId& txid,
                                             const std::optional<ledger::BlockHash>& in_block) const override;
  rpc::NodeResult<std::optional<std::vector<rpc::AddressTx>>> address_history(const crypto::Address& address,
                                                                              std::uint32_t from_height,
                                                                              std::size_t limit) const override;
  rpc::NodeResult<rpc::BlockMarkOutcome> invalidate_block(const ledger::BlockHash& hash) override;
  rpc::NodeResult<rpc::BlockMarkOutcome> reconsider_block(const ledger::BlockHash& hash) override;
  rpc::NodeResult<void> set_mock_time(std::optional<std::int64_t> time_s) override;
  rpc::NodeResult<rpc::BlockTemplate> block_template(const crypto::Address& to) const override;

 private:
  CoreRunner runner_;
};

// Reads of the Mempool; test_accept works on a copy of it.
class CoreMempoolView final : public rpc::MempoolView {
 public:
  explicit CoreMempoolView(CoreRunner runner) : runner_(std::move(runner)) {}
  rpc::NodeResult<rpc::MempoolInfo> info() const override;
  rpc::NodeResult<std::vector<ledger::TxId>> txids() const override;
  rpc::NodeResult<std::vector<rpc::MempoolEntry>> entries() const override;
  rpc::NodeResult<std::optional<rpc::MempoolEntryDetail>> entry(const ledger::TxId& txid) const override;
  rpc::NodeResult<std::vector<rpc::AcceptVerdict>> test_accept(
      const std::vector<ledger::Transaction>& txs) const override;

 private:
  CoreRunner runner_;
};

// Commands of the NetCore, which also takes the local submissions.
class CoreNetworkControl final : public rpc::NetworkControl {
 public:
  explicit CoreNetworkControl(CoreRunner runner) : runner_(std::move(runner)) {}
  rpc::NodeResult<rpc::NetworkInfo> info() override;
  rpc::NodeResult<std::vector<rpc::PeerInfo>> peers() override;
  rpc::NodeResult<void> add_peer(const p2p::NetAddress& address) override;
  rpc::NodeResult<bool> remove_peer(const p2p::NetAddress& address) override;
  rpc::NodeResult<void> connect_once(const p2p::NetAddress& address) override;
  rpc::NodeResult<bool> disconnect(p2p::PeerId id, const std::string& reason) override;
  rpc::NodeResult<bool> disconnect(const p2p::NetAddress& address, const std::string& reason) override;
  rpc::NodeResult<rpc::BanList> bans() override;
  rpc::NodeResult<rpc::BanOutcome> ban(const std::string& key, const rpc::BanUntil& until,
                                       const std::string& reason) override;
  rpc::NodeResult<bool> unban(const std::string& key) override;
  rpc::NodeResult<void> set_partition(const std::set<p2p::NetAddress>& endpoints) override;
  rpc::NodeResult<rpc::TxSubmitResult> submit_transaction(const ledger::Transaction& tx,
                                                          bool signature_checked) override;
  rpc::NodeResult<std::vector<rpc::TxSubmitResult>> submit_transactions(
      std::span<const ledger::Transaction> txs, std::span<const bool> signature_checked) override;
  rpc::NodeResult<rpc::BlockSubmitResult> submit_block(const ledger::Block& block) override;

 private:
  CoreRunner runner_;
};

// The three views over one runner, as a NodeApi hands them out.
struct CoreViews {
  explicit CoreViews(const CoreRunner& runner) : chain(runner), mempool(runner), network(runner) {}
  CoreChainView chain;
  CoreMempoolView mempool;
  CoreNetworkControl network;
};

}  // namespace tally::node
