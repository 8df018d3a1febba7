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
  return on_core(ctx, [](CoreRefs& core) -> json::value {
    const ledger::Chain& chain = core.chain;
    const ledger::BlockEntry& tip = chain.tip();
    json::object o;
    o["chain"] = chain.spec().name;
    o["chain_id"] = chain.spec().chain_id;
    o["blocks"] = tip.height();
    o["headers"] = chain.best_header().height();
    o["bestblockhash"] = crypto::to_hex(tip.hash);
    o["bits"] = bits_hex(tip.header.bits);
    o["difficulty"] = difficulty(tip.header.bits, chain.spec());
    o["time"] = tip.header.time;
    o["mediantime"] = ledger::Chain::median_time_past(tip);
    o["chainwork"] = hex_u256(tip.chain_work);
    o["stateroot"] = crypto::to_hex(tip.header.state_root);
    o["initialblockdownload"] = chain.best_header().height() > tip.height();
    o["known_blocks"] = chain.block_count();
    o["orphan_blocks"] = chain.orphan_count();
    o["genesis"] = crypto::to_hex(chain.genesis().hash);
    o["txindex"] = chain.options().tx_index;
    o["addressindex"] = chain.options().address_index;
    return o;
  });
}

json::value getblockcount(const Params&, RequestContext& ctx) {
  if (auto tip = node_of(ctx).tip()) return tip->height;
  return on_core(ctx, [](CoreRefs& core) -> json::value { return core.chain.height(); });
}

json::value getbestblockhash(const Params&, RequestContext& ctx) {
  if (auto tip = node_of(ctx).tip()) return json::value(crypto::to_hex(tip->hash));
  return on_core(ctx, [](CoreRefs& core) -> json::value { return json::value(crypto::to_hex(core.chain.tip().hash)); });
}

json::value getblockhash(const Params& params, RequestContext& ctx) {
  const auto height = static_cast<std::uint32_t>(params.get_int(0, "height", 0, kMaxHeight));
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    const ledger::BlockEntry* e = core.chain.at_height(height);
    if (e == nullptr) throw RpcError(kInvalidParameter, "Block height out of range");
    return json::value(crypto::to_hex(e->hash));
  });
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
  struct Found {
    BlockSummary summary;
    ledger::Block block;
  };
  Found found = on_core(ctx, [&](CoreRefs& core) {
    const ledger::BlockEntry& e = find_block(core.chain, hash);
    return Found{summarize(core.chain, e), read_block(core.chain, e)};
  });
  // Formatting happens here, off the core thread.
  if (verbosity == 0) return json::value(crypto::to_hex(found.block.encode()));
  return block_json(found.summary, found.block, verbosity, node_of(ctx).spec());
}

json::value getblockheader(const Params& params, RequestContext& ctx) {
  const auto hash = parse_hash(params.get_string(0, "blockhash"), "blockhash");
  const bool verbose = params.get_opt_bool(1, "verbose").value_or(true);
  const BlockSummary s = on_core(ctx, [&](CoreRefs& core) { return summarize(core.chain, find_block(core.chain, hash)); });
  if (!verbose) {
    const auto bytes = s.header.encode();
    return json::value(crypto::to_hex(crypto::ByteSpan(bytes.data(), bytes.size())));
  }
  return header_json(s, node_of(ctx).spec());
}

json::value getchaintips(const Params&, RequestContext& ctx) {
  return on_core(ctx, [](CoreRefs& core) -> json::value {
    const ledger::Chain& chain = core.chain;
    std::vector<const ledger::BlockEntry*> tips = chain.tips();
    // The active tip is a tip even when it has (headers-only or invalid) children.
    if (std::find(tips.begin(), tips.end(), &chain.tip()) == tips.end()) tips.push_back(&chain.tip());
    std::sort(tips.begin(), tips.end(), [](const ledger::BlockEntry* a, const ledger::BlockEntry* b) {
      if (a->height() != b->height()) return a->height() > b->height();
      return a->hash < b->hash;
    });
    json::array out;
    for (const ledger::BlockEntry* tip : tips) {
      const ledger::BlockEntry* fork = tip;
      while (fork != nullptr && !fork->in_active_chain) fork = fork->parent;
      json::object o;
      o["height"] = tip->height();
      o["hash"] = crypto::to_hex(tip->hash);
      o["branchlen"] = tip->height() - (fork != nullptr ? fork->height() : 0);
      o["status"] = block_status(*tip);
      out.emplace_back(std::move(o));
    }
    return out;
  });
}

json::value getaccount(const Params& params, RequestContext& ctx) {
  const std::string text(params.get_string(0, "address"));
  const crypto::Address address = parse_address(text, node_of(ctx).spec());
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    auto account = core.chain.account(address);
    if (!account) throw_chain_error(account.error());
    json::object o;
    o["address"] = encode_address(address, core.chain.spec());
    o["balance"] = account->balance;
    o["nonce"] = account->nonce;
    o["pending_nonce"] = core.mempool.pending_nonce(address, core.chain.state());
    o["height"] = core.chain.height();
    return o;
  });
}

json::value getstatehash(const Params& params, RequestContext& ctx) {
  const auto height = params.get_opt_int(0, "height", 0, kMaxHeight);
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    const ledger::BlockEntry* e =
        height ? core.chain.at_height(static_cast<std::uint32_t>(*height)) : &core.chain.tip();
    if (e == nullptr) throw RpcError(kInvalidParameter, "Block height out of range");
    json::object o;
    o["height"] = e->height();
    o["blockhash"] = crypto::to_hex(e->hash);
    o["stateroot"] = crypto::to_hex(e->header.state_root);
    return o;
  });
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
  t.add({"getstatehash", "chain", {{"height", false}},
         "State commitment after the active-chain block at a height (default: the tip).", getstatehash});
}

}  // namespace tally::rpc
