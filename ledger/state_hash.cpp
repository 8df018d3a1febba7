#include "ledger/state_hash.h"

#include <cryptopp/chacha.h>

#include "crypto/sha256.h"
#include "ledger/encoding.h"

namespace tally::ledger {

namespace {

std::array<std::uint16_t, StateHash::kLanes> expand(const crypto::Address& address, const Account& account) {
  static const crypto::TaggedHasher hasher("Tally/StateEntry");
  Writer w(36);
  w.fixed(address);
  w.u64(account.balance);
  w.u64(account.nonce);
  const crypto::Hash256 key = hasher.hash(w.data());
  static constexpr std::uint8_t kIv[8] = {};
  CryptoPP::ChaCha::Encryption chacha;
  chacha.SetKeyWithIV(key.data(), key.size(), kIv, sizeof kIv);
  std::array<std::uint8_t, StateHash::kLanes * 2> stream;
  chacha.GenerateBlock(stream.data(), stream.size());
  std::array<std::uint16_t, StateHash::kLanes> lanes;
  for (std::size_t i = 0; i < StateHash::kLanes; ++i)
    lanes[i] = static_cast<std::uint16_t>(stream[2 * i] | (stream[2 * i + 1] << 8));
  return lanes;
}

}  // namespace

void StateHash::add(const crypto::Address& address, const Account& account) {
  const auto v = expand(address, account);
  for (std::size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<std::uint16_t>(lanes_[i] + v[i]);
}

void StateHash::remove(const crypto::Address& address, const Account& account) {
  const auto v = expand(address, account);
  for (std::size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<std::uint16_t>(lanes_[i] - v[i]);
}

void StateHash::update(const crypto::Address& address, const Account& before, const Account& after) {
  if (before == after) return;
  if (!before.empty()) remove(address, before);
  if (!after.empty()) add(address, after);
}

std::array<std::uint8_t, StateHash::kLanes * 2> StateHash::serialize() const {
  std::array<std::uint8_t, kLanes * 2> out;
  for (std::size_t i = 0; i < kLanes; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(lanes_[i]);
    out[2 * i + 1] = static_cast<std::uint8_t>(lanes_[i] >> 8);
  }
  return out;
}

StateHash StateHash::deserialize(crypto::ByteSpan bytes) {
  StateHash h;
  for (std::size_t i = 0; i < kLanes; ++i)
    h.lanes_[i] = static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return h;
}

crypto::Hash256 StateHash::digest() const {
  const auto bytes = serialize();
  return crypto::sha256(bytes);
}

}  // namespace tally::ledger
