#include "crypto/ripemd160.h"

#include <cryptopp/ripemd.h>

#include "crypto/sha256.h"

namespace tally::crypto {

Hash160 ripemd160(ByteSpan data) {
  Hash160 out;
  CryptoPP::RIPEMD160().CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

Hash160 hash160(ByteSpan data) { return ripemd160(sha256(data).span()); }

}  // namespace tally::crypto
