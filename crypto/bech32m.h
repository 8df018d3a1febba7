// Bech32m (BIP350) encoding of a human-readable part and 5-bit data. Pure functions.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace tally::crypto {

enum class Bech32Error {
  kTooLong,           // more than 90 characters
  kMixedCase,         // upper and lower case letters mixed
  kInvalidCharacter,  // outside US-ASCII 33..126, or not in the data alphabet
  kNoSeparator,       // no '1', or an empty human-readable part
  kTooShort,          // fewer than 6 checksum characters after the separator
  kBadChecksum,       // checksum is not the Bech32m constant (includes Bech32 strings)
};
const char* to_string(Bech32Error e);

struct Bech32Decoded {
  std::string hrp;                 // lower case
  std::vector<std::uint8_t> data;  // 5-bit values, checksum removed
};

// REQUIRES: hrp is 1..83 lower-case printable characters; every data value < 32.
std::string bech32m_encode(std::string_view hrp, const std::vector<std::uint8_t>& data);
[[nodiscard]] std::expected<Bech32Decoded, Bech32Error> bech32m_decode(std::string_view text);

// Regroups bits, e.g. 8-bit bytes to 5-bit groups (pad = true) and back (pad = false).
// Returns nullopt-like failure (empty expected) on non-zero padding or excess padding.
[[nodiscard]] std::expected<std::vector<std::uint8_t>, Bech32Error> convert_bits(
    const std::vector<std::uint8_t>& in, int from_bits, int to_bits, bool pad);

}  // namespace tally::crypto
