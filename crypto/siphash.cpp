#include "crypto/siphash.h"

#include <cryptopp/siphash.h>

namespace tally::crypto {

std::uint64_t siphash24(const SipHashKey& key, ByteSpan data) {
  CryptoPP::SipHash<2, 4, false> mac(key.data(), key.size());
  mac.Update(data.data(), data.size());
  std::array<std::uint8_t, 8> out{};
  mac.Final(out.data());
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | out[static_cast<std::size_t>(i)];
  return v;
}

}  // namespace tally::crypto
