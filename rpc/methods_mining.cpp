// Mining methods: mining info, generate, setmining, submitblock.
#include "crypto/hex.h"
#include "ledger/pow.h"
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxGenerate = 1000;
constexpr std::int64_t kMaxMinerThreads = 256;

json::object mining_status_json(const MiningStatus& m) {
  json::object o;
  o["mining"] = m.enabled;
  o["threads"] = m.threads;
  o["miner_address"] = m.miner_address;
  o["hashespersec"] = m.hashes_per_second;
  o["blocks_mined"] = m.blocks_mined;
  return o;
}

json::value getmininginfo(const Params&, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const ChainInfo chain = value_of(node.chain().info());
  const MempoolInfo pool = value_of(node.mempool().info());
  json::object o;
  o["chain"] = node.spec().name;
  o["blocks"] = chain.tip.header.height;
  o["bits"] = bits_hex(chain.tip.header.bits);
  o["difficulty"] = difficulty(chain.tip.header.bits, node.spec());
  o["next_bits"] = bits_hex(chain.next_bits);
  o["networkhashps"] = chain.network_hashes_per_s;
  o["pooledtx"] = pool.size;
  for (auto& kv : mining_status_json(node.mining_status())) o[kv.key()] = kv.value();
  return o;
}

json::value generate(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const auto n = static_cast<unsigned>(params.get_int(0, "nblocks", 1, kMaxGenerate));
  std::string address_text;
  if (auto a = params.get_opt_string(1, "address")) address_text = *a;
  else address_text = node.mining_status().miner_address;
  if (address_text.empty()) throw RpcError(kInvalidParameter, "address required (this node has no miner address)");
  const crypto::Address to = parse_address(address_text, node.spec());
  auto hashes = node.generate(n, to);
  if (!hashes) throw RpcError(kMiscError, "generate failed: " + hashes.error());
  json::array out;
  for (const auto& h : *hashes) out.emplace_back(crypto::to_hex(h));
  return out;
}

json::value setmining(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  const bool on = params.get_bool(0, "enabled");
  const auto threads = static_cast<unsigned>(params.get_opt_int(1, "threads", 0, kMaxMinerThreads).value_or(0));
  std::optional<crypto::Address> address;
  if (auto a = params.get_opt_string(2, "address")) address = parse_address(*a, node.spec());
  if (auto r = node.set_mining(on, threads, address); !r) throw RpcError(kMiscError, "setmining failed: " + r.error());
  return mining_status_json(node.mining_status());
}

// A template for an external miner. Unlike Bitcoin Core's, the coinbase is the node's to
// build: the header commits to the state after the block (stateroot), which depends on
// whom the coinbase pays; so the caller names the address and gets the coinbase, the Merkle
// root and the state root, and only grinds the nonce (and may move the time within
// [mintime, maxtime], which changes neither root).
json::value getblocktemplate(const Params& params, RequestContext& ctx) {
  NodeApi& node = node_of(ctx);
  std::string address_text;
  if (auto a = params.get_opt_string(0, "address")) address_text = *a;
  else address_text = node.mining_status().miner_address;
  if (address_text.empty()) throw RpcError(kInvalidParameter, "address required (this node has no miner address)");
  const crypto::Address to = parse_address(address_text, node.spec());
  const BlockTemplate t = value_of(node.chain().block_template(to));
  const ledger::BlockHeader& h = t.block.header;
  json::object o;
  o["version"] = h.version;
  o["height"] = h.height;
  o["previousblockhash"] = crypto::to_hex(h.prev_hash);
  o["bits"] = bits_hex(h.bits);
  o["target"] = hex_u256(*ledger::target_from_compact(h.bits));
  o["curtime"] = h.time;
  o["mintime"] = t.min_time;
  o["maxtime"] = t.max_time;
  o["noncerange"] = "00000000ffffffff";
  o["merkleroot"] = crypto::to_hex(h.tx_root);
  o["stateroot"] = crypto::to_hex(h.state_root);
  const ledger::Transaction& coinbase = t.block.txs.front();
  o["coinbasevalue"] = coinbase.amount;
  o["coinbasetxn"] = json::object{{"data", crypto::to_hex(coinbase.encode())}, {"txid", crypto::to_hex(coinbase.txid())}};
  json::array txs;
  for (std::size_t i = 1; i < t.block.txs.size(); ++i) {
    const ledger::Transaction& tx = t.block.txs[i];
    txs.emplace_back(json::object{{"data", crypto::to_hex(tx.encode())}, {"txid", crypto::to_hex(tx.txid())}, {"fee", tx.fee}});
  }
  o["transactions"] = std::move(txs);
  o["txlimit"] = node.spec().max_block_txs;
  const auto header = h.encode();
  o["header"] = crypto::to_hex(crypto::ByteSpan(header.data(), header.size()));
  return o;
}

// BIP22 results: null when accepted, else "duplicate", "duplicate-invalid", "inconclusive"
// (parent unknown: held as an orphan) or the rule the block breaks.
json::value submitblock(const Params& params, RequestContext& ctx) {
  const crypto::Bytes bytes = parse_hex(params.get_string(0, "hexdata"), "Block");
  auto block = ledger::Block::decode(crypto::ByteSpan(bytes), ledger::kMaxBlockTxsDecode);
  if (!block) throw RpcError(kDeserializationError, std::string("Block decode failed: ") + ledger::to_string(block.error()));
  const BlockSubmitResult r = value_of(node_of(ctx).network().submit_block(*block));
  switch (r.status) {
    case BlockSubmitResult::Status::kAccepted:
      return nullptr;
    case BlockSubmitResult::Status::kDuplicate:
      return json::value("duplicate");
    case BlockSubmitResult::Status::kDuplicateInvalid:
      return json::value("duplicate-invalid");
    case BlockSubmitResult::Status::kOrphan:
      return json::value("inconclusive");
    case BlockSubmitResult::Status::kRejected:
      break;
  }
  return json::value(r.reject_reason);
}

}  // namespace

void add_mining_methods(MethodTable& t) {
  t.add({"getmininginfo", "mining", {}, "Tip difficulty, network hash rate estimate and this node's miner.",
         getmininginfo});
  t.add({"generate", "mining", {{"nblocks"}, {"address", false}},
         "Mines nblocks blocks now, paying address (default: the miner address); returns their hashes.", generate});
  t.add({"setmining", "mining", {{"enabled"}, {"threads", false}, {"address", false}},
         "Turns background mining on or off; returns the mining status.", setmining});
  t.add({"getblocktemplate", "mining", {{"address", false}},
         "A block on the tip paying address (default: the miner address), complete but for the nonce.",
         getblocktemplate});
  t.add({"submitblock", "mining", {{"hexdata"}},
         "Submits a block (hex); null when accepted, else a BIP22 reason string.", submitblock});
}

}  // namespace tally::rpc
