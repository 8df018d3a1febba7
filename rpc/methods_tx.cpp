// Transaction and mempool methods: look-ups, submission, acceptance tests, pool contents,
// address history.
#include <algorithm>
#include <memory>
#include <span>

#include "crypto/hex.h"
#include "ledger/tx_rules.h"
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxTestTxs = 100;

ledger::Transaction decode_tx(std::string_view hex) {
  const crypto::Bytes bytes = parse_hex(hex, "TX");
  auto tx = ledger::Transaction::decode(crypto::ByteSpan(bytes));
  if (!tx) throw RpcError(kDeserializationError, std::string("TX decode failed: ") + ledger::to_string(tx.error()));
  return *tx;
}

// The transaction of a lookup, or the RPC error that explains why there is none.
void check_found(const TxLookup& found, bool in_given_block) {
  switch (found.status) {
    case TxLookup::Status::kFound:
      return;
    case TxLookup::Status::kBlockNotFound:
      throw RpcError(kInvalidAddressOrKey, "Block not found");
    case TxLookup::Status::kHeaderOnly:
      throw RpcError(kMiscError, "Block not available (header only)");
    case TxLookup::Status::kNoTxIndex:
      throw RpcError(kInvalidAddressOrKey,
                     "No such mempool transaction. The transaction index is disabled; pass the blockhash");
    case TxLookup::Status::kNotFound:
      break;
  }
  if (in_given_block) throw RpcError(kInvalidAddressOrKey, "No such transaction found in the provided block");
  throw RpcError(kInvalidAddressOrKey, "No such mempool or blockchain transaction");
}

json::value getrawtransaction(const Params& params, RequestContext& ctx) {
  const auto txid = parse_hash(params.get_string(0, "txid"), "txid");
  const bool verbose = params.get_opt_bool(1, "verbose").value_or(false);
  std::optional<ledger::BlockHash> in_block;
  if (auto b = params.get_opt_string(2, "blockhash")) in_block = parse_hash(*b, "blockhash");

  const TxLookup found = value_of(node_of(ctx).chain().transaction(txid, in_block));
  check_found(found, in_block.has_value());
  const std::string hex = crypto::to_hex(found.tx->encode());
  if (!verbose) return json::value(hex);
  json::object o = tx_json(*found.tx, node_of(ctx).spec());
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

// sendrawtransaction for a run of calls (one call is a run of one). The stateless rules,
// signature included, are checked here, off the core thread: the signatures of a run are
// checked in parallel on the node's verification threads, this RPC thread joining in, and
// the signatures of concurrent requests on their own RPC threads. Then one trip to the core
// submits every decoded transaction in the order of the calls, and the core does only the
// stateful part. A stateless failure is reported by the mempool itself (same code and
// message as for a peer's transaction).
std::vector<CallOutcome> sendrawtransactions(std::span<const Params> calls, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  std::vector<CallOutcome> out(calls.size(), CallOutcome(json::value()));
  std::vector<ledger::Transaction> txs;
  std::vector<std::size_t> positions;  // of txs[k] among the calls
  txs.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    try {
      txs.push_back(decode_tx(calls[i].get_string(0, "hexstring")));
      positions.push_back(i);
    } catch (const RpcError& e) {
      out[i] = std::unexpected(e);
    }
  }
  if (txs.empty()) return out;

  // Chunks of 8: enough to share a run of 100 out over the threads, few enough tasks.
  constexpr std::size_t kChunk = 8;
  std::unique_ptr<bool[]> checked(new bool[txs.size()]);
  {
    ledger::TaskGroup group(node.verify_executor());
    group.run((txs.size() + kChunk - 1) / kChunk, [&](std::size_t chunk) {
      const std::size_t end = std::min(txs.size(), (chunk + 1) * kChunk);
      for (std::size_t k = chunk * kChunk; k < end; ++k)
        checked[k] = ledger::check_tx_stateless(txs[k], node.spec()).has_value();
    });
    group.wait();
  }

  const std::vector<TxSubmitResult> results =
      value_of(node.network().submit_transactions(txs, std::span<const bool>(checked.get(), txs.size())));
  for (std::size_t k = 0; k < txs.size(); ++k) {
    const TxSubmitResult& r = results[k];
    CallOutcome& o = out[positions[k]];
    switch (r.status) {
      case TxSubmitResult::Status::kAlreadyInChain:
        o = std::unexpected(RpcError(kVerifyAlreadyInChain, "Transaction already in block chain"));
        break;
      case TxSubmitResult::Status::kRejected: {
        json::object data;
        data["reason"] = r.reject_code;
        o = std::unexpected(RpcError(kVerifyRejected, r.reject_code + ": " + r.reject_message, std::move(data)));
        break;
      }
      case TxSubmitResult::Status::kAlreadyInMempool:  // like Bitcoin Core: not an error
      case TxSubmitResult::Status::kAccepted:
        o = json::value(crypto::to_hex(txs[k].txid()));
        break;
    }
  }
  return out;
}

json::value sendrawtransaction(const Params& params, RequestContext& ctx) {
  std::vector<CallOutcome> out = sendrawtransactions(std::span<const Params>(&params, 1), ctx);
  if (!out.front()) throw out.front().error();
  return std::move(*out.front());
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
  const std::vector<AcceptVerdict> verdicts = value_of(node_of(ctx).mempool().test_accept(txs));
  json::array out;
  for (std::size_t i = 0; i < txs.size() && i < verdicts.size(); ++i) {
    const AcceptVerdict& v = verdicts[i];
    json::object o;
    o["txid"] = crypto::to_hex(txs[i].txid());
    if (v.approximate) o["approximate"] = true;
    o["allowed"] = v.allowed;
    if (v.allowed) {
      o["queue"] = v.ready ? "ready" : "future";
      o["fee"] = txs[i].fee;
    } else {
      o["reject-reason"] = v.reject_reason;
    }
    out.emplace_back(std::move(o));
  }
  return out;
}

json::value getmempoolinfo(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const MempoolInfo pool = value_of(node.mempool().info());
  json::object o;
  o["size"] = pool.size;
  o["bytes"] = pool.bytes;
  o["ready"] = pool.ready;
  o["future"] = pool.future;
  o["maxbytes"] = pool.max_bytes;
  o["minfee"] = node.spec().min_fee;
  o["expiry_s"] = pool.expiry_ms / 1000;
  o["min_rbf_fee_bump"] = pool.min_rbf_fee_bump;
  return o;
}

json::value getrawmempool(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const bool verbose = params.get_opt_bool(0, "verbose").value_or(false);
  if (!verbose) {
    std::vector<ledger::TxId> txids = value_of(node.mempool().txids());
    std::sort(txids.begin(), txids.end());
    json::array out;
    out.reserve(txids.size());
    for (const auto& txid : txids) out.emplace_back(crypto::to_hex(txid));
    return out;
  }
  std::vector<MempoolEntry> entries = value_of(node.mempool().entries());
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.txid < b.txid; });
  const ledger::ChainSpec& spec = node.spec();
  json::object out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    json::object o;
    o["from"] = encode_address(e.sender, spec);
    o["to"] = encode_address(e.tx.recipient, spec);
    o["amount"] = e.tx.amount;
    o["fee"] = e.tx.fee;
    o["nonce"] = e.tx.nonce;
    o["time"] = e.added_ms / 1000;
    o["queue"] = e.ready ? "ready" : "future";
    out[crypto::to_hex(e.txid)] = std::move(o);
  }
  return out;
}

json::value getmempoolentry(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const auto txid = parse_hash(params.get_string(0, "txid"), "txid");
  const auto found = value_of(node.mempool().entry(txid));
  if (!found) throw RpcError(kInvalidAddressOrKey, "Transaction not in mempool");
  const MempoolEntry& e = found->entry;
  json::object o;
  o["txid"] = crypto::to_hex(e.txid);
  o["from"] = encode_address(e.sender, node.spec());
  o["to"] = encode_address(e.tx.recipient, node.spec());
  o["amount"] = e.tx.amount;
  o["fee"] = e.tx.fee;
  o["nonce"] = e.tx.nonce;
  o["size"] = ledger::Transaction::kSize;
  o["time"] = e.added_ms / 1000;
  o["queue"] = e.ready ? "ready" : "future";
  o["ancestorcount"] = found->ancestor_count;
  o["ancestorsize"] = found->ancestor_count * ledger::Transaction::kSize;
  o["ancestorfees"] = found->ancestor_fees;
  o["descendantcount"] = found->descendant_count;
  o["descendantsize"] = found->descendant_count * ledger::Transaction::kSize;
  o["descendantfees"] = found->descendant_fees;
  return o;
}

// The transaction's JSON without looking it up: no block fields, nothing about the pool.
json::value decoderawtransaction(const Params& params, RequestContext& ctx) {
  const ledger::Transaction tx = decode_tx(params.get_string(0, "hexstring"));
  return tx_json(tx, node_of(ctx).spec());
}

json::value getaddresshistory(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const crypto::Address address = parse_address(params.get_string(0, "address"), node.spec());
  const auto from = static_cast<std::uint32_t>(
      params.get_opt_int(1, "from_height", 0, std::numeric_limits<std::uint32_t>::max()).value_or(0));
  const auto limit = static_cast<std::size_t>(params.get_opt_int(2, "limit", 1, 1000).value_or(100));
  const auto history = value_of(node.chain().address_history(address, from, limit));
  if (!history) throw RpcError(kMiscError, "address index disabled (this node was started without it)");
  json::array out;
  for (const AddressTx& t : *history) {
    json::object o;
    o["txid"] = crypto::to_hex(t.txid);
    if (t.block) {
      o["blockhash"] = crypto::to_hex(*t.block);
      o["position"] = t.position;
      if (t.height) o["height"] = *t.height;
    }
    out.emplace_back(std::move(o));
  }
  return out;
}

}  // namespace

void add_tx_methods(MethodTable& t) {
  t.add({"getrawtransaction", "mempool", {{"txid"}, {"verbose", false}, {"blockhash", false}},
         "A transaction from the mempool, the transaction index or a given block, as hex or JSON.",
         getrawtransaction});
  t.add({"sendrawtransaction", "mempool", {{"hexstring"}},
         "Validates a signed transaction (hex), adds it to the mempool and relays it; returns the txid.",
         sendrawtransaction, sendrawtransactions});
  t.add({"testmempoolaccept", "mempool", {{"rawtxs"}},
         "Whether the mempool would accept these transactions (in order), without adding them.", testmempoolaccept});
  t.add({"getmempoolinfo", "mempool", {}, "Mempool size, bytes, limits and fee settings.", getmempoolinfo});
  t.add({"getrawmempool", "mempool", {{"verbose", false}},
         "Txids in the mempool, or (verbose) an object of their details by txid.", getrawmempool});
  t.add({"getmempoolentry", "mempool", {{"txid"}},
         "A pooled transaction with its fee, size, time, queue and its sender's pooled ancestors and descendants.",
         getmempoolentry});
  t.add({"decoderawtransaction", "mempool", {{"hexstring"}},
         "The JSON of a transaction given as hex (not looked up).", decoderawtransaction});
  t.add({"getaddresshistory", "mempool", {{"address"}, {"from_height", false}, {"limit", false}},
         "Confirmed transactions touching an address, oldest first (needs the address index).",
         getaddresshistory});
}

}  // namespace tally::rpc
