// Read access to ledger state (accounts by address), implemented by the chain's committed
// state, by overlays during block validation, and by test models.
#pragma once

#include <unordered_map>

#include "ledger/account.h"

namespace tally::ledger {

class StateView {
 public:
  virtual ~StateView() = default;
  // The account at `address`; an empty Account when it has never been touched.
  virtual Account get(const crypto::Address& address) const = 0;
};

// A plain in-memory map; used by tests and as the genesis state.
class MapStateView final : public StateView {
 public:
  Account get(const crypto::Address& address) const override {
    auto it = accounts.find(address);
    return it == accounts.end() ? Account{} : it->second;
  }
  std::unordered_map<crypto::Address, Account> accounts;
};

}  // namespace tally::ledger
