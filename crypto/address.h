// Account addresses: the 20-byte Hash160 of an x-only public key, written as bech32m with
// the chain spec's human-readable prefix (e.g. "tly1..."). Pure functions, thread-safe.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "crypto/bytes.h"
#include "crypto/keys.h"

namespace tally::crypto {

struct AddressTag;
using Address = FixedBytes<20, AddressTag>;

Address address_of(const PublicKey& key);

enum class AddressError {
  kTooLong,
  kMixedCase,
  kInvalidCharacter,
  kNoSeparator,
  kBadChecksum,
  kWrongPrefix,  // valid bech32m, but for another chain
  kWrongLength,  // valid bech32m, but not 20 bytes of payload
};
const char* to_string(AddressError e);

std::string encode_address(const Address& address, std::string_view hrp);
// Accepts all-lower or all-upper case; the prefix must equal `hrp` (compared lower case).
[[nodiscard]] std::expected<Address, AddressError> decode_address(std::string_view text, std::string_view hrp);

}  // namespace tally::crypto
