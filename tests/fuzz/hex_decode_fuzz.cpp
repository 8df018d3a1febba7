// Fuzz target: crypto::from_hex on arbitrary text.
// Invariants: decoding succeeds only on even-length hex, yields half as many bytes and
// re-encodes to the input in lower case; to_hex output always decodes back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hex.h"
#include "fuzz_check.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto bytes = crypto::from_hex(text);
  if (bytes) {
    FUZZ_CHECK(size % 2 == 0 && bytes->size() == size / 2);
    std::string lower(text);
    for (char& c : lower)
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    FUZZ_CHECK(crypto::to_hex(*bytes) == lower);
  } else if (size % 2 != 0) {
    FUZZ_CHECK(bytes.error() == crypto::HexError::kOddLength);
  } else {
    FUZZ_CHECK(bytes.error() == crypto::HexError::kInvalidCharacter);
  }

  const std::string hex = crypto::to_hex(crypto::ByteSpan(data, size));
  FUZZ_CHECK(hex.size() == 2 * size);
  auto back = crypto::from_hex(hex);
  FUZZ_CHECK(back && std::equal(back->begin(), back->end(), data, data + size));

  // The fixed-size variant agrees with the general one.
  auto fixed = crypto::fixed_from_hex<crypto::Hash256>(text);
  if (size == 64) {
    FUZZ_CHECK(fixed.has_value() == bytes.has_value());
  } else {
    FUZZ_CHECK(!fixed && fixed.error() == crypto::HexError::kWrongLength);
  }
  return 0;
}
