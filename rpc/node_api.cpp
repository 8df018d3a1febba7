// The defaults of NodeApi and NetworkControl (rpc/node_api.h) that a node may override.
#include "rpc/node_api.h"

namespace tally::rpc {

NodeResult<std::vector<TxSubmitResult>> NetworkControl::submit_transactions(std::span<const ledger::Transaction> txs,
                                                                           std::span<const bool> signature_checked) {
  std::vector<TxSubmitResult> out;
  out.reserve(txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) {
    auto r = submit_transaction(txs[i], signature_checked[i]);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

ledger::Executor& NodeApi::verify_executor() {
  static ledger::InlineExecutor inline_executor;
  return inline_executor;
}

}  // namespace tally::rpc
