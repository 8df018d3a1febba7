// Ledger state of one address: balance and the nonce its next transaction must carry.
#pragma once

#include <cstdint>

#include "crypto/address.h"

namespace tally::ledger {

using Amount = std::uint64_t;

struct Account {
  Amount balance = 0;
  std::uint64_t nonce = 0;

  // An account with nothing in it is the same as no account: it is not stored.
  bool empty() const { return balance == 0 && nonce == 0; }
  friend bool operator==(const Account&, const Account&) = default;
};

// a + b unless it overflows.
inline bool checked_add(Amount a, Amount b, Amount& out) { return !__builtin_add_overflow(a, b, &out); }

}  // namespace tally::ledger
