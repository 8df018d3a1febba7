#include "ledger/block_rules.h"

#include <unordered_map>

#include "ledger/merkle.h"

namespace tally::ledger {

const char* to_string(BlockError e) {
  switch (e) {
    case BlockError::kBadVersion: return "unknown block version";
    case BlockError::kBadProofOfWork: return "proof of work does not meet the target";
    case BlockError::kBadBits: return "target differs from the ASERT schedule";
    case BlockError::kBadHeight: return "height is not the parent's height plus one";
    case BlockError::kTimeTooOld: return "time is not after the median time of the last 11 blocks";
    case BlockError::kTimeTooNew: return "time is too far in the future";
    case BlockError::kNoTransactions: return "block has no coinbase";
    case BlockError::kTooManyTransactions: return "block has too many transactions";
    case BlockError::kFirstNotCoinbase: return "first transaction is not a coinbase";
    case BlockError::kBadCoinbase: return "coinbase has a wrong chain id, nonce or fee";
    case BlockError::kBadCoinbaseAmount: return "coinbase amount is not subsidy plus fees";
    case BlockError::kBadTxRoot: return "transaction Merkle root does not match";
    case BlockError::kInvalidTransaction: return "block contains an invalid transaction";
    case BlockError::kBadStateRoot: return "state commitment does not match";
    case BlockError::kInvalidAncestor: return "block descends from an invalid block";
  }
  return "unknown block error";
}

const char* reason_code(BlockError e) {
  switch (e) {
    case BlockError::kBadVersion: return "bad-version";
    case BlockError::kBadProofOfWork: return "high-hash";
    case BlockError::kBadBits: return "bad-diffbits";
    case BlockError::kBadHeight: return "bad-height";
    case BlockError::kTimeTooOld: return "time-too-old";
    case BlockError::kTimeTooNew: return "time-too-new";
    case BlockError::kNoTransactions: return "no-coinbase";
    case BlockError::kTooManyTransactions: return "too-many-txs";
    case BlockError::kFirstNotCoinbase: return "first-not-coinbase";
    case BlockError::kBadCoinbase: return "bad-coinbase";
    case BlockError::kBadCoinbaseAmount: return "bad-coinbase-amount";
    case BlockError::kBadTxRoot: return "bad-txroot";
    case BlockError::kInvalidTransaction: return "bad-tx";
    case BlockError::kBadStateRoot: return "bad-stateroot";
    case BlockError::kInvalidAncestor: return "bad-prevblk";
  }
  return "unknown";
}

std::string BlockFailure::message() const {
  std::string m = to_string(error);
  if (error == BlockError::kInvalidTransaction && tx_error)
    m += " (transaction " + std::to_string(tx_index) + ": " + to_string(*tx_error) + ")";
  return m;
}

namespace {
std::unexpected<BlockFailure> fail(BlockError e) { return std::unexpected(BlockFailure{e, std::nullopt, 0}); }
std::unexpected<BlockFailure> fail_tx(std::size_t i, TxError e) {
  return std::unexpected(BlockFailure{BlockError::kInvalidTransaction, e, i});
}
}  // namespace

BlockResult check_header_standalone(const BlockHeader& header, const ChainSpec& spec) {
  if (header.version != 1) return fail(BlockError::kBadVersion);
  if (!check_proof_of_work(header.hash(), header.bits, spec.pow_limit())) return fail(BlockError::kBadProofOfWork);
  return {};
}

BlockResult check_header_contextual(const BlockHeader& header, const ParentContext& parent, std::int64_t now_s,
                                    const ChainSpec& spec) {
  if (header.height != parent.height + 1) return fail(BlockError::kBadHeight);
  if (header.bits != parent.expected_bits) return fail(BlockError::kBadBits);
  if (static_cast<std::int64_t>(header.time) <= parent.median_time_past) return fail(BlockError::kTimeTooOld);
  if (static_cast<std::int64_t>(header.time) > now_s + spec.max_future_drift_s) return fail(BlockError::kTimeTooNew);
  return {};
}

BlockResult check_block_body(const Block& block, const ChainSpec& spec, std::span<const TxId> txids) {
  if (block.txs.empty()) return fail(BlockError::kNoTransactions);
  if (block.txs.size() > spec.max_block_txs) return fail(BlockError::kTooManyTransactions);
  const Transaction& coinbase = block.txs[0];
  if (!coinbase.is_coinbase()) return fail(BlockError::kFirstNotCoinbase);
  if (coinbase.chain_id != spec.chain_id || coinbase.nonce != block.header.height || coinbase.fee != 0)
    return fail(BlockError::kBadCoinbase);
  if (txids.size() != block.txs.size() || merkle_root(txids) != block.header.tx_root)
    return fail(BlockError::kBadTxRoot);
  for (std::size_t i = 1; i < block.txs.size(); ++i) {
    if (auto r = check_tx_stateless(block.txs[i], spec, /*verify_signature=*/false); !r) return fail_tx(i, r.error());
  }
  return {};
}

std::expected<BlockEffects, BlockFailure> apply_block(const Block& block, const ChainSpec& spec,
                                                      const StateView& state) {
  BlockEffects effects;
  std::unordered_map<crypto::Address, std::size_t> index;  // address -> position in changes
  index.reserve(block.txs.size() * 2);
  effects.changes.reserve(block.txs.size() * 2);
  effects.senders.resize(block.txs.size());
  auto touch = [&](const crypto::Address& a) -> Account& {
    auto [it, inserted] = index.try_emplace(a, effects.changes.size());
    if (inserted) {
      const Account before = state.get(a);
      effects.changes.push_back(AccountChange{a, before, before});
    }
    return effects.changes[it->second].after;
  };

  for (std::size_t i = 1; i < block.txs.size(); ++i) {
    const Transaction& tx = block.txs[i];
    const crypto::Address& from = effects.senders[i] = crypto::address_of(tx.sender);
    Account& sender = touch(from);
    if (auto r = check_tx_against_sender(tx, sender); !r) return fail_tx(i, r.error());
    Account& recipient = touch(tx.recipient);  // may alias sender: apply_transfer allows it
    // touch() may have grown the vector: take the sender again.
    Account& sender_now = effects.changes[index[from]].after;
    if (auto r = apply_transfer(tx, sender_now, recipient); !r) return fail_tx(i, r.error());
    if (!checked_add(effects.fees, tx.fee, effects.fees)) return fail_tx(i, TxError::kAmountOverflow);
  }

  const Transaction& coinbase = block.txs[0];
  Amount reward;
  if (!checked_add(spec.subsidy, effects.fees, reward) || coinbase.amount != reward)
    return fail(BlockError::kBadCoinbaseAmount);
  Account& miner = touch(coinbase.recipient);
  if (!checked_add(miner.balance, coinbase.amount, miner.balance)) return fail(BlockError::kBadCoinbaseAmount);
  return effects;
}

}  // namespace tally::ledger
