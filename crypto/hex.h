// Hexadecimal encoding of byte strings (lower case out, either case in).
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "crypto/bytes.h"

namespace tally::crypto {

enum class HexError { kOddLength, kInvalidCharacter, kWrongLength };
const char* to_string(HexError e);

std::string to_hex(ByteSpan data);
template <std::size_t N, class Tag>
std::string to_hex(const FixedBytes<N, Tag>& b) { return to_hex(b.span()); }

[[nodiscard]] std::expected<Bytes, HexError> from_hex(std::string_view hex);

// Decodes exactly Fixed::kSize bytes, e.g. fixed_from_hex<Hash256>(s).
template <class Fixed>
[[nodiscard]] std::expected<Fixed, HexError> fixed_from_hex(std::string_view hex) {
  constexpr std::size_t N = Fixed::kSize;
  if (hex.size() != 2 * N) return std::unexpected(HexError::kWrongLength);
  auto bytes = from_hex(hex);
  if (!bytes) return std::unexpected(bytes.error());
  return Fixed::from_span(*bytes);
}

}  // namespace tally::crypto
