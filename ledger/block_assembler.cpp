#include "ledger/block_assembler.h"

namespace tally::ledger {

std::expected<Block, BlockFailure> assemble_block(const Chain& chain, std::vector<Transaction> txs,
                                                  const crypto::Address& miner, std::int64_t now_s) {
  const ChainSpec& spec = chain.spec();
  Block block;
  block.header = chain.next_header(now_s);
  Amount fees = 0;
  for (const Transaction& tx : txs) {
    if (!checked_add(fees, tx.fee, fees))
      return std::unexpected(BlockFailure{BlockError::kBadCoinbaseAmount, std::nullopt, 0});
  }
  Amount reward;
  if (!checked_add(spec.subsidy, fees, reward))
    return std::unexpected(BlockFailure{BlockError::kBadCoinbaseAmount, std::nullopt, 0});
  block.txs.reserve(txs.size() + 1);
  block.txs.push_back(make_coinbase(spec.chain_id, block.header.height, miner, reward));
  for (Transaction& tx : txs) block.txs.push_back(std::move(tx));
  if (block.txs.size() > spec.max_block_txs)
    return std::unexpected(BlockFailure{BlockError::kTooManyTransactions, std::nullopt, 0});
  block.header.tx_root = block.compute_tx_root();
  auto root = chain.state_root_after(block);
  if (!root) return std::unexpected(root.error());
  block.header.state_root = *root;
  return block;
}

}  // namespace tally::ledger
