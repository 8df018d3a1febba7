// The JSON shapes of blocks, headers and transactions, one definition for the RPC server's
// answers and tally-cli's offline decoding. Hashes are lower-case hex in wire byte order (no
// reversal, see docs/PROTOCOL.md); amounts are integers in base units. Pure functions of
// plain values; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "ledger/block.h"
#include "ledger/chain_spec.h"
#include "ledger/transaction.h"

namespace tally::rpc {

std::string encode_address(const crypto::Address& address, const ledger::ChainSpec& spec);
std::string hex_u256(const ledger::Uint256& v);  // 64 lower-case hex digits
std::string bits_hex(std::uint32_t bits);         // "1e0fffff"
// How much harder the target of `bits` is than the chain's easiest target (1.0 at the limit).
double difficulty(std::uint32_t bits, const ledger::ChainSpec& spec);

// What the JSON of a block or header needs from the block tree, copied on the core thread.
struct BlockSummary {
  ledger::BlockHeader header;
  ledger::BlockHash hash;
  std::string chain_work_hex;
  std::int64_t median_time = 0;
  std::int64_t confirmations = -1;  // -1 when not in the active chain (Bitcoin Core's convention)
  std::optional<ledger::BlockHash> next;
  std::string status;
  bool has_data = false;
};
boost::json::object header_json(const BlockSummary& s, const ledger::ChainSpec& spec);
boost::json::object tx_json(const ledger::Transaction& tx, const ledger::ChainSpec& spec);
// verbosity 1: "tx" lists txids; 2: "tx" lists tx_json objects.
boost::json::object block_json(const BlockSummary& s, const ledger::Block& block, int verbosity,
                               const ledger::ChainSpec& spec);

}  // namespace tally::rpc
