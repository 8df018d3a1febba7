#include "crypto/hex.h"

namespace tally::crypto {

const char* to_string(HexError e) {
  switch (e) {
    case HexError::kOddLength: return "hex string has an odd number of digits";
    case HexError::kInvalidCharacter: return "hex string has a character that is not a hex digit";
    case HexError::kWrongLength: return "hex string has the wrong length";
  }
  return "unknown hex error";
}

std::string to_hex(ByteSpan data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(data.size() * 2, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

namespace {
int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::expected<Bytes, HexError> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::unexpected(HexError::kOddLength);
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit_value(hex[2 * i]);
    const int lo = digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::unexpected(HexError::kInvalidCharacter);
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

}  // namespace tally::crypto
