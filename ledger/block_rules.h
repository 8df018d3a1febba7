// Block and header validity rules (docs/CONSENSUS.md, "Headers" and "Blocks") and the
// state transition of a block. Pure functions over their inputs; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "ledger/block.h"
#include "ledger/chain_spec.h"
#include "ledger/state_view.h"
#include "ledger/tx_rules.h"

namespace tally::ledger {


enum class BlockError {
  kBadVersion,            // header version is not 1
  kBadProofOfWork,        // hash above the target, or target above the chain's limit
  kBadBits,               // bits differ from the ASERT target for this height
  kBadHeight,             // height is not the parent's height + 1
  kTimeTooOld,            // time not after the median of the previous 11 blocks
  kTimeTooNew,            // time beyond the node's clock + max_future_drift_s
  kNoTransactions,        // no coinbase
  kTooManyTransactions,   // more than max_block_txs
  kFirstNotCoinbase,      // transaction 0 is not a coinbase
  kBadCoinbase,           // coinbase chain id, nonce (!= height) or fee (!= 0) wrong
  kBadCoinbaseAmount,     // coinbase amount != subsidy + fees
  kBadTxRoot,             // Merkle root mismatch
  kInvalidTransaction,    // a transfer breaks a transaction rule (see tx_error)
  kBadStateRoot,          // state commitment after the block differs from the header's
  kInvalidAncestor,       // descends from an invalid block
};
const char* to_string(BlockError e);
const char* reason_code(BlockError e);

struct BlockFailure {
  BlockError error;
  std::optional<TxError> tx_error;  // for kInvalidTransaction
  std::size_t tx_index = 0;         // for kInvalidTransaction
  std::string message() const;
};
using BlockResult = std::expected<void, BlockFailure>;

// Version and proof of work: what can be checked from the header alone.
[[nodiscard]] BlockResult check_header_standalone(const BlockHeader& header, const ChainSpec& spec);

// What the header's parent tells about its child.
struct ParentContext {
  std::uint32_t height = 0;
  std::int64_t median_time_past = 0;  // median time of the parent and its 10 ancestors
  std::uint32_t expected_bits = 0;    // ASERT target for the child
};
[[nodiscard]] BlockResult check_header_contextual(const BlockHeader& header, const ParentContext& parent,
                                                  std::int64_t now_s, const ChainSpec& spec);

// Everything that needs no state and no signature check: counts, coinbase shape, Merkle root
// and the stateless transaction rules. `txids` are the block's, in order (block.txids()).
[[nodiscard]] BlockResult check_block_body(const Block& block, const ChainSpec& spec, std::span<const TxId> txids);

// The accounts a block changes, each with its value before and after, in first-touch order.
struct AccountChange {
  crypto::Address address;
  Account before;
  Account after;
};
struct BlockEffects {
  std::vector<AccountChange> changes;
  std::vector<crypto::Address> senders;  // by block position; the coinbase's is all zero
  Amount fees = 0;
};

// Applies the block's transactions to `state` in order (nonces, balances, fees, coinbase
// amount). REQUIRES: check_block_body passed. Does not check the state root.
[[nodiscard]] std::expected<BlockEffects, BlockFailure> apply_block(const Block& block, const ChainSpec& spec,
                                                                    const StateView& state);

}  // namespace tally::ledger
