// Bech32m against the BIP350 test vectors, and Tally addresses built on it.
#include "crypto/bech32m.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/address.h"
#include "crypto/hex.h"
#include "crypto/keys.h"
#include "crypto/ripemd160.h"

namespace tally::crypto {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// ---------------------------------------------------------------------------------------
// BIP350 "Test vectors for Bech32m".

constexpr std::string_view kValidBech32m[] = {
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
};

TEST(Bech32m, Bip350ValidStringsDecodeAndReencode) {
  for (std::string_view text : kValidBech32m) {
    SCOPED_TRACE(text);
    auto decoded = bech32m_decode(text);
    ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
    EXPECT_EQ(decoded->hrp, lower(text.substr(0, text.rfind('1'))));
    EXPECT_EQ(bech32m_encode(decoded->hrp, decoded->data), lower(text));
  }
}

TEST(Bech32m, Bip350ValidStringsAreKnownShapes) {
  auto a = bech32m_decode("A1LQFN3A");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->hrp, "a");
  EXPECT_TRUE(a->data.empty());
  auto long_hrp = bech32m_decode(kValidBech32m[2]);
  ASSERT_TRUE(long_hrp.has_value());
  EXPECT_EQ(long_hrp->hrp.size(), 83u);
  EXPECT_EQ(kValidBech32m[2].size(), 90u);  // the maximum length is accepted
  auto ones = bech32m_decode(kValidBech32m[4]);
  ASSERT_TRUE(ones.has_value());
  EXPECT_EQ(ones->hrp, "1");  // the separator is the last '1'
  EXPECT_EQ(ones->data, std::vector<std::uint8_t>(82, 31));
}

struct InvalidCase {
  std::string text;
  Bech32Error error;
  std::string_view reason;  // as BIP350 states it
};

std::vector<InvalidCase> bip350_invalid() {
  return {
      {std::string(1, '\x20') + "1xj0phk", Bech32Error::kInvalidCharacter, "HRP character out of range"},
      {std::string(1, '\x7f') + "1g6xzxy", Bech32Error::kInvalidCharacter, "HRP character out of range"},
      {std::string(1, static_cast<char>(0x80)) + "1vctc34", Bech32Error::kInvalidCharacter,
       "HRP character out of range"},
      {"an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
       Bech32Error::kTooLong, "overall max length exceeded"},
      {"qyrz8wqd2c9m", Bech32Error::kNoSeparator, "No separator character"},
      {"1qyrz8wqd2c9m", Bech32Error::kNoSeparator, "Empty HRP"},
      {"y1b0jsk6g", Bech32Error::kInvalidCharacter, "Invalid data character"},
      {"lt1igcx5c0", Bech32Error::kInvalidCharacter, "Invalid data character"},
      {"in1muywd", Bech32Error::kTooShort, "Too short checksum"},
      {"mm1crxm3i", Bech32Error::kInvalidCharacter, "Invalid character in checksum"},
      {"au1s5cgom", Bech32Error::kInvalidCharacter, "Invalid character in checksum"},
      {"M1VUXWEZ", Bech32Error::kBadChecksum, "checksum calculated with uppercase form of HRP"},
      {"16plkw9", Bech32Error::kNoSeparator, "empty HRP"},
      {"1p2gdwpf", Bech32Error::kNoSeparator, "empty HRP"},
  };
}

TEST(Bech32m, Bip350InvalidStringsFailWithTheirReason) {
  for (const InvalidCase& c : bip350_invalid()) {
    SCOPED_TRACE(testing::Message() << to_hex(ByteSpan(reinterpret_cast<const std::uint8_t*>(c.text.data()),
                                                       c.text.size()))
                                    << " (" << c.reason << ")");
    auto decoded = bech32m_decode(c.text);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error(), c.error) << to_string(decoded.error());
  }
}

TEST(Bech32m, MixedCaseIsRejected) {
  EXPECT_EQ(bech32m_decode("A1lqfn3a").error(), Bech32Error::kMixedCase);
  EXPECT_EQ(bech32m_decode("a1LQFN3A").error(), Bech32Error::kMixedCase);
  // BIP350 segwit vector "Mixed case".
  EXPECT_EQ(bech32m_decode("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq").error(),
            Bech32Error::kMixedCase);
}

TEST(Bech32m, Bech32StringsFailTheChecksum) {
  // BIP173 valid Bech32 strings: the other constant, so never valid Bech32m.
  EXPECT_EQ(bech32m_decode("A12UEL5L").error(), Bech32Error::kBadChecksum);
  EXPECT_EQ(bech32m_decode("a12uel5l").error(), Bech32Error::kBadChecksum);
  EXPECT_EQ(bech32m_decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw").error(), Bech32Error::kBadChecksum);
  // BIP350: valid v0 segwit addresses (Bech32) and "Bech32 instead of Bech32m".
  for (std::string_view text : {
           "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
           "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
           "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
           "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
           // Inherited from BIP173, so checksummed with Bech32.
           "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
           "bc1gmk9yu",
       }) {
    EXPECT_EQ(bech32m_decode(text).error(), Bech32Error::kBadChecksum) << text;
  }
}

TEST(Bech32m, Bip350SegwitVectorsAtTheStringLevel) {
  // These carry a valid Bech32m checksum; their flaws (if any) are segwit-level, which
  // this layer does not judge.
  for (std::string_view text : {
           "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
           "BC1SW50QGDZ25J",
           "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
           "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
           "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",   // wrong hrp
           "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",                        // v0 with Bech32m
           "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",   // v0 with Bech32m
           "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",   // bad version
           "bc1pw5dgrnzv",                                                      // 1-byte program
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
       }) {
    auto decoded = bech32m_decode(text);
    ASSERT_TRUE(decoded.has_value()) << text << ": " << to_string(decoded.error());
    EXPECT_EQ(bech32m_encode(decoded->hrp, decoded->data), lower(text));
  }
  EXPECT_EQ(bech32m_decode("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4").error(),
            Bech32Error::kInvalidCharacter);
}

TEST(Bech32m, ConvertBitsRecoversTheWitnessProgram) {
  auto decoded = bech32m_decode("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0");
  ASSERT_TRUE(decoded.has_value());
  ASSERT_EQ(decoded->data.front(), 1);  // witness version
  const std::vector<std::uint8_t> program_5(decoded->data.begin() + 1, decoded->data.end());
  auto program = convert_bits(program_5, 5, 8, false);
  ASSERT_TRUE(program.has_value());
  EXPECT_EQ(to_hex(*program), "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  auto back = convert_bits(*program, 8, 5, true);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, program_5);
}

TEST(Bech32m, ConvertBitsRejectsBadPadding) {
  for (std::string_view text : {
           // "zero padding of more than 4 bits"
           "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
           // "Non-zero padding in 8-to-5 conversion"
           "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
       }) {
    auto decoded = bech32m_decode(text);
    ASSERT_TRUE(decoded.has_value()) << text;
    const std::vector<std::uint8_t> program_5(decoded->data.begin() + 1, decoded->data.end());
    EXPECT_FALSE(convert_bits(program_5, 5, 8, false).has_value()) << text;
  }
  // A value that does not fit the source width.
  EXPECT_FALSE(convert_bits({32}, 5, 8, true).has_value());
}

TEST(Bech32m, LengthLimits) {
  // 90 characters is the maximum; 91 fails before anything else is looked at.
  std::vector<std::uint8_t> data(90 - 2 - 6, 7);
  const std::string at_limit = bech32m_encode("a", data);
  ASSERT_EQ(at_limit.size(), 90u);
  EXPECT_TRUE(bech32m_decode(at_limit).has_value());
  data.push_back(7);
  EXPECT_EQ(bech32m_decode(bech32m_encode("a", data)).error(), Bech32Error::kTooLong);
  EXPECT_EQ(bech32m_decode("").error(), Bech32Error::kNoSeparator);
  EXPECT_EQ(bech32m_decode("a1").error(), Bech32Error::kTooShort);
}

TEST(Bech32m, EverySingleSubstitutionIsDetected) {
  const std::string good = bech32m_encode("tly", {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 31, 30, 29});
  constexpr std::string_view kCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
  for (std::size_t i = good.find('1') + 1; i < good.size(); ++i) {
    for (char c : kCharset) {
      if (c == good[i]) continue;
      std::string bad = good;
      bad[i] = c;
      EXPECT_EQ(bech32m_decode(bad).error(), Bech32Error::kBadChecksum) << bad;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Addresses.

constexpr std::string_view kHrp = "tly";

PublicKey test_public_key() {
  // BIP340 test vector 0's key (secret key 3).
  auto secret = SecretKey::from_bytes(from_hex("0000000000000000000000000000000000000000000000000000000000000003").value());
  return secret.value().public_key();
}

std::string payload_address(std::size_t payload_bytes) {
  std::vector<std::uint8_t> payload(payload_bytes, 0xab);
  return bech32m_encode(kHrp, convert_bits(payload, 8, 5, true).value());
}

TEST(Address, RoundTrip) {
  const PublicKey key = test_public_key();
  const Address address = address_of(key);
  EXPECT_EQ(address.span().size(), 20u);
  EXPECT_EQ(Hash160::from_span(address.span()), hash160(key.span()));

  const std::string text = encode_address(address, kHrp);
  EXPECT_EQ(text.substr(0, 4), "tly1");
  EXPECT_EQ(text.size(), 3u + 1u + 32u + 6u);  // hrp, '1', 160 bits in 5-bit groups, checksum
  auto decoded = decode_address(text, kHrp);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_EQ(*decoded, address);
  // The expected prefix is compared case-insensitively.
  EXPECT_EQ(decode_address(text, "TLY").value(), address);
}

TEST(Address, UpperCaseAddressDecodes) {
  const Address address = address_of(test_public_key());
  const std::string text = upper(encode_address(address, kHrp));
  auto decoded = decode_address(text, kHrp);
  ASSERT_TRUE(decoded.has_value()) << to_string(decoded.error());
  EXPECT_EQ(*decoded, address);
}

TEST(Address, DistinctErrors) {
  const Address address = address_of(test_public_key());
  const std::string good = encode_address(address, kHrp);
  const std::size_t data_start = good.find('1') + 1;

  EXPECT_EQ(decode_address(encode_address(address, "xyz"), kHrp).error(), AddressError::kWrongPrefix);
  EXPECT_EQ(decode_address(encode_address(address, "tl"), kHrp).error(), AddressError::kWrongPrefix);

  std::string flipped = good;
  flipped[data_start + 5] = flipped[data_start + 5] == 'q' ? 'p' : 'q';
  EXPECT_EQ(decode_address(flipped, kHrp).error(), AddressError::kBadChecksum);
  std::string flipped_checksum = good;
  flipped_checksum.back() = flipped_checksum.back() == 'q' ? 'p' : 'q';
  EXPECT_EQ(decode_address(flipped_checksum, kHrp).error(), AddressError::kBadChecksum);

  std::string mixed = good;
  mixed[0] = 'T';
  EXPECT_EQ(decode_address(mixed, kHrp).error(), AddressError::kMixedCase);

  EXPECT_EQ(decode_address(payload_address(19), kHrp).error(), AddressError::kWrongLength);
  EXPECT_EQ(decode_address(payload_address(21), kHrp).error(), AddressError::kWrongLength);
  EXPECT_TRUE(decode_address(payload_address(20), kHrp).has_value());
  EXPECT_EQ(decode_address("tly1qqqqq", kHrp).error(), AddressError::kWrongLength);  // checksum too short

  for (char c : {'b', 'i', 'o', '!'}) {
    std::string bad = good;
    bad[data_start + 3] = c;
    EXPECT_EQ(decode_address(bad, kHrp).error(), AddressError::kInvalidCharacter) << bad;
  }
  std::string control = good;
  control[data_start] = '\n';
  EXPECT_EQ(decode_address(control, kHrp).error(), AddressError::kInvalidCharacter);

  EXPECT_EQ(decode_address(good.substr(data_start), kHrp).error(), AddressError::kNoSeparator);
  EXPECT_EQ(decode_address(payload_address(60), kHrp).error(), AddressError::kTooLong);
}

TEST(Address, DifferentKeysGiveDifferentAddresses) {
  const Address a = address_of(test_public_key());
  const Address b = address_of(SecretKey::generate().public_key());
  EXPECT_NE(a, b);
  EXPECT_NE(encode_address(a, kHrp), encode_address(b, kHrp));
}

}  // namespace
}  // namespace tally::crypto
