// SipHash-2-4 (Aumasson and Bernstein), 64-bit output, from Crypto++. Used to key the short
// transaction ids of compact blocks per block. Pure function; thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/bytes.h"

namespace tally::crypto {

using SipHashKey = std::array<std::uint8_t, 16>;  // k0 then k1, each little-endian

// The 64-bit SipHash-2-4 of data, as the little-endian number of its 8 output bytes.
std::uint64_t siphash24(const SipHashKey& key, ByteSpan data);

}  // namespace tally::crypto
