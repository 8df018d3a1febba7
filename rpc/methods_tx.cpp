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

json::value sendrawtransaction(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const ledger::Transaction tx = decode_tx(params.get_string(0, "hexstring"));
  // The stateless rules, signature included, are checked here on the RPC worker: signature
  // checks of concurrent requests then run in parallel and the core thread, which every
  // request goes through, does only the stateful part.
  const auto stateless = ledger::check_tx_stateless(tx, node.spec());
  const bool signature_ok = stateless.has_value();
  // A stateless failure is reported by the mempool itself (same code and message).
  const TxSubmitResult r = value_of(node.network().submit_transaction(tx, /*signature_checked=*/signature_ok));
  switch (r.status) {
    case TxSubmitResult::Status::kAlreadyInChain:
      throw RpcError(kVerifyAlreadyInChain, "Transaction already in block chain");
    case TxSubmitResult::Status::kRejected: {
      json::object data;
      data["reason"] = r.reject_code;
      throw RpcError(kVerifyRejected, r.reject_code + ": " + r.reject_message, std::move(data));
    }
    case TxSubmitResult::Status::kAlreadyInMempool:  // like Bitcoin Core: not an error
    case TxSubmitResult::Status::kAccepted:
      break;
  }
  return json::value(crypto::to_hex(tx.txid()));
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
