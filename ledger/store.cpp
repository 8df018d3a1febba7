#include "ledger/store.h"

namespace tally::ledger {

const char* column_name(Column c) {
  switch (c) {
    case Column::kMeta: return "meta";
    case Column::kBlockIndex: return "block_index";
    case Column::kBlockData: return "block_data";
    case Column::kUndo: return "undo";
    case Column::kState: return "state";
    case Column::kTxIndex: return "tx_index";
    case Column::kAddressHistory: return "address_history";
  }
  return "unknown";
}

}  // namespace tally::ledger
