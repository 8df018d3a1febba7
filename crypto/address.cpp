#include "crypto/address.h"

#include "crypto/bech32m.h"
#include "crypto/ripemd160.h"

namespace tally::crypto {

Address address_of(const PublicKey& key) { return Address::from_span(hash160(key.span()).span()); }

const char* to_string(AddressError e) {
  switch (e) {
    case AddressError::kTooLong: return "address is too long";
    case AddressError::kMixedCase: return "address mixes upper and lower case";
    case AddressError::kInvalidCharacter: return "address has an invalid character";
    case AddressError::kNoSeparator: return "address has no '1' separator or no prefix";
    case AddressError::kBadChecksum: return "address checksum does not match (typo?)";
    case AddressError::kWrongPrefix: return "address is for another chain (wrong prefix)";
    case AddressError::kWrongLength: return "address does not carry 20 bytes";
  }
  return "unknown address error";
}

std::string encode_address(const Address& address, std::string_view hrp) {
  auto five = convert_bits(std::vector<std::uint8_t>(address.begin(), address.end()), 8, 5, true);
  return bech32m_encode(hrp, *five);  // 8 -> 5 with padding cannot fail
}

std::expected<Address, AddressError> decode_address(std::string_view text, std::string_view hrp) {
  auto decoded = bech32m_decode(text);
  if (!decoded) {
    switch (decoded.error()) {
      case Bech32Error::kTooLong: return std::unexpected(AddressError::kTooLong);
      case Bech32Error::kMixedCase: return std::unexpected(AddressError::kMixedCase);
      case Bech32Error::kInvalidCharacter: return std::unexpected(AddressError::kInvalidCharacter);
      case Bech32Error::kNoSeparator: return std::unexpected(AddressError::kNoSeparator);
      case Bech32Error::kTooShort: return std::unexpected(AddressError::kWrongLength);
      case Bech32Error::kBadChecksum: return std::unexpected(AddressError::kBadChecksum);
    }
  }
  std::string want;
  for (char c : hrp) want.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  if (decoded->hrp != want) return std::unexpected(AddressError::kWrongPrefix);
  auto bytes = convert_bits(decoded->data, 5, 8, false);
  if (!bytes || bytes->size() != Address::kSize) return std::unexpected(AddressError::kWrongLength);
  return Address::from_span(*bytes);
}

}  // namespace tally::crypto
