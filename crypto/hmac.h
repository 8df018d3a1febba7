// HMAC-SHA256 and HKDF-SHA256 (RFC 2104, RFC 5869) through Crypto++.
#pragma once

#include <expected>

#include "crypto/bytes.h"

namespace tally::crypto {

Hash256 hmac_sha256(ByteSpan key, ByteSpan message);

enum class HkdfError { kOutputTooLong };

// RFC 5869 extract-and-expand. length <= 255 * 32.
[[nodiscard]] std::expected<Bytes, HkdfError> hkdf_sha256(ByteSpan secret, ByteSpan salt, ByteSpan info,
                                                          std::size_t length);

}  // namespace tally::crypto
