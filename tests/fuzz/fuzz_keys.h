// Fixed secret keys for fuzz targets: every byte `fill` (0x11, 0x12, 0x21, 0x22 are BOLT 8's
// test keys), so the inputs of a target replay the same way everywhere.
#pragma once

#include <cstdint>

#include "crypto/keys.h"

inline tally::crypto::SecretKey fuzz_key(std::uint8_t fill) {
  std::uint8_t b[32];
  for (auto& x : b) x = fill;
  return *tally::crypto::SecretKey::from_bytes(tally::crypto::ByteSpan(b, 32));
}
