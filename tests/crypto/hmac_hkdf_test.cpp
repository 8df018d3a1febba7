// HMAC-SHA256 (RFC 4231), HKDF-SHA256 (RFC 5869), RIPEMD-160 and Hash160, hex, randomness.
#include "crypto/hmac.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hex.h"
#include "crypto/random.h"
#include "crypto/ripemd160.h"
#include "crypto/sha256.h"

namespace tally::crypto {
namespace {

ByteSpan ascii(std::string_view s) { return ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

Bytes hex_bytes(std::string_view hex) {
  auto out = from_hex(hex);
  EXPECT_TRUE(out.has_value()) << "bad hex in test data: " << hex;
  return out.value_or(Bytes{});
}

// Bytes first, first + 1, ..., last.
Bytes byte_range(int first, int last) {
  Bytes out;
  for (int b = first; b <= last; ++b) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

// ---------------------------------------------------------------------------------------
// RFC 4231 section 4: HMAC-SHA-256 results. Test case 5 truncates the output, so it is
// not applicable to a full-length MAC.

struct HmacCase {
  int number;
  Bytes key;
  Bytes data;
  std::string_view mac;
};

std::vector<HmacCase> rfc4231_cases() {
  const auto text = [](std::string_view s) { return to_bytes(ascii(s)); };
  return {
      {1, Bytes(20, 0x0b), text("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {2, text("Jefe"), text("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {3, Bytes(20, 0xaa), Bytes(50, 0xdd), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {4, byte_range(0x01, 0x19), Bytes(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {6, Bytes(131, 0xaa), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {7, Bytes(131, 0xaa),
       text("This is a test using a larger than block-size key and a larger than block-size data. The key needs "
            "to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacSha256, Rfc4231) {
  for (const HmacCase& c : rfc4231_cases()) {
    EXPECT_EQ(to_hex(hmac_sha256(c.key, c.data)), c.mac) << "RFC 4231 test case " << c.number;
  }
}

TEST(HmacSha256, Rfc4231InputSizes) {
  // Guards the transcription of the cases above against the RFC's stated sizes.
  const auto cases = rfc4231_cases();
  EXPECT_EQ(cases[3].key.size(), 25u);
  EXPECT_EQ(cases[4].data.size(), 54u);
  EXPECT_EQ(cases[5].data.size(), 152u);
}

// ---------------------------------------------------------------------------------------
// RFC 5869 appendix A.1-A.3: HKDF-SHA256.

TEST(HkdfSha256, Rfc5869Case1Basic) {
  auto okm = hkdf_sha256(Bytes(22, 0x0b), byte_range(0x00, 0x0c), byte_range(0xf0, 0xf9), 42);
  ASSERT_TRUE(okm.has_value());
  EXPECT_EQ(to_hex(*okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfSha256, Rfc5869Case2LongerInputsAndOutput) {
  auto okm = hkdf_sha256(byte_range(0x00, 0x4f), byte_range(0x60, 0xaf), byte_range(0xb0, 0xff), 82);
  ASSERT_TRUE(okm.has_value());
  EXPECT_EQ(to_hex(*okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfSha256, Rfc5869Case3EmptySaltAndInfo) {
  auto okm = hkdf_sha256(Bytes(22, 0x0b), {}, {}, 42);
  ASSERT_TRUE(okm.has_value());
  EXPECT_EQ(to_hex(*okm), "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  // RFC 5869 2.2: a missing salt is HashLen zero bytes; an explicit one must agree.
  EXPECT_EQ(hkdf_sha256(Bytes(22, 0x0b), Bytes(32, 0x00), {}, 42), okm);
}

TEST(HkdfSha256, OutputLengthLimit) {
  auto longest = hkdf_sha256(ascii("secret"), ascii("salt"), ascii("info"), 255 * 32);
  ASSERT_TRUE(longest.has_value());
  EXPECT_EQ(longest->size(), 255u * 32u);
  // A shorter output is a prefix of a longer one (same PRK, same T(1), T(2), ...).
  auto short_okm = hkdf_sha256(ascii("secret"), ascii("salt"), ascii("info"), 40);
  ASSERT_TRUE(short_okm.has_value());
  EXPECT_TRUE(std::equal(short_okm->begin(), short_okm->end(), longest->begin()));

  auto too_long = hkdf_sha256(ascii("secret"), ascii("salt"), ascii("info"), 255 * 32 + 1);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error(), HkdfError::kOutputTooLong);
  EXPECT_EQ(hkdf_sha256(ascii("secret"), ascii("salt"), ascii("info"), std::size_t{1} << 40).error(),
            HkdfError::kOutputTooLong);

  auto empty = hkdf_sha256(ascii("secret"), ascii("salt"), ascii("info"), 0);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

// ---------------------------------------------------------------------------------------
// RIPEMD-160: the examples of the RIPEMD-160 page (Bosselaers), and Hash160.

TEST(Ripemd160, ReferenceExamples) {
  EXPECT_EQ(to_hex(ripemd160(ascii(""))), "9c1185a5c5e9fc54612808977ee8f548b2258d31");
  EXPECT_EQ(to_hex(ripemd160(ascii("a"))), "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe");
  EXPECT_EQ(to_hex(ripemd160(ascii("abc"))), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
  EXPECT_EQ(to_hex(ripemd160(ascii("message digest"))), "5d0689ef49d2fae572b881b123a85ffa21595f36");
  const std::string million(1'000'000, 'a');
  EXPECT_EQ(to_hex(ripemd160(ascii(million))), "52783243c1697bdbe16d37f97f68f08325dc1528");
}

TEST(Hash160, IsRipemd160OfSha256) {
  // The generator point G in compressed form; its Hash160 is the witness program of
  // BIP173's example address bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.
  const Bytes g = hex_bytes("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  EXPECT_EQ(to_hex(hash160(g)), "751e76e8199196d454941c45d1b3a323f1433bd6");
  EXPECT_EQ(hash160(ascii("abc")), ripemd160(sha256(ascii("abc")).span()));
}

// ---------------------------------------------------------------------------------------
// Hex.

TEST(Hex, RoundTripsEveryByte) {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
  const std::string text = to_hex(all);
  EXPECT_EQ(text.size(), 512u);
  EXPECT_EQ(text.substr(0, 8), "00010203");
  EXPECT_EQ(text.substr(504), "fcfdfeff");
  EXPECT_EQ(from_hex(text).value(), all);
}

TEST(Hex, AcceptsEitherCaseAndWritesLower) {
  EXPECT_EQ(from_hex("DeadBEEF").value(), (Bytes{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(to_hex(Bytes{0xde, 0xad, 0xbe, 0xef}), "deadbeef");
  EXPECT_TRUE(from_hex("").value().empty());
  EXPECT_EQ(to_hex(Bytes{}), "");
}

TEST(Hex, Errors) {
  EXPECT_EQ(from_hex("abc").error(), HexError::kOddLength);
  EXPECT_EQ(from_hex("0").error(), HexError::kOddLength);
  EXPECT_EQ(from_hex("zz").error(), HexError::kInvalidCharacter);
  EXPECT_EQ(from_hex("0g").error(), HexError::kInvalidCharacter);
  EXPECT_EQ(from_hex("g0").error(), HexError::kInvalidCharacter);
  EXPECT_EQ(from_hex("00 11").error(), HexError::kOddLength);
  EXPECT_EQ(from_hex("00 1").error(), HexError::kInvalidCharacter);
  EXPECT_EQ(from_hex("0x00").error(), HexError::kInvalidCharacter);
  EXPECT_EQ(from_hex(" 0").error(), HexError::kInvalidCharacter);
}

TEST(Hex, FixedFromHex) {
  const std::string hex64 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  auto hash = fixed_from_hex<Hash256>(hex64);
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(*hash, sha256(ascii("")));
  EXPECT_EQ(to_hex(*hash), hex64);
  EXPECT_EQ(fixed_from_hex<Hash256>(hex64.substr(2)).error(), HexError::kWrongLength);
  EXPECT_EQ(fixed_from_hex<Hash256>(hex64 + "00").error(), HexError::kWrongLength);
  EXPECT_EQ(fixed_from_hex<Hash256>(hex64.substr(1)).error(), HexError::kWrongLength);  // odd: length first
  EXPECT_EQ(fixed_from_hex<Hash256>("").error(), HexError::kWrongLength);
  std::string bad = hex64;
  bad[10] = 'x';
  EXPECT_EQ(fixed_from_hex<Hash256>(bad).error(), HexError::kInvalidCharacter);
  EXPECT_EQ(fixed_from_hex<Hash160>(hex64.substr(0, 40)).value().span().size(), 20u);
}

// ---------------------------------------------------------------------------------------
// Randomness: only smoke tests are possible; a failure here is a 2^-256 event.

TEST(Random, DrawsDifferAndAreNotZero) {
  std::array<std::uint8_t, 32> a{};
  std::array<std::uint8_t, 32> b{};
  random_bytes(a);
  random_bytes(b);
  EXPECT_NE(a, b);
  EXPECT_NE(a, (std::array<std::uint8_t, 32>{}));
  EXPECT_NE(b, (std::array<std::uint8_t, 32>{}));
  EXPECT_NE(random_u64(), random_u64());
}

TEST(Random, FillsLargeAndEmptyBuffers) {
  Bytes big(1 << 20, 0);
  random_bytes(big);
  std::size_t zeros = 0;
  for (std::uint8_t v : big) zeros += v == 0;
  EXPECT_LT(zeros, big.size() / 128);  // expected ~1/256 of the bytes
  random_bytes(std::span<std::uint8_t>());
}

}  // namespace
}  // namespace tally::crypto
