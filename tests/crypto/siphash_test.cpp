// SipHash-2-4 against the reference vectors of the SipHash paper (Aumasson and Bernstein,
// 2012, appendix A and the reference implementation's vectors.h): key 00 01 .. 0f, message
// 00 01 .. (n-1) bytes.
#include <gtest/gtest.h>

#include <numeric>

#include "crypto/siphash.h"

namespace tally::crypto {
namespace {

SipHashKey reference_key() {
  SipHashKey k{};
  std::iota(k.begin(), k.end(), std::uint8_t{0});
  return k;
}

std::uint64_t reference_hash(std::size_t n) {
  Bytes msg(n);
  std::iota(msg.begin(), msg.end(), std::uint8_t{0});
  return siphash24(reference_key(), msg);
}

TEST(SipHash, ReferenceVectors) {
  EXPECT_EQ(reference_hash(0), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(reference_hash(15), 0xa129ca6149be45e5ULL);  // the paper's worked example
}

TEST(SipHash, KeyAndMessageBothMatter) {
  SipHashKey other = reference_key();
  other[15] ^= 1;
  Bytes msg(32, 7);
  EXPECT_NE(siphash24(reference_key(), msg), siphash24(other, msg));
  Bytes msg2 = msg;
  msg2[31] ^= 1;
  EXPECT_NE(siphash24(reference_key(), msg), siphash24(reference_key(), msg2));
}

}  // namespace
}  // namespace tally::crypto
