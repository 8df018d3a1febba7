// Mining methods: mining info, generate, setmining, submitblock.
#include "crypto/hex.h"
#include "rpc/method_util.h"
#include "rpc/methods.h"

namespace tally::rpc {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxGenerate = 1000;
constexpr std::int64_t kMaxMinerThreads = 256;
constexpr std::uint32_t kHashrateWindow = 120;  // blocks, as Bitcoin Core's getnetworkhashps

json::object mining_status_json(const MiningStatus& m) {
  json::object o;
  o["mining"] = m.enabled;
  o["threads"] = m.threads;
  o["miner_address"] = m.miner_address;
  o["hashespersec"] = m.hashes_per_second;
  o["blocks_mined"] = m.blocks_mined;
  return o;
}

// Work done over the last blocks divided by the time they took.
double network_hashps(const ledger::Chain& chain) {
  const ledger::BlockEntry& tip = chain.tip();
  if (tip.height() == 0) return 0;
  const std::uint32_t back = std::min(tip.height(), kHashrateWindow);
  const ledger::BlockEntry* start = tip.ancestor(tip.height() - back);
  if (start == nullptr) return 0;
  const std::int64_t span_s = static_cast<std::int64_t>(tip.header.time) - start->header.time;
  if (span_s <= 0) return 0;
  return (tip.chain_work - start->chain_work).convert_to<double>() / static_cast<double>(span_s);
}

json::value getmininginfo(const Params&, RequestContext& ctx) {
  json::object o = on_core(ctx, [](CoreRefs& core) {
    const ledger::Chain& chain = core.chain;
    json::object r;
    r["chain"] = chain.spec().name;
    r["blocks"] = chain.height();
    r["bits"] = bits_hex(chain.tip().header.bits);
    r["difficulty"] = difficulty(chain.tip().header.bits, chain.spec());
    r["next_bits"] = bits_hex(chain.next_bits(chain.tip()));
    r["networkhashps"] = network_hashps(chain);
    r["pooledtx"] = core.mempool.size();
    return r;
  });
  for (auto& kv : mining_status_json(node_of(ctx).mining_status())) o[kv.key()] = kv.value();
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

std::string block_reject_reason(const ledger::BlockFailure& f) {
  std::string r = ledger::reason_code(f.error);
  if (f.tx_error) r += std::string(":") + ledger::reason_code(*f.tx_error);
  return r;
}

// BIP22 results: null when accepted, else "duplicate", "duplicate-invalid", "inconclusive"
// (parent unknown: held as an orphan) or the rule the block breaks.
json::value submitblock(const Params& params, RequestContext& ctx) {
  const crypto::Bytes bytes = parse_hex(params.get_string(0, "hexdata"), "Block");
  auto block = ledger::Block::decode(crypto::ByteSpan(bytes), ledger::kMaxBlockTxsDecode);
  if (!block) throw RpcError(kDeserializationError, std::string("Block decode failed: ") + ledger::to_string(block.error()));
  return on_core(ctx, [&](CoreRefs& core) -> json::value {
    const ledger::BlockHash hash = block->hash();
    if (const ledger::BlockEntry* e = core.chain.find(hash); e != nullptr && e->has_data())
      return json::value(e->failed() ? "duplicate-invalid" : "duplicate");
    auto r = core.net.submit_block(*block, core.now_ms);
    if (!r) {
      if (r.error().kind != ledger::ChainError::Kind::kInvalid) throw_chain_error(r.error());
      return json::value(r.error().failure ? block_reject_reason(*r.error().failure) : "rejected");
    }
    if (r->status == ledger::AcceptStatus::kOrphan) return json::value("inconclusive");
    if (r->status == ledger::AcceptStatus::kDuplicate) return json::value("duplicate");
    for (const auto& [h, failure] : r->update.invalidated)
      if (h == hash) return json::value(block_reject_reason(failure));
    if (const ledger::BlockEntry* e = core.chain.find(hash); e != nullptr && e->failed())
      return json::value("rejected");
    return nullptr;
  });
}

}  // namespace

void add_mining_methods(MethodTable& t) {
  t.add({"getmininginfo", "mining", {}, "Tip difficulty, network hash rate estimate and this node's miner.",
         getmininginfo});
  t.add({"generate", "mining", {{"nblocks"}, {"address", false}},
         "Mines nblocks blocks now, paying address (default: the miner address); returns their hashes.", generate});
  t.add({"setmining", "mining", {{"enabled"}, {"threads", false}, {"address", false}},
         "Turns background mining on or off; returns the mining status.", setmining});
  t.add({"submitblock", "mining", {{"hexdata"}},
         "Submits a block (hex); null when accepted, else a BIP22 reason string.", submitblock});
}

}  // namespace tally::rpc
