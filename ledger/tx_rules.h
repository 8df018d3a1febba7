// Transaction validity rules (docs/CONSENSUS.md, "Transactions"), split into checks that
// need no state and checks against the sender's account. Pure functions; thread-safe.
#pragma once

#include <expected>

#include "ledger/account.h"
#include "ledger/chain_spec.h"
#include "ledger/transaction.h"

namespace tally::ledger {

enum class TxError {
  kWrongChainId,        // chain_id differs from the chain spec's
  kCoinbaseOutOfPlace,  // a coinbase-shaped transaction where a transfer belongs
  kFeeTooLow,           // fee below the chain's min_fee
  kAmountOverflow,      // amount + fee overflows 64 bits
  kBadSignature,        // BIP340 signature does not verify for the sender key
  kNonceTooLow,         // nonce below the sender's next nonce (already used)
  kNonceTooHigh,        // nonce above the sender's next nonce (a gap)
  kInsufficientFunds,   // balance below amount + fee
  kRecipientOverflow,   // recipient balance would overflow 64 bits
};
// Human-readable explanation.
const char* to_string(TxError e);
// Short stable reason code for RPC errors, logs and metrics, e.g. "bad-signature".
const char* reason_code(TxError e);

// Chain id, shape, fee and overflow; the signature too unless verify_signature is false
// (when a batch verifier has already checked it).
[[nodiscard]] std::expected<void, TxError> check_tx_stateless(const Transaction& tx, const ChainSpec& spec,
                                                              bool verify_signature = true);

// Nonce and balance against the sender's current account.
[[nodiscard]] std::expected<void, TxError> check_tx_against_sender(const Transaction& tx, const Account& sender);

// Moves amount + fee out of the sender (nonce + 1) and amount into the recipient. The fee is
// collected by the block's coinbase. REQUIRES: both checks above passed for `sender`.
// When sender and recipient are the same address, pass the same Account object for both.
[[nodiscard]] std::expected<void, TxError> apply_transfer(const Transaction& tx, Account& sender, Account& recipient);

}  // namespace tally::ledger
