// Chain methods: blockchain info, blocks, headers, tips, accounts and state commitments.
#include <algorithm>

#include "crypto/hex.h"
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxHeight = std::numeric_limits<std::uint32_t>::max();

json::value getblockchaininfo(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const ChainInfo info = value_of(node.chain().info());
  const ledger::ChainSpec& spec = node.spec();
  const BlockSummary& tip = info.tip;
  json::object o;
  o["chain"] = spec.name;
  o["chain_id"] = spec.chain_id;
  o["blocks"] = tip.header.height;
  o["headers"] = info.best_header_height;
  o["bestblockhash"] = crypto::to_hex(tip.hash);
  o["bits"] = bits_hex(tip.header.bits);
  o["difficulty"] = difficulty(tip.header.bits, spec);
  o["time"] = tip.header.time;
  o["mediantime"] = tip.median_time;
  o["chainwork"] = tip.chain_work_hex;
  o["stateroot"] = crypto::to_hex(tip.header.state_root);
  o["initialblockdownload"] = info.best_header_height > tip.header.height;
  o["known_blocks"] = info.known_blocks;
  o["orphan_blocks"] = info.orphan_blocks;
  o["genesis"] = crypto::to_hex(info.genesis);
  o["txindex"] = info.tx_index;
  o["addressindex"] = info.address_index;
  return o;
}

json::value getblockcount(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  if (auto tip = node.tip()) return tip->height;
  return value_of(node.chain().info()).tip.header.height;
}

json::value getbestblockhash(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  if (auto tip = node.tip()) return json::value(crypto::to_hex(tip->hash));
  return json::value(crypto::to_hex(value_of(node.chain().info()).tip.hash));
}

// The active-chain block at a height; -8 "Block height out of range" above the tip.
BlockSummary block_at(RequestContext& ctx, std::uint32_t height) {
  auto block = value_of(node_of(ctx).chain().header_at(height));
  if (!block) throw RpcError(kInvalidParameter, "Block height out of range");
  return std::move(*block);
}

json::value getblockhash(const Params& params, RequestContext& ctx) {
  const auto height = static_cast<std::uint32_t>(params.get_int(0, "height", 0, kMaxHeight));
  return json::value(crypto::to_hex(block_at(ctx, height).hash));
}

// getblock's verbosity: 0, 1, 2, or a bool (false = 0, true = 1) as Bitcoin Core accepts.
int verbosity_param(const Params& params, std::size_t i) {
  const json::value* v = params.get(i, "verbosity");
  if (v == nullptr) return 1;
  if (v->is_bool()) return v->get_bool() ? 1 : 0;
  return static_cast<int>(params.get_int(i, "verbosity", 0, 2));
}

json::value getblock(const Params& params, RequestContext& ctx) {
  const auto hash = parse_hash(params.get_string(0, "blockhash"), "blockhash");
  const int verbosity = verbosity_param(params, 1);
  auto found = value_of(node_of(ctx).chain().block(hash));
  if (!found) throw RpcError(kInvalidAddressOrKey, "Block not found");
  if (!found->block) throw RpcError(kMiscError, "Block not available (header only)");
  if (verbosity == 0) return json::value(crypto::to_hex(found->block->encode()));
  return block_json(found->summary, *found->block, verbosity, node_of(ctx).spec());
}

json::value getblockheader(const Params& params, RequestContext& ctx) {
  const auto hash = parse_hash(params.get_string(0, "blockhash"), "blockhash");
  const bool verbose = params.get_opt_bool(1, "verbose").value_or(true);
  const BlockSummary s = found_block(value_of(node_of(ctx).chain().header(hash)));
  if (!verbose) {
    const auto bytes = s.header.encode();
    return json::value(crypto::to_hex(crypto::ByteSpan(bytes.data(), bytes.size())));
  }
  return header_json(s, node_of(ctx).spec());
}

json::value getchaintips(const Params&, RequestContext& ctx) {
  std::vector<ChainTip> tips = value_of(node_of(ctx).chain().tips());
  std::sort(tips.begin(), tips.end(), [](const ChainTip& a, const ChainTip& b) {
    if (a.height != b.height) return a.height > b.height;
    return a.hash < b.hash;
  });
  json::array out;
  for (const ChainTip& tip : tips) {
    json::object o;
    o["height"] = tip.height;
    o["hash"] = crypto::to_hex(tip.hash);
    o["branchlen"] = tip.branch_length;
    o["status"] = tip.status;
    out.emplace_back(std::move(o));
  }
  return out;
}

json::value getaccount(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const std::string text(params.get_string(0, "address"));
  const crypto::Address address = parse_address(text, node.spec());
  const AccountState account = value_of(node.chain().account(address));
  json::object o;
  o["address"] = encode_address(address, node.spec());
  o["balance"] = account.balance;
  o["nonce"] = account.nonce;
  o["pending_nonce"] = account.pending_nonce;
  o["height"] = account.height;
  return o;
}

json::value getstatehash(const Params& params, RequestContext& ctx) {
  const auto height = params.get_opt_int(0, "height", 0, kMaxHeight);
  const BlockSummary block =
      height ? block_at(ctx, static_cast<std::uint32_t>(*height)) : value_of(node_of(ctx).chain().info()).tip;
  json::object o;
  o["height"] = block.header.height;
  o["blockhash"] = crypto::to_hex(block.hash);
  o["stateroot"] = crypto::to_hex(block.header.state_root);
  return o;
}

// getblockstats' block: a hash (string) or an active-chain height (integer), as Bitcoin Core.
StoredBlock stats_block(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const json::value* v = params.get(0, "hash_or_height");
  ledger::BlockHash hash;
  if (v != nullptr && v->is_string()) {
    hash = parse_hash(params.get_string(0, "hash_or_height"), "hash_or_height");
  } else {
    const std::int64_t height = params.get_int(0, "hash_or_height", std::numeric_limits<std::int64_t>::min(),
                                               std::numeric_limits<std::int64_t>::max());
    if (height < 0) throw RpcError(kInvalidParameter, "Target block height " + std::to_string(height) + " is negative");
    const std::uint32_t tip = value_of(node.chain().info()).tip.header.height;
    if (height > tip)
      throw RpcError(kInvalidParameter,
                     "Target block height " + std::to_string(height) + " after current tip " + std::to_string(tip));
    hash = block_at(ctx, static_cast<std::uint32_t>(height)).hash;
  }
  auto found = value_of(node.chain().block(hash));
  if (!found) throw RpcError(kInvalidAddressOrKey, "Block not found");
  if (!found->block) throw RpcError(kMiscError, "Block not available (header only)");
  return std::move(*found);
}

// The statistics of getblockstats, in name order. Fee and size figures are over the block's
// transfers (the coinbase left out), as Bitcoin Core's; `txs` counts the coinbase too.
json::object block_stats(const StoredBlock& found, const ledger::ChainSpec& spec) {
  const ledger::Block& block = *found.block;
  std::vector<std::uint64_t> fees;
  std::uint64_t total_fee = 0;
  std::uint64_t total_out = 0;
  for (std::size_t i = 1; i < block.txs.size(); ++i) {
    fees.push_back(block.txs[i].fee);
    total_fee += block.txs[i].fee;
    total_out += block.txs[i].amount;
  }
  std::sort(fees.begin(), fees.end());
  const std::size_t n = fees.size();
  const std::uint64_t tx_size = n == 0 ? 0 : ledger::Transaction::kSize;  // every transaction is 144 bytes
  // Bitcoin Core's median: the middle one, or the mean of the two middle ones.
  const std::uint64_t median_fee = n == 0 ? 0 : (n % 2 == 1 ? fees[n / 2] : (fees[n / 2 - 1] + fees[n / 2]) / 2);
  json::object o;
  o["avgfee"] = n == 0 ? 0 : total_fee / n;
  o["avgtxsize"] = tx_size;
  o["blockhash"] = crypto::to_hex(found.summary.hash);
  o["height"] = found.summary.header.height;
  o["maxfee"] = n == 0 ? 0 : fees.back();
  o["maxtxsize"] = tx_size;
  o["medianfee"] = median_fee;
  o["mediantime"] = found.summary.median_time;
  o["mediantxsize"] = tx_size;
  o["minfee"] = n == 0 ? 0 : fees.front();
  o["mintxsize"] = tx_size;
  o["subsidy"] = spec.subsidy;
  o["time"] = found.summary.header.time;
  o["total_out"] = total_out;
  o["total_size"] = n * ledger::Transaction::kSize;
  o["totalfee"] = total_fee;
  o["txs"] = block.txs.size();
  return o;
}

json::value getblockstats(const Params& params, RequestContext& ctx) {
  // The filter is read first, so a bad one is reported whatever the block.
  std::vector<std::string> wanted;
  if (params.has(1, "stats")) {
    const json::array& stats = params.get_array(1, "stats");
    for (std::size_t i = 0; i < stats.size(); ++i) {
      if (!stats[i].is_string()) throw RpcError(kInvalidParams, "stats[" + std::to_string(i) + "] must be a string");
      wanted.emplace_back(stats[i].get_string());
    }
  }
  const StoredBlock found = stats_block(params, ctx);
  json::object all = block_stats(found, node_of(ctx).spec());
  if (wanted.empty()) return all;
  json::object out;
  for (const std::string& name : wanted) {
    auto it = all.find(name);
    if (it == all.end()) throw RpcError(kInvalidParameter, "Invalid selected statistic '" + name + "'");
    out[name] = it->value();
  }
  return out;
}

}  // namespace

void add_chain_methods(MethodTable& t) {
  t.add({"getblockchaininfo", "chain", {}, "State of the active chain: height, best hash, work, state root.",
         getblockchaininfo});
  t.add({"getblockcount", "chain", {}, "Height of the active chain's tip.", getblockcount});
  t.add({"getbestblockhash", "chain", {}, "Hash of the active chain's tip.", getbestblockhash});
  t.add({"getblockhash", "chain", {{"height"}}, "Hash of the active-chain block at a height.", getblockhash});
  t.add({"getblock", "chain", {{"blockhash"}, {"verbosity", false}},
         "A block: 0 = hex, 1 = JSON with txids (default), 2 = JSON with transactions.", getblock});
  t.add({"getblockheader", "chain", {{"blockhash"}, {"verbose", false}},
         "A block header as JSON (default) or hex (verbose=false).", getblockheader});
  t.add({"getchaintips", "chain", {}, "Every branch tip of the block tree with its status and branch length.",
         getchaintips});
  t.add({"getaccount", "chain", {{"address"}}, "Balance, nonce and pending nonce of an address.", getaccount});
  t.add({"getblockstats", "chain", {{"hash_or_height"}, {"stats", false}},
         "Fee, size and time statistics of a block (by hash or height), optionally only the named ones.",
         getblockstats});
  t.add({"getstatehash", "chain", {{"height", false}},
         "State commitment after the active-chain block at a height (default: the tip).", getstatehash});
}

}  // namespace tally::rpc
