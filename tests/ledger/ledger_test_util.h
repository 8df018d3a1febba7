// Helpers shared by the ledger unit tests: the run's seed and random primitive values.
// Everything random derives from one seeded std::mt19937_64, so a failure reproduces with
// TALLY_SEED=<printed seed>.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "support/seed.h"
#include "ledger/block.h"

namespace tally::ledger::test_util {

inline constexpr std::uint64_t kDefaultSeed = 0x7a11'5eed'2024'0001;

// TALLY_SEED from the environment (decimal or 0x-hex), else a fixed default so CI runs
// are reproducible. Print it with SCOPED_TRACE(seed_trace(seed)).
inline std::uint64_t testing_seed() {
  if (const char* env = std::getenv(support::kSeedVariable); env != nullptr && *env != '\0') {
    if (auto seed = support::test_seed()) return seed->value;
  }
  return kDefaultSeed;
}
inline std::string seed_trace(std::uint64_t seed) { return "TALLY_SEED=" + std::to_string(seed); }

template <class Fixed>
Fixed random_fixed(std::mt19937_64& rng) {
  Fixed out;
  for (auto& b : out.bytes) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Integers biased towards boundaries (0, 1, max) so edge values are exercised often.
template <class Int>
Int random_int(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0: return 0;
    case 1: return 1;
    case 2: return static_cast<Int>(~Int{0});
    default: return static_cast<Int>(rng());
  }
}

// Random field values; the signature is random bytes, not a valid signature.
inline Transaction random_tx(std::mt19937_64& rng) {
  Transaction tx;
  tx.chain_id = random_int<std::uint32_t>(rng);
  tx.sender = random_fixed<PublicKey>(rng);
  tx.recipient = random_fixed<Address>(rng);
  tx.amount = random_int<Amount>(rng);
  tx.fee = random_int<Amount>(rng);
  tx.nonce = random_int<std::uint64_t>(rng);
  tx.signature = random_fixed<Signature>(rng);
  return tx;
}

inline BlockHeader random_header(std::mt19937_64& rng) {
  BlockHeader h;
  h.version = random_int<std::uint32_t>(rng);
  h.height = random_int<std::uint32_t>(rng);
  h.prev_hash = random_fixed<BlockHash>(rng);
  h.tx_root = random_fixed<Hash256>(rng);
  h.state_root = random_fixed<Hash256>(rng);
  h.time = random_int<std::uint32_t>(rng);
  h.bits = random_int<std::uint32_t>(rng);
  h.nonce = random_int<std::uint32_t>(rng);
  return h;
}

inline Block random_block(std::mt19937_64& rng, std::size_t max_txs) {
  Block b;
  b.header = random_header(rng);
  const std::size_t n = static_cast<std::size_t>(rng() % (max_txs + 1));
  b.txs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) b.txs.push_back(random_tx(rng));
  return b;
}

// Reads a little-endian integer of `n` bytes at `offset` (for checking field offsets).
inline std::uint64_t load_le(ByteSpan bytes, std::size_t offset, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{bytes[offset + i]} << (8 * i);
  return v;
}

}  // namespace tally::ledger::test_util
