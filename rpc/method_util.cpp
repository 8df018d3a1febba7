// Helpers shared by the method handlers.
#include "rpc/method_util.h"

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

void throw_chain_error(const ledger::ChainError& e) { throw RpcError(kMiscError, "Chain error: " + e.message); }

}  // namespace tally::rpc
