// Fuzz target: crypto::decode_address with the prefix "tly" on arbitrary text.
// Invariants: never crashes; a decoded address re-encodes to the input in lower case (the
// bech32m data part of 20 bytes is canonical); every 20 bytes survive encode/decode.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/address.h"
#include "fuzz_check.h"

using namespace tally;

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto addr = crypto::decode_address(text, "tly");
  if (addr) {
    FUZZ_CHECK(crypto::encode_address(*addr, "tly") == lower(text));
    // The prefix is compared case-insensitively.
    auto again = crypto::decode_address(text, "TLY");
    FUZZ_CHECK(again && *again == *addr);
  }

  // Bytes to address and back.
  if (size >= crypto::Address::kSize) {
    const auto a = crypto::Address::from_span(crypto::ByteSpan(data, crypto::Address::kSize));
    const std::string s = crypto::encode_address(a, "tly");
    auto back = crypto::decode_address(s, "tly");
    FUZZ_CHECK(back && *back == a);
    auto wrong = crypto::decode_address(s, "tlz");
    FUZZ_CHECK(!wrong && wrong.error() == crypto::AddressError::kWrongPrefix);
  }
  return 0;
}
