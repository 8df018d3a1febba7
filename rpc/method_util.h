// Helpers shared by the RPC method handlers (methods_*.cpp): running a closure on the
// node's core thread, parsing hashes, addresses and hex, summaries of the block tree (the
// JSON shapes are in ledger_json.h). Hashes are lower-case hex in wire byte order (no reversal, see
// docs/PROTOCOL.md); amounts are integers in base units.
//
// Thread-safety: the free functions are pure. Functions taking a Chain must run on the core
// thread (inside on_core); the JSON builders take plain copies and may run anywhere.
#pragma once

#include <boost/json/value.hpp>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "rpc/json_rpc.h"
#include "rpc/ledger_json.h"
#include "rpc/node_api.h"

namespace tally::rpc {

// The node of the request. REQUIRES: ctx.node is set (otherwise -32603).
NodeApi& node_of(RequestContext& ctx);

// Runs f(CoreRefs&) on the core thread and returns its result on the calling thread.
// Exceptions thrown by f (RpcError included) are caught on the core thread, so they never
// unwind through the node's event loop, and rethrown here. -9 "Shutting down" when the node
// no longer runs core calls.
template <class F>
auto on_core(RequestContext& ctx, F&& f) -> std::invoke_result_t<F&, CoreRefs&> {
  using Result = std::invoke_result_t<F&, CoreRefs&>;
  static_assert(!std::is_void_v<Result>, "return a value (e.g. boost::json::value) from the closure");
  std::optional<Result> result;
  std::exception_ptr error;
  const bool ran = node_of(ctx).with_core([&](CoreRefs& core) {
    try {
      result.emplace(f(core));
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (!ran) throw RpcError(kClientNotConnected, "Shutting down");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// 64 hex digits (either case) -> hash; otherwise -8 naming the parameter.
ledger::BlockHash parse_hash(std::string_view text, std::string_view param_name);
// Bech32m address with the chain's prefix; otherwise -5 with the AddressError text.
crypto::Address parse_address(std::string_view text, const ledger::ChainSpec& spec);
// Hex -> bytes; otherwise -22 "<what> decode failed: <reason>".
crypto::Bytes parse_hex(std::string_view text, std::string_view what);
// getchaintips' status of a block: "active", "valid-fork", "valid-headers", "headers-only"
// or "invalid" (as Bitcoin Core names them).
std::string block_status(const ledger::BlockEntry& e);

BlockSummary summarize(const ledger::Chain& chain, const ledger::BlockEntry& e);
// The entry of a known block hash; -5 "Block not found" otherwise.
const ledger::BlockEntry& find_block(const ledger::Chain& chain, const ledger::BlockHash& hash);
// The stored block; -1 "Block not available" for a header whose block is not stored.
ledger::Block read_block(const ledger::Chain& chain, const ledger::BlockEntry& e);

// A store failure inside a handler: -1 with the chain's message.
[[noreturn]] void throw_chain_error(const ledger::ChainError& e);

}  // namespace tally::rpc
