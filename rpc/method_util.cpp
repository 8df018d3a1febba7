// Helpers shared by the method handlers.
#include "rpc/method_util.h"

#include <cstdio>

#include "crypto/hex.h"

namespace tally::rpc {

namespace json = boost::json;

NodeApi& node_of(RequestContext& ctx) {
  if (ctx.node == nullptr) throw RpcError(kInternalError, "Internal error: no node behind this RPC server");
  return *ctx.node;
}

ledger::BlockHash parse_hash(std::string_view text, std::string_view param_name) {
  auto h = crypto::fixed_from_hex<ledger::BlockHash>(text);
  if (!h)
    throw RpcError(kInvalidParameter, std::string(param_name) + " must be a 64-character hex string (" +
                                          crypto::to_string(h.error()) + ")");
  return *h;
}

crypto::Address parse_address(std::string_view text, const ledger::ChainSpec& spec) {
  auto a = crypto::decode_address(text, spec.address_prefix);
  if (!a) throw RpcError(kInvalidAddressOrKey, std::string("Invalid address: ") + crypto::to_string(a.error()));
  return *a;
}

crypto::Bytes parse_hex(std::string_view text, std::string_view what) {
  auto b = crypto::from_hex(text);
  if (!b) throw RpcError(kDeserializationError, std::string(what) + " decode failed: " + crypto::to_string(b.error()));
  return std::move(*b);
}

std::string encode_address(const crypto::Address& address, const ledger::ChainSpec& spec) {
  return crypto::encode_address(address, spec.address_prefix);
}

std::string hex_u256(const ledger::Uint256& v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(64, '0');
  ledger::Uint256 x = v;
  for (int i = 63; i >= 0 && x != 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[static_cast<unsigned>(x & 0xf)];
    x >>= 4;
  }
  return out;
}

std::string bits_hex(std::uint32_t bits) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", bits);
  return buf;
}

double difficulty(std::uint32_t bits, const ledger::ChainSpec& spec) {
  auto target = ledger::target_from_compact(bits);
  if (!target || *target == 0) return 0;
  return spec.pow_limit().convert_to<double>() / target->convert_to<double>();
}

std::string block_status(const ledger::BlockEntry& e) {
  if (e.in_active_chain) return "active";
  if (e.failed()) return "invalid";
  if (!e.chain_has_data) return "headers-only";
  if (e.status & ledger::kStatusValid) return "valid-fork";
  return "valid-headers";
}

BlockSummary summarize(const ledger::Chain& chain, const ledger::BlockEntry& e) {
  BlockSummary s;
  s.header = e.header;
  s.hash = e.hash;
  s.chain_work_hex = hex_u256(e.chain_work);
  s.median_time = ledger::Chain::median_time_past(e);
  if (e.in_active_chain) {
    s.confirmations = static_cast<std::int64_t>(chain.height()) - e.height() + 1;
    if (const auto* next = chain.at_height(e.height() + 1)) s.next = next->hash;
  }
  s.status = block_status(e);
  s.has_data = e.has_data();
  return s;
}

const ledger::BlockEntry& find_block(const ledger::Chain& chain, const ledger::BlockHash& hash) {
  const ledger::BlockEntry* e = chain.find(hash);
  if (e == nullptr) throw RpcError(kInvalidAddressOrKey, "Block not found");
  return *e;
}

ledger::Block read_block(const ledger::Chain& chain, const ledger::BlockEntry& e) {
  auto b = chain.read_block(e.hash);
  if (!b) throw_chain_error(b.error());
  if (!*b) throw RpcError(kMiscError, "Block not available (header only)");
  return std::move(**b);
}

json::object header_json(const BlockSummary& s, const ledger::ChainSpec& spec) {
  json::object o;
  o["hash"] = crypto::to_hex(s.hash);
  o["confirmations"] = s.confirmations;
  o["height"] = s.header.height;
  o["version"] = s.header.version;
  o["merkleroot"] = crypto::to_hex(s.header.tx_root);
  o["stateroot"] = crypto::to_hex(s.header.state_root);
  o["time"] = s.header.time;
  o["mediantime"] = s.median_time;
  o["nonce"] = s.header.nonce;
  o["bits"] = bits_hex(s.header.bits);
  o["difficulty"] = difficulty(s.header.bits, spec);
  o["chainwork"] = s.chain_work_hex;
  o["status"] = s.status;
  if (s.header.height > 0) o["previousblockhash"] = crypto::to_hex(s.header.prev_hash);
  if (s.next) o["nextblockhash"] = crypto::to_hex(*s.next);
  return o;
}

json::object tx_json(const ledger::Transaction& tx, const ledger::ChainSpec& spec) {
  json::object o;
  o["txid"] = crypto::to_hex(tx.txid());
  o["size"] = ledger::Transaction::kSize;
  o["chain_id"] = tx.chain_id;
  o["coinbase"] = tx.is_coinbase();
  if (tx.is_coinbase()) {
    o["from"] = nullptr;
    o["sender"] = nullptr;
  } else {
    o["from"] = encode_address(crypto::address_of(tx.sender), spec);
    o["sender"] = crypto::to_hex(tx.sender);
  }
  o["to"] = encode_address(tx.recipient, spec);
  o["amount"] = tx.amount;
  o["fee"] = tx.fee;
  o["nonce"] = tx.nonce;
  o["signature"] = crypto::to_hex(tx.signature);
  return o;
}

json::object block_json(const BlockSummary& s, const ledger::Block& block, int verbosity,
                        const ledger::ChainSpec& spec) {
  json::object o = header_json(s, spec);
  o["size"] = block.encoded_size();
  o["ntx"] = block.txs.size();
  json::array txs;
  txs.reserve(block.txs.size());
  for (const auto& tx : block.txs) {
    if (verbosity >= 2) txs.emplace_back(tx_json(tx, spec));
    else txs.emplace_back(crypto::to_hex(tx.txid()));
  }
  o["tx"] = std::move(txs);
  return o;
}

void throw_chain_error(const ledger::ChainError& e) { throw RpcError(kMiscError, "Chain error: " + e.message); }

}  // namespace tally::rpc
