#include "crypto/hmac.h"

#include <cryptopp/hkdf.h>
#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

namespace tally::crypto {

Hash256 hmac_sha256(ByteSpan key, ByteSpan message) {
  CryptoPP::HMAC<CryptoPP::SHA256> mac(key.data(), key.size());
  Hash256 out;
  mac.CalculateDigest(out.data(), message.data(), message.size());
  return out;
}

std::expected<Bytes, HkdfError> hkdf_sha256(ByteSpan secret, ByteSpan salt, ByteSpan info, std::size_t length) {
  CryptoPP::HKDF<CryptoPP::SHA256> hkdf;
  if (length > hkdf.MaxDerivedKeyLength()) return std::unexpected(HkdfError::kOutputTooLong);
  Bytes out(length);
  hkdf.DeriveKey(out.data(), out.size(), secret.data(), secret.size(), salt.data(), salt.size(), info.data(),
                 info.size());
  return out;
}

}  // namespace tally::crypto
