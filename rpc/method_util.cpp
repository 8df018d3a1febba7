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

BlockSummary found_block(std::optional<BlockSummary> block) {
  if (!block) throw RpcError(kInvalidAddressOrKey, "Block not found");
  return std::move(*block);
}

void throw_node_error(const NodeError& e) {
  if (e.kind == NodeError::Kind::kShuttingDown) throw RpcError(kClientNotConnected, "Shutting down");
  throw RpcError(kMiscError, "Chain error: " + e.message);
}

}  // namespace tally::rpc
