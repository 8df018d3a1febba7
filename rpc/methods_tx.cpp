// Transaction and mempool methods: look-ups, submission, acceptance tests, pool contents,
// address history.
#include <algorithm>

#include "crypto/hex.h"
#include "ledger/tx_rules.h"
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

// testmempoolaccept copies the mempool and accepts into the copy (exact, including chains
// of transactions of one sender) while the pool holds at most this many transactions; a
// larger copy would hold the core thread too long, so it then checks each transaction on
// its own against the tip state and the pending nonce (see docs/RPC.md).
constexpr std::size_t kExactTestMaxPool = 20'000;
constexpr std::size_t kMaxTestTxs = 100;

ledger::Transaction decode_tx(std::string_view hex) {
  const crypto::Bytes bytes = parse_hex(hex, "TX");
  auto tx = ledger::Transaction::decode(crypto::ByteSpan(bytes));
  if (!tx) throw RpcError(kDeserializationError, std::string("TX decode failed: ") + ledger::to_string(tx.error()));
  return *tx;
}

// The active-chain block holding txid, if the transaction index knows it.
const ledger::BlockEntry* confirmed_in(const ledger::Chain& chain, const ledger::TxId& txid) {
  auto loc = chain.find_transaction(txid);
  if (!loc) throw_chain_error(loc.error());
  if (!*loc) return nullptr;
  const ledger::BlockEntry* e = chain.find((*loc)->block);
  return (e != nullptr && e->in_active_chain) ? e : nullptr;
}

json::value getrawtransaction(const Params& params, RequestContext& ctx) {
  const auto txid = parse_hash(params.get_string(0, "txid"), "txid");
  const bool verbose = params.get_opt_bool(1, "verbose").value_or(false);
  std::optional<ledger::BlockHash> in_block;
  if (auto b = params.get_opt_string(2, "blockhash")) in_block = parse_hash(*b, "blockhash");

  struct Found {
    ledger::Transaction tx;
    std::optional<BlockSummary> block;
  };
  Found found = on_core(ctx, [&](CoreRefs& core) {
    const ledger::Chain& chain = core.chain;
    auto from_block = [&](const ledger::BlockEntry& e, std::optional<std::uint32_t> position) -> std::optional<Found> {
      ledger::Block block = read_block(chain, e);
      for (std::size_t i = 0; i < block.txs.size(); ++i) {
        if (position && i != *position) continue;
        if (block.txs[i].txid() == txid) return Found{block.txs[i], summarize(chain, e)};
      }
      return std::nullopt;
    };
    if (in_block) {
      if (auto f = from_block(find_block(chain, *in_block), std::nullopt)) return *f;
      throw RpcError(kInvalidAddressOrKey, "No such transaction found in the provided block");
    }
    if (auto tx = core.mempool.get(txid)) return Found{*tx, std::nullopt};
    if (!chain.options().tx_index)
      throw RpcError(kInvalidAddressOrKey,
                     "No such mempool transaction. The transaction index is disabled; pass the blockhash");
    auto loc = chain.find_transaction(txid);
    if (!loc) throw_chain_error(loc.error());
    if (*loc) {
      if (const ledger::BlockEntry* e = chain.find((*loc)->block))
        if (auto f = from_block(*e, (*loc)->position)) return *f;
    }
    throw RpcError(kInvalidAddressOrKey, "No such mempool or blockchain transaction");
  });

  const std::string hex = crypto::to_hex(found.tx.encode());
  if (!verbose) return json::value(hex);
  json::object o = tx_json(found.tx, node_of(ctx).spec());
  o["hex"] = hex;
  o["in_mempool"] = !found.block.has_value();
  if (found.block) {
    o["blockhash"] = crypto::to_hex(found.block->hash);
    o["height"] = found.block->header.height;
    o["confirmations"] = std::max<std::int64_t>(found.block->confirmations, 0);
    o["blocktime"] = found.block->header.time;
    o["in_active_chain"] = found.block->confirmations > 0;
  }
  return o;
}

json::value mempool_rejection(const ledger::MempoolError& e) {
  json::object data;
  data["reason"] = e.reason_code();
  return data;
}

json::value sendrawtransaction(const Params& params, RequestContext& ctx) {
  const ledger::Transaction tx = decode_tx(params.get_string(0, "hexstring"));
  // The stateless rules, signature included, are checked here on the RPC worker: signature
  // checks of concurrent requests then run in parallel and the core thread, which every
  // request goes through, does only the stateful part.
  const auto stateless = ledger::check_tx_stateless(tx, node_of(ctx).spec());
  const bool signature_ok = stateless.has_value();
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    const ledger::TxId txid = tx.txid();
    if (confirmed_in(core.chain, txid) != nullptr)
      throw RpcError(kVerifyAlreadyInChain, "Transaction already in block chain");
    // Like Bitcoin Core: submitting a transaction the pool already holds is not an error.
    if (core.mempool.contains(txid)) return json::value(crypto::to_hex(txid));
    // A stateless failure is reported by the mempool itself (same code and message).
    auto r = core.net.submit_transaction(tx, core.now_ms, /*signature_checked=*/signature_ok);
    if (!r) {
      const auto& e = r.error();
      throw RpcError(kVerifyRejected, std::string(e.reason_code()) + ": " + e.message(), mempool_rejection(e));
    }
    return json::value(crypto::to_hex(txid));
  });
}

// One transaction checked against the tip state and the pending nonce only (large pools).
std::expected<ledger::TxQueue, std::string> approximate_accept(const ledger::Transaction& tx, CoreRefs& core) {
  const ledger::Chain& chain = core.chain;
  if (core.mempool.contains(tx.txid())) return std::unexpected(std::string("already-known"));
  if (auto ok = ledger::check_tx_stateless(tx, chain.spec()); !ok) return std::unexpected(ledger::reason_code(ok.error()));
  const crypto::Address sender = crypto::address_of(tx.sender);
  auto account = chain.account(sender);
  if (!account) throw_chain_error(account.error());
  if (tx.nonce < account->nonce) return std::unexpected(std::string("stale-nonce"));
  const std::uint64_t pending = core.mempool.pending_nonce(sender, chain.state());
  if (tx.nonce > pending) return ledger::TxQueue::kFuture;
  ledger::Account as_if_next = *account;
  as_if_next.nonce = tx.nonce;  // pooled predecessors are assumed to be funded
  if (auto ok = ledger::check_tx_against_sender(tx, as_if_next); !ok) return std::unexpected(ledger::reason_code(ok.error()));
  return ledger::TxQueue::kReady;
}

json::value testmempoolaccept(const Params& params, RequestContext& ctx) {
  const json::array& raw = params.get_array(0, "rawtxs");
  if (raw.empty() || raw.size() > kMaxTestTxs)
    throw RpcError(kInvalidParameter, "rawtxs must hold 1 to " + std::to_string(kMaxTestTxs) + " transactions");
  std::vector<ledger::Transaction> txs;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (!raw[i].is_string()) throw RpcError(kInvalidParams, "rawtxs[" + std::to_string(i) + "] must be a string");
    const auto& s = raw[i].get_string();
    txs.push_back(decode_tx(std::string_view(s.data(), s.size())));
  }
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    const bool exact = core.mempool.size() <= kExactTestMaxPool;
    std::optional<ledger::Mempool> scratch;
    if (exact) scratch.emplace(core.mempool);
    json::array out;
    for (const auto& tx : txs) {
      json::object o;
      o["txid"] = crypto::to_hex(tx.txid());
      std::expected<ledger::TxQueue, std::string> verdict;
      if (confirmed_in(core.chain, tx.txid()) != nullptr) {
        verdict = std::unexpected(std::string("already-in-chain"));
      } else if (exact) {
        auto r = scratch->accept(tx, core.chain.state(), core.now_ms);
        if (r) verdict = r->queue;
        else verdict = std::unexpected(std::string(r.error().reason_code()));
      } else {
        verdict = approximate_accept(tx, core);
        o["approximate"] = true;
      }
      o["allowed"] = verdict.has_value();
      if (verdict) {
        o["queue"] = *verdict == ledger::TxQueue::kReady ? "ready" : "future";
        o["fee"] = tx.fee;
      } else {
        o["reject-reason"] = verdict.error();
      }
      out.emplace_back(std::move(o));
    }
    return out;
  });
}

json::value getmempoolinfo(const Params&, RequestContext& ctx) {
  return on_core(ctx, [](CoreRefs& core) -> json::value {
    const ledger::Mempool& pool = core.mempool;
    json::object o;
    o["size"] = pool.size();
    o["bytes"] = pool.bytes();
    o["ready"] = pool.ready_count();
    o["future"] = pool.future_count();
    o["maxbytes"] = pool.options().max_bytes;
    o["minfee"] = core.chain.spec().min_fee;
    o["expiry_s"] = pool.options().expiry_ms / 1000;
    o["min_rbf_fee_bump"] = pool.options().min_rbf_fee_bump;
    return o;
  });
}

json::value getrawmempool(const Params& params, RequestContext& ctx) {
  const bool verbose = params.get_opt_bool(0, "verbose").value_or(false);
  auto infos = on_core(ctx, [&](CoreRefs& core) {
    std::vector<std::pair<ledger::TxId, std::optional<ledger::MempoolTxInfo>>> out;
    for (const auto& txid : core.mempool.all_txids())
      out.emplace_back(txid, verbose ? core.mempool.info(txid) : std::nullopt);
    return out;
  });
  std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (!verbose) {
    json::array out;
    out.reserve(infos.size());
    for (const auto& [txid, info] : infos) out.emplace_back(crypto::to_hex(txid));
    return out;
  }
  const ledger::ChainSpec& spec = node_of(ctx).spec();
  json::object out;
  out.reserve(infos.size());
  for (const auto& [txid, info] : infos) {
    if (!info) continue;
    json::object o;
    o["from"] = encode_address(info->sender, spec);
    o["to"] = encode_address(info->tx.recipient, spec);
    o["amount"] = info->tx.amount;
    o["fee"] = info->tx.fee;
    o["nonce"] = info->tx.nonce;
    o["time"] = info->added_ms / 1000;
    o["queue"] = info->queue == ledger::TxQueue::kReady ? "ready" : "future";
    out[crypto::to_hex(txid)] = std::move(o);
  }
  return out;
}

json::value getaddresshistory(const Params& params, RequestContext& ctx) {
  const crypto::Address address = parse_address(params.get_string(0, "address"), node_of(ctx).spec());
  const auto from = static_cast<std::uint32_t>(
      params.get_opt_int(1, "from_height", 0, std::numeric_limits<std::uint32_t>::max()).value_or(0));
  const auto limit = static_cast<std::size_t>(params.get_opt_int(2, "limit", 1, 1000).value_or(100));
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    const ledger::Chain& chain = core.chain;
    if (!chain.options().address_index)
      throw RpcError(kMiscError, "address index disabled (this node was started without it)");
    auto history = chain.address_history(address, from, limit);
    if (!history) throw_chain_error(history.error());
    json::array out;
    for (const auto& txid : *history) {
      json::object o;
      o["txid"] = crypto::to_hex(txid);
      if (chain.options().tx_index) {
        auto loc = chain.find_transaction(txid);
        if (!loc) throw_chain_error(loc.error());
        if (*loc) {
          o["blockhash"] = crypto::to_hex((*loc)->block);
          o["position"] = (*loc)->position;
          if (const auto* e = chain.find((*loc)->block)) o["height"] = e->height();
        }
      }
      out.emplace_back(std::move(o));
    }
    return out;
  });
}

}  // namespace

void add_tx_methods(MethodTable& t) {
  t.add({"getrawtransaction", "mempool", {{"txid"}, {"verbose", false}, {"blockhash", false}},
         "A transaction from the mempool, the transaction index or a given block, as hex or JSON.",
         getrawtransaction});
  t.add({"sendrawtransaction", "mempool", {{"hexstring"}},
         "Validates a signed transaction (hex), adds it to the mempool and relays it; returns the txid.",
         sendrawtransaction});
  t.add({"testmempoolaccept", "mempool", {{"rawtxs"}},
         "Whether the mempool would accept these transactions (in order), without adding them.", testmempoolaccept});
  t.add({"getmempoolinfo", "mempool", {}, "Mempool size, bytes, limits and fee settings.", getmempoolinfo});
  t.add({"getrawmempool", "mempool", {{"verbose", false}},
         "Txids in the mempool, or (verbose) an object of their details by txid.", getrawmempool});
  t.add({"getaddresshistory", "mempool", {{"address"}, {"from_height", false}, {"limit", false}},
         "Confirmed transactions touching an address, oldest first (needs the address index).",
         getaddresshistory});
}

}  // namespace tally::rpc
