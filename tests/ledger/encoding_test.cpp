#include "ledger/encoding.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "ledger_test_util.h"

namespace tally::ledger {
namespace {

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

Bytes encode_compact(std::uint64_t v) {
  Writer w;
  w.compact_size(v);
  return w.take();
}

std::expected<std::uint64_t, DecodeError> decode_compact(const Bytes& in, std::uint64_t max = kNoLimit) {
  Reader r(in);
  auto v = r.compact_size(max);
  if (v) {
    EXPECT_EQ(r.remaining(), 0u) << "compact-size must consume exactly its own bytes";
  }
  return v;
}

TEST(CompactSize, BoundaryValuesRoundTripWithTheirLength) {
  struct Case {
    std::uint64_t value;
    std::size_t length;
    std::uint8_t prefix;  // first byte
  };
  const Case cases[] = {
      {0, 1, 0x00},
      {1, 1, 0x01},
      {0xfc, 1, 0xfc},
      {0xfd, 3, 0xfd},
      {0xffff, 3, 0xfd},
      {0x10000, 5, 0xfe},
      {0xffffffff, 5, 0xfe},
      {0x100000000, 9, 0xff},
      {kNoLimit, 9, 0xff},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    const Bytes enc = encode_compact(c.value);
    ASSERT_EQ(enc.size(), c.length);
    EXPECT_EQ(enc[0], c.prefix);
    // The value follows the prefix little-endian.
    if (c.length > 1) {
      EXPECT_EQ(test_util::load_le(enc, 1, c.length - 1), c.value);
    }
    auto dec = decode_compact(enc);
    ASSERT_TRUE(dec.has_value()) << to_string(dec.error());
    EXPECT_EQ(*dec, c.value);
  }
}

TEST(CompactSize, ExactBytesOfKnownValues) {
  EXPECT_EQ(encode_compact(0xfd), (Bytes{0xfd, 0xfd, 0x00}));
  EXPECT_EQ(encode_compact(0x1234), (Bytes{0xfd, 0x34, 0x12}));
  EXPECT_EQ(encode_compact(0x12345678), (Bytes{0xfe, 0x78, 0x56, 0x34, 0x12}));
  EXPECT_EQ(encode_compact(0x0102030405060708), (Bytes{0xff, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
}

TEST(CompactSize, EveryNonMinimalFormIsRejected) {
  const Bytes non_minimal[] = {
      {0xfd, 0x00, 0x00},                                      // 0 in 3 bytes
      {0xfd, 0xfc, 0x00},                                      // 0xfc in 3 bytes (largest 1-byte value)
      {0xfe, 0x00, 0x00, 0x00, 0x00},                          // 0 in 5 bytes
      {0xfe, 0xfc, 0x00, 0x00, 0x00},                          // 1-byte value in 5 bytes
      {0xfe, 0xff, 0xff, 0x00, 0x00},                          // 0xffff in 5 bytes
      {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // 0 in 9 bytes
      {0xff, 0xfc, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // 1-byte value in 9 bytes
      {0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},  // 3-byte value in 9 bytes
      {0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00},  // 0xffffffff in 9 bytes
  };
  for (const Bytes& in : non_minimal) {
    SCOPED_TRACE(::testing::PrintToString(in));
    auto dec = decode_compact(in);
    ASSERT_FALSE(dec.has_value());
    EXPECT_EQ(dec.error(), DecodeError::kNonMinimalSize);
    // Also under the default limit: minimality is checked first.
    Reader r(in);
    auto dec_default = r.compact_size();
    ASSERT_FALSE(dec_default.has_value());
    EXPECT_EQ(dec_default.error(), DecodeError::kNonMinimalSize);
  }
}

TEST(CompactSize, SmallestValueOfEachWidthIsAccepted) {
  EXPECT_EQ(decode_compact({0xfd, 0xfd, 0x00}), 0xfdu);
  EXPECT_EQ(decode_compact({0xfe, 0x00, 0x00, 0x01, 0x00}), 0x10000u);
  EXPECT_EQ(decode_compact({0xff, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}), 0x100000000u);
}

TEST(CompactSize, ValuesAboveTheLimitAreRejected) {
  // The default limit is kMaxCompactSize (32 MiB).
  EXPECT_EQ(decode_compact(encode_compact(kMaxCompactSize), kMaxCompactSize), kMaxCompactSize);
  for (std::uint64_t v : {kMaxCompactSize + 1, std::uint64_t{0xffffffff}, std::uint64_t{0x100000000}, kNoLimit}) {
    SCOPED_TRACE(v);
    const Bytes enc = encode_compact(v);
    Reader r(enc);
    auto dec = r.compact_size();
    ASSERT_FALSE(dec.has_value());
    EXPECT_EQ(dec.error(), DecodeError::kSizeTooLarge);
  }
  // A caller-given limit, including one inside the 1-byte range.
  EXPECT_EQ(decode_compact(encode_compact(10), 10), 10u);
  EXPECT_EQ(decode_compact(encode_compact(11), 10).error(), DecodeError::kSizeTooLarge);
  EXPECT_EQ(decode_compact(encode_compact(0x10000), 0xffff).error(), DecodeError::kSizeTooLarge);
  EXPECT_EQ(decode_compact(encode_compact(1), 0).error(), DecodeError::kSizeTooLarge);
}

TEST(CompactSize, TruncatedFormsAreRejected) {
  for (std::uint64_t v : {std::uint64_t{0xfd}, std::uint64_t{0x10000}, std::uint64_t{0x100000000}}) {
    const Bytes enc = encode_compact(v);
    for (std::size_t cut = 0; cut < enc.size(); ++cut) {
      SCOPED_TRACE("value " + std::to_string(v) + " cut at " + std::to_string(cut));
      const Bytes part(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(cut));
      Reader r(part);
      auto dec = r.compact_size(kNoLimit);
      ASSERT_FALSE(dec.has_value());
      EXPECT_EQ(dec.error(), DecodeError::kTruncated);
    }
  }
}

TEST(CompactSize, RandomValuesRoundTripCanonically) {
  const std::uint64_t seed = test_util::testing_seed();
  SCOPED_TRACE(test_util::seed_trace(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    // Spread over every width: a random value shifted right by 0..63 bits.
    const std::uint64_t v = rng() >> (rng() % 64);
    const Bytes enc = encode_compact(v);
    auto dec = decode_compact(enc);
    ASSERT_TRUE(dec.has_value()) << v;
    ASSERT_EQ(*dec, v);
    ASSERT_EQ(encode_compact(*dec), enc);
  }
}

TEST(Encoding, FixedWidthIntegersAreLittleEndian) {
  Writer w;
  w.u8(0x01);
  w.u16(0x0302);
  w.u32(0x07060504);
  w.u64(0x0f0e0d0c0b0a0908);
  const Bytes expected = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
  ASSERT_EQ(w.data(), expected);

  Reader r(expected);
  EXPECT_EQ(r.u8(), 0x01u);
  EXPECT_EQ(r.u16(), 0x0302u);
  EXPECT_EQ(r.u32(), 0x07060504u);
  EXPECT_EQ(r.u64(), 0x0f0e0d0c0b0a0908u);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_TRUE(r.expect_end().has_value());
  EXPECT_EQ(r.u8().error(), DecodeError::kTruncated);
}

TEST(Encoding, ShortReadsFailWithoutConsuming) {
  const Bytes in = {0xaa, 0xbb, 0xcc};
  Reader r(in);
  EXPECT_EQ(r.u32().error(), DecodeError::kTruncated);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_EQ(r.u64().error(), DecodeError::kTruncated);
  EXPECT_EQ(r.bytes(4).error(), DecodeError::kTruncated);
  EXPECT_EQ(r.u16(), 0xbbaau);
  EXPECT_EQ(r.u16().error(), DecodeError::kTruncated);
  EXPECT_EQ(r.position(), 2u);
  EXPECT_EQ(r.expect_end().error(), DecodeError::kTrailingBytes);
}

TEST(Encoding, VarBytesRoundTripAndLimits) {
  const Bytes payload = {1, 2, 3, 4, 5};
  Writer w;
  w.var_bytes(payload);
  ASSERT_EQ(w.data().size(), 6u);
  EXPECT_EQ(w.data()[0], 5u);

  Reader ok(w.data());
  EXPECT_EQ(ok.var_bytes(5), payload);
  EXPECT_TRUE(ok.expect_end().has_value());

  Reader too_long(w.data());
  EXPECT_EQ(too_long.var_bytes(4).error(), DecodeError::kSizeTooLarge);

  // A length that claims more than the input holds fails before allocating it.
  const Bytes lying = {0xfe, 0x00, 0x00, 0x00, 0x01, 0xaa};  // 16 MiB claimed, 1 byte present
  Reader truncated(lying);
  EXPECT_EQ(truncated.var_bytes(kMaxCompactSize).error(), DecodeError::kTruncated);
}

TEST(Encoding, ErrorsHaveDistinctDescriptions) {
  const DecodeError all[] = {DecodeError::kTruncated, DecodeError::kTrailingBytes, DecodeError::kNonMinimalSize,
                             DecodeError::kSizeTooLarge, DecodeError::kInvalidValue};
  for (std::size_t i = 0; i < std::size(all); ++i)
    for (std::size_t j = i + 1; j < std::size(all); ++j)
      EXPECT_STRNE(to_string(all[i]), to_string(all[j]));
}

}  // namespace
}  // namespace tally::ledger
