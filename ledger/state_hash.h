// Homomorphic set hash of the ledger state (a lattice hash, LtHash16 with 1024 lanes).
//
// Each account entry (address, balance, nonce) maps to a 2048-byte vector: the ChaCha20
// keystream under key tagged_hash("Tally/StateEntry", address || balance || nonce). The
// state is the lane-wise sum (mod 2^16) of its entries' vectors, so changing one account
// costs one subtraction and one addition, independent of the state's size, and two nodes
// with equal states have equal sums whatever order they built them in. The commitment in
// block headers is SHA-256 of the 2048-byte sum. Value type; not thread-safe to mutate.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/bytes.h"
#include "ledger/account.h"

namespace tally::ledger {

class StateHash {
 public:
  static constexpr std::size_t kLanes = 1024;

  void add(const crypto::Address& address, const Account& account);
  void remove(const crypto::Address& address, const Account& account);
  // Replace old with new for one address (either may be empty(): then it is skipped).
  void update(const crypto::Address& address, const Account& before, const Account& after);

  crypto::Hash256 digest() const;

  // Raw lanes, for storage: 2048 bytes little-endian.
  std::array<std::uint8_t, kLanes * 2> serialize() const;
  static StateHash deserialize(crypto::ByteSpan bytes);  // REQUIRES: 2048 bytes

  friend bool operator==(const StateHash&, const StateHash&) = default;

 private:
  std::array<std::uint16_t, kLanes> lanes_{};
};

}  // namespace tally::ledger
