// Test-control methods for scripted experiments (Bitcoin Core's names): invalidateblock,
// reconsiderblock, setmocktime, waitfornewblock, waitforblockheight.
//
// The two waits block the RPC worker thread that runs them (never the core thread): they
// poll the node's published tip snapshot every few milliseconds until it changes or reaches
// the height, the timeout passes or the node stops. Each waiting call holds one worker thread
// (tallyd --rpcworkers) for as long as it waits.
#include <chrono>
#include <thread>

#include "crypto/hex.h"
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxWait_ms = 600'000;  // 0 or absent: this long (a worker is held meanwhile)
constexpr auto kPollInterval = std::chrono::milliseconds(5);
constexpr std::int64_t kMaxHeight = std::numeric_limits<std::uint32_t>::max();
// Mock times from 2000-01-01 to 2106-02-07 (header times are 32-bit); 0 turns mock time off.
constexpr std::int64_t kMinMockTime_s = 946'684'800;
constexpr std::int64_t kMaxMockTime_s = std::numeric_limits<std::uint32_t>::max();

ledger::BlockHash block_hash_param(const Params& params) {
  return parse_hash(params.get_string(0, "blockhash"), "blockhash");
}

void check_mark(BlockMarkOutcome outcome) {
  switch (outcome) {
    case BlockMarkOutcome::kDone:
      return;
    case BlockMarkOutcome::kNotFound:
      throw RpcError(kInvalidAddressOrKey, "Block not found");
    case BlockMarkOutcome::kGenesis:
      throw RpcError(kInvalidParameter, "Cannot invalidate the genesis block");
  }
}

json::value invalidateblock(const Params& params, RequestContext& ctx) {
  const auto hash = block_hash_param(params);
  check_mark(value_of(node_of(ctx).chain().invalidate_block(hash)));
  return nullptr;
}

json::value reconsiderblock(const Params& params, RequestContext& ctx) {
  const auto hash = block_hash_param(params);
  check_mark(value_of(node_of(ctx).chain().reconsider_block(hash)));
  return nullptr;
}

// Only chains meant for testing: a mock clock on a real network would let this node accept
// blocks from the future that its peers refuse (docs/DECISIONS.md, "setmocktime").
bool allows_mock_time(const ledger::ChainSpec& spec) {
  return spec.name.find("devnet") != std::string::npos || spec.name.find("test") != std::string::npos;
}

json::value setmocktime(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const std::int64_t t = params.get_int(0, "timestamp", 0, kMaxMockTime_s);
  if (!allows_mock_time(node.spec()))
    throw RpcError(kMiscError, "setmocktime is for devnet and test chains only (chain " + node.spec().name + ")");
  if (t != 0 && t < kMinMockTime_s) throw RpcError(kInvalidParameter, "Mocktime cannot be before 2000-01-01 (0 turns it off)");
  value_of(node.chain().set_mock_time(t == 0 ? std::nullopt : std::optional<std::int64_t>(t)));
  return nullptr;
}

// The timeout parameter (ms): absent or 0 means the longest wait, kMaxWait_ms; longer ones
// are cut to it.
std::chrono::steady_clock::time_point wait_deadline(const Params& params, std::size_t i) {
  std::int64_t ms = params.get_opt_int(i, "timeout", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  if (ms == 0 || ms > kMaxWait_ms) ms = kMaxWait_ms;
  return std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
}

// Polls the tip snapshot until done(tip) holds, the deadline passes or the node stops; the
// last snapshot seen as {"hash", "height"}.
template <class Done>
json::value wait_for_tip(RequestContext& ctx, std::chrono::steady_clock::time_point deadline, Done done) {
  NodeApi& node = node_of(ctx);
  std::shared_ptr<const TipSnapshot> tip = node.tip();
  while ((tip == nullptr || !done(*tip)) && !node.stopping() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
    tip = node.tip();
  }
  if (tip == nullptr) throw RpcError(kClientNotConnected, "Shutting down");
  json::object o;
  o["hash"] = crypto::to_hex(tip->hash);
  o["height"] = tip->height;
  return o;
}

json::value waitfornewblock(const Params& params, RequestContext& ctx) {
  const auto deadline = wait_deadline(params, 0);
  const auto start = node_of(ctx).tip();
  const std::optional<ledger::BlockHash> from = start ? std::optional(start->hash) : std::nullopt;
  return wait_for_tip(ctx, deadline, [&](const TipSnapshot& tip) { return !from || tip.hash != *from; });
}

json::value waitforblockheight(const Params& params, RequestContext& ctx) {
  const auto height = static_cast<std::uint32_t>(params.get_int(0, "height", 0, kMaxHeight));
  const auto deadline = wait_deadline(params, 1);
  return wait_for_tip(ctx, deadline, [&](const TipSnapshot& tip) { return tip.height >= height; });
}

}  // namespace

void add_testing_methods(MethodTable& t) {
  t.add({"invalidateblock", "testing", {{"blockhash"}},
         "Marks a block and its descendants invalid and reorganizes to the best valid chain.", invalidateblock});
  t.add({"reconsiderblock", "testing", {{"blockhash"}},
         "Clears invalidateblock's mark on a block, its descendants and ancestors, and reorganizes.",
         reconsiderblock});
  t.add({"setmocktime", "testing", {{"timestamp"}},
         "Devnet/test chains: the node's clock for block times (templates, header checks); 0 turns it off.",
         setmocktime});
  t.add({"waitfornewblock", "testing", {{"timeout", false}},
         "Waits until the tip changes or timeout ms pass (0: 10 minutes); returns {hash, height}.", waitfornewblock,
         {}, /*waits=*/true});
  t.add({"waitforblockheight", "testing", {{"height"}, {"timeout", false}},
         "Waits until the tip reaches height or timeout ms pass (0: 10 minutes); returns {hash, height}.",
         waitforblockheight, {}, /*waits=*/true});
}

}  // namespace tally::rpc
