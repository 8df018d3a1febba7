// Helpers shared by the RPC method handlers (methods_*.cpp): the node of a request, the
// values of node calls, parsing hashes, addresses and hex (the JSON shapes are in
// ledger_json.h). Hashes are lower-case hex in wire byte order (no reversal, see
// docs/PROTOCOL.md); amounts are integers in base units.
//
// Thread-safety: pure functions of their arguments; any thread.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "rpc/json_rpc.h"
#include "rpc/ledger_json.h"
#include "rpc/node_api.h"

namespace tally::rpc {

// The node of the request. REQUIRES: ctx.node is set (otherwise -32603).
NodeApi& node_of(RequestContext& ctx);

// A failed node call as an RPC error: -9 "Shutting down", or -1 "Chain error: <message>".
[[noreturn]] void throw_node_error(const NodeError& e);

// The value of a node call; throws its error as above.
template <class T>
T value_of(NodeResult<T>&& r) {
  if (!r) throw_node_error(r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// 64 hex digits (either case) -> hash; otherwise -8 naming the parameter.
ledger::BlockHash parse_hash(std::string_view text, std::string_view param_name);
// Bech32m address with the chain's prefix; otherwise -5 with the AddressError text.
crypto::Address parse_address(std::string_view text, const ledger::ChainSpec& spec);
// Hex -> bytes; otherwise -22 "<what> decode failed: <reason>".
crypto::Bytes parse_hex(std::string_view text, std::string_view what);

// The summary of a known block; -5 "Block not found" for nullopt.
BlockSummary found_block(std::optional<BlockSummary> block);

}  // namespace tally::rpc
