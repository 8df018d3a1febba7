#include "crypto/base64.h"

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>

namespace tally::crypto {

std::string base64_encode(std::string_view data) {
  std::string out;
  CryptoPP::StringSource source(reinterpret_cast<const CryptoPP::byte*>(data.data()), data.size(), true,
                                new CryptoPP::Base64Encoder(new CryptoPP::StringSink(out), /*insertLineBreaks=*/false));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // Crypto++'s decoder skips characters outside the alphabet; strictness comes from asking
  // that the input be exactly the encoding of what it decodes to.
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  CryptoPP::StringSource source(reinterpret_cast<const CryptoPP::byte*>(text.data()), text.size(), true,
                                new CryptoPP::Base64Decoder(new CryptoPP::StringSink(out)));
  if (base64_encode(out) != text) return std::nullopt;
  return out;
}

}  // namespace tally::crypto
