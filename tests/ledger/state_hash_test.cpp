// StateHash (LtHash16): each entry's vector is the ChaCha20 keystream under the entry's
// tagged hash, computed here independently with Crypto++, and the hash behaves as a set
// hash: order-free, updates equal a removal plus an addition, removal undoes addition.
#include <gtest/gtest.h>

#include <cryptopp/chacha.h>

#include "crypto/sha256.h"
#include "ledger/encoding.h"
#include "ledger/state_hash.h"

namespace tally::ledger {
namespace {

crypto::Address address(std::uint8_t seed) {
  crypto::Address a;
  for (std::size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return a;
}

// The entry's 2048 bytes as docs/CONSENSUS.md defines them, with Crypto++'s ChaCha20.
std::array<std::uint8_t, StateHash::kLanes * 2> reference_vector(const crypto::Address& a, const Account& account) {
  Writer w;
  w.fixed(a);
  w.u64(account.balance);
  w.u64(account.nonce);
  const crypto::Hash256 key = crypto::TaggedHasher("Tally/StateEntry").hash(w.data());
  const std::uint8_t iv[8] = {};
  CryptoPP::ChaCha::Encryption chacha;
  chacha.SetKeyWithIV(key.data(), key.size(), iv, sizeof iv);
  std::array<std::uint8_t, StateHash::kLanes * 2> out;
  chacha.GenerateBlock(out.data(), out.size());
  return out;
}

TEST(StateHash, EntryVectorIsTheChaCha20KeystreamOfItsTaggedHash) {
  for (std::uint8_t seed : {0, 1, 7, 200}) {
    const Account account{1'000'000'007ull * (seed + 1), seed * 3ull};
    StateHash h;
    h.add(address(seed), account);
    EXPECT_EQ(h.serialize(), reference_vector(address(seed), account)) << int(seed);
    EXPECT_EQ(h.digest(), crypto::sha256(h.serialize()));
  }
}

TEST(StateHash, IsASetHash) {
  const Account x{500, 1}, y{400, 2}, z{9, 0};
  StateHash ab, ba;
  ab.add(address(1), x);
  ab.add(address(2), y);
  ba.add(address(2), y);
  ba.add(address(1), x);
  EXPECT_EQ(ab, ba);

  StateHash updated = ab, by_hand = ab;
  updated.update(address(1), x, z);
  by_hand.remove(address(1), x);
  by_hand.add(address(1), z);
  EXPECT_EQ(updated, by_hand);
  EXPECT_NE(updated, ab);

  updated.update(address(1), z, x);
  EXPECT_EQ(updated, ab);
  // An empty account is no entry at all.
  StateHash created = ab;
  created.update(address(3), Account{}, z);
  created.update(address(3), z, Account{});
  EXPECT_EQ(created, ab);

  StateHash empty;
  ab.remove(address(1), x);
  ab.remove(address(2), y);
  EXPECT_EQ(ab, empty);
}

TEST(StateHash, SerializeRoundTrips) {
  StateHash h;
  h.add(address(4), Account{77, 5});
  EXPECT_EQ(StateHash::deserialize(h.serialize()), h);
}

}  // namespace
}  // namespace tally::ledger
