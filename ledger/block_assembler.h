// Builds a block on top of the chain's tip from chosen transactions: coinbase (subsidy +
// fees to the miner), Merkle root, state commitment, ASERT bits and a valid time. The nonce
// is left at zero for a miner to search. Reads the chain; does not change it.
#pragma once

#include <expected>
#include <vector>

#include "ledger/chain.h"

namespace tally::ledger {

// REQUIRES: txs are valid in sequence against the tip's state (Mempool::select_for_block
// gives such a list); otherwise the rule they break is returned.
[[nodiscard]] std::expected<Block, BlockFailure> assemble_block(const Chain& chain, std::vector<Transaction> txs,
                                                                const crypto::Address& miner, std::int64_t now_s);

}  // namespace tally::ledger
