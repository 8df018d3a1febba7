#include "crypto/header_hasher.h"

#include <cryptopp/sha.h>

#include <bit>

namespace tally::crypto {

namespace {

inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

Sha256dMidstate::Sha256dMidstate(ByteSpan first_block) {
  CryptoPP::SHA256::InitState(state_);
  alignas(16) std::uint32_t words[16];
  for (int i = 0; i < 16; ++i) words[i] = load_be32(first_block.data() + 4 * i);
  CryptoPP::SHA256::Transform(state_, words);
}

Sha256dMidstate::TailBlock Sha256dMidstate::prepare_tail(ByteSpan tail) {
  // Tail, 0x80, zeros, bit length of the whole message (first block included).
  std::uint8_t block[kBlockSize] = {};
  std::memcpy(block, tail.data(), tail.size());
  block[tail.size()] = 0x80;
  const std::uint64_t bits = (kBlockSize + tail.size()) * 8;
  for (int i = 0; i < 8; ++i) block[63 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  TailBlock out;
  for (int i = 0; i < 16; ++i) out.words[i] = load_be32(block + 4 * i);
  return out;
}

Sha256dMidstate::DigestWords Sha256dMidstate::hash_words(const TailBlock& block) const {
  alignas(16) std::uint32_t state[8];
  std::memcpy(state, state_, sizeof state);
  CryptoPP::SHA256::Transform(state, block.words.data());

  // Second hash: the 32-byte digest is already the first 8 words; pad to one block.
  alignas(16) std::uint32_t words[16];
  for (int i = 0; i < 8; ++i) words[i] = state[i];
  words[8] = 0x80000000u;
  for (int i = 9; i < 15; ++i) words[i] = 0;
  words[15] = 256;
  CryptoPP::SHA256::InitState(state);
  CryptoPP::SHA256::Transform(state, words);

  DigestWords out;
  for (int i = 0; i < 8; ++i) out[i] = state[i];
  return out;
}

Hash256 Sha256dMidstate::to_hash(const DigestWords& words) {
  Hash256 out;
  for (int i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, words[i]);
  return out;
}

Hash256 Sha256dMidstate::hash(ByteSpan tail) const { return to_hash(hash_words(prepare_tail(tail))); }

}  // namespace tally::crypto
