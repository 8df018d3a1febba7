#include "ledger/tx_rules.h"

namespace tally::ledger {

const char* to_string(TxError e) {
  switch (e) {
    case TxError::kWrongChainId: return "transaction is for another chain (chain id mismatch)";
    case TxError::kCoinbaseOutOfPlace: return "coinbase transaction outside the first position of a block";
    case TxError::kFeeTooLow: return "fee is below the chain's minimum fee";
    case TxError::kAmountOverflow: return "amount plus fee overflows";
    case TxError::kBadSignature: return "signature does not verify";
    case TxError::kNonceTooLow: return "nonce already used by the sender";
    case TxError::kNonceTooHigh: return "nonce is ahead of the sender's next nonce";
    case TxError::kInsufficientFunds: return "sender balance does not cover amount plus fee";
    case TxError::kRecipientOverflow: return "recipient balance would overflow";
  }
  return "unknown transaction error";
}

const char* reason_code(TxError e) {
  switch (e) {
    case TxError::kWrongChainId: return "wrong-chain-id";
    case TxError::kCoinbaseOutOfPlace: return "coinbase-out-of-place";
    case TxError::kFeeTooLow: return "fee-too-low";
    case TxError::kAmountOverflow: return "amount-overflow";
    case TxError::kBadSignature: return "bad-signature";
    case TxError::kNonceTooLow: return "nonce-too-low";
    case TxError::kNonceTooHigh: return "nonce-too-high";
    case TxError::kInsufficientFunds: return "insufficient-funds";
    case TxError::kRecipientOverflow: return "recipient-overflow";
  }
  return "unknown";
}

std::expected<void, TxError> check_tx_stateless(const Transaction& tx, const ChainSpec& spec, bool verify_signature) {
  if (tx.chain_id != spec.chain_id) return std::unexpected(TxError::kWrongChainId);
  if (tx.sender.is_zero()) return std::unexpected(TxError::kCoinbaseOutOfPlace);
  if (tx.fee < spec.min_fee) return std::unexpected(TxError::kFeeTooLow);
  Amount total;
  if (!checked_add(tx.amount, tx.fee, total)) return std::unexpected(TxError::kAmountOverflow);
  if (verify_signature && !tx.has_valid_signature()) return std::unexpected(TxError::kBadSignature);
  return {};
}

std::expected<void, TxError> check_tx_against_sender(const Transaction& tx, const Account& sender) {
  if (tx.nonce < sender.nonce) return std::unexpected(TxError::kNonceTooLow);
  if (tx.nonce > sender.nonce) return std::unexpected(TxError::kNonceTooHigh);
  Amount total;
  if (!checked_add(tx.amount, tx.fee, total)) return std::unexpected(TxError::kAmountOverflow);
  if (sender.balance < total) return std::unexpected(TxError::kInsufficientFunds);
  return {};
}

std::expected<void, TxError> apply_transfer(const Transaction& tx, Account& sender, Account& recipient) {
  const Amount total = tx.amount + tx.fee;  // checked by check_tx_against_sender
  sender.balance -= total;
  sender.nonce += 1;
  Amount credited;
  if (!checked_add(recipient.balance, tx.amount, credited)) {
    // Undo the debit so the caller's accounts are unchanged on error.
    sender.nonce -= 1;
    sender.balance += total;
    return std::unexpected(TxError::kRecipientOverflow);
  }
  recipient.balance = credited;
  return {};
}

}  // namespace tally::ledger
