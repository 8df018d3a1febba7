#include "crypto/bech32m.h"

namespace tally::crypto {

namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::uint32_t kBech32mConst = 0x2bc830a3;
constexpr std::size_t kMaxLength = 90;

int charset_index(char c) {
  for (int i = 0; i < 32; ++i)
    if (kCharset[i] == c) return i;
  return -1;
}

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  static constexpr std::uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    const std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; ++i)
      if ((top >> i) & 1) chk ^= kGen[i];
  }
  return chk;
}

std::vector<std::uint8_t> expand_hrp(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  out.reserve(hrp.size() * 2 + 1);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) & 31);
  return out;
}

}  // namespace

const char* to_string(Bech32Error e) {
  switch (e) {
    case Bech32Error::kTooLong: return "bech32m string is longer than 90 characters";
    case Bech32Error::kMixedCase: return "bech32m string mixes upper and lower case";
    case Bech32Error::kInvalidCharacter: return "bech32m string has an invalid character";
    case Bech32Error::kNoSeparator: return "bech32m string has no separator or an empty prefix";
    case Bech32Error::kTooShort: return "bech32m string is too short for its checksum";
    case Bech32Error::kBadChecksum: return "bech32m checksum does not match";
  }
  return "unknown bech32m error";
}

std::string bech32m_encode(std::string_view hrp, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> values = expand_hrp(hrp);
  values.insert(values.end(), data.begin(), data.end());
  values.insert(values.end(), 6, 0);
  const std::uint32_t mod = polymod(values) ^ kBech32mConst;
  std::string out(hrp);
  out.push_back('1');
  for (std::uint8_t d : data) out.push_back(kCharset[d]);
  for (int i = 0; i < 6; ++i) out.push_back(kCharset[(mod >> (5 * (5 - i))) & 31]);
  return out;
}

std::expected<Bech32Decoded, Bech32Error> bech32m_decode(std::string_view text) {
  if (text.size() > kMaxLength) return std::unexpected(Bech32Error::kTooLong);
  bool lower = false, upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return std::unexpected(Bech32Error::kInvalidCharacter);
    if (c >= 'a' && c <= 'z') lower = true;
    if (c >= 'A' && c <= 'Z') upper = true;
  }
  if (lower && upper) return std::unexpected(Bech32Error::kMixedCase);
  const std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos || sep == 0) return std::unexpected(Bech32Error::kNoSeparator);
  if (text.size() - sep - 1 < 6) return std::unexpected(Bech32Error::kTooShort);

  Bech32Decoded out;
  out.hrp.reserve(sep);
  for (std::size_t i = 0; i < sep; ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.hrp.push_back(c);
  }
  std::vector<std::uint8_t> values;
  values.reserve(text.size() - sep - 1);
  for (std::size_t i = sep + 1; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const int v = charset_index(c);
    if (v < 0) return std::unexpected(Bech32Error::kInvalidCharacter);
    values.push_back(static_cast<std::uint8_t>(v));
  }
  std::vector<std::uint8_t> check = expand_hrp(out.hrp);
  check.insert(check.end(), values.begin(), values.end());
  if (polymod(check) != kBech32mConst) return std::unexpected(Bech32Error::kBadChecksum);
  out.data.assign(values.begin(), values.end() - 6);
  return out;
}

std::expected<std::vector<std::uint8_t>, Bech32Error> convert_bits(const std::vector<std::uint8_t>& in,
                                                                   int from_bits, int to_bits, bool pad) {
  std::uint32_t acc = 0;
  int bits = 0;
  const std::uint32_t maxv = (1u << to_bits) - 1;
  std::vector<std::uint8_t> out;
  out.reserve(in.size() * static_cast<std::size_t>(from_bits) / static_cast<std::size_t>(to_bits) + 1);
  for (std::uint8_t v : in) {
    if ((v >> from_bits) != 0) return std::unexpected(Bech32Error::kInvalidCharacter);
    acc = (acc << from_bits) | v;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & maxv));
    }
  }
  if (pad) {
    if (bits > 0) out.push_back(static_cast<std::uint8_t>((acc << (to_bits - bits)) & maxv));
  } else if (bits >= from_bits || ((acc << (to_bits - bits)) & maxv) != 0) {
    return std::unexpected(Bech32Error::kInvalidCharacter);
  }
  return out;
}

}  // namespace tally::crypto
