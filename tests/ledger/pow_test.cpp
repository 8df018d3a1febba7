#include "ledger/pow.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tally::ledger {
namespace {

TEST(CompactTarget, KnownBitcoinValues) {
  // Bitcoin's genesis bits: 0x00000000ffff0000...0000
  const auto t = target_from_compact(0x1d00ffff);
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, Uint256(0xffff) << 208);
  EXPECT_EQ(compact_from_target(*t), 0x1d00ffffu);
  EXPECT_EQ(*target_from_compact(0x207fffff), Uint256(0x7fffff) << 232);
  EXPECT_EQ(*target_from_compact(0x01120000), Uint256(0x12));
  EXPECT_EQ(compact_from_target(Uint256(0x80)), 0x02008000u);  // sign bit avoided
}

TEST(CompactTarget, RejectsNegativeZeroAndOverflow) {
  EXPECT_FALSE(target_from_compact(0x04923456));  // sign bit
  EXPECT_FALSE(target_from_compact(0x1d000000));  // zero mantissa
  EXPECT_FALSE(target_from_compact(0x01003456));  // rounds to zero
  EXPECT_FALSE(target_from_compact(0xff123456));  // overflow
  EXPECT_FALSE(target_from_compact(0x21010000));  // 2^256
  EXPECT_TRUE(target_from_compact(0x2100ffff));   // just fits
}

TEST(CompactTarget, RoundTripsItsOwnOutput) {
  for (std::uint32_t bits : {0x1d00ffffu, 0x207fffffu, 0x1b0404cbu, 0x03123456u, 0x1f00ffffu}) {
    EXPECT_EQ(compact_from_target(*target_from_compact(bits)), bits);
  }
}

TEST(Work, IsTwoTo256OverTargetPlusOne) {
  EXPECT_EQ(work_from_compact(0x1d00ffff), Uint256(0x100010001ull));
  EXPECT_EQ(work_from_compact(0x207fffff), Uint256(2));
  EXPECT_EQ(work_from_compact(0x1d000000), Uint256(0));  // invalid bits carry no work
}

TEST(ProofOfWork, ComparesHashAsBigEndianNumber) {
  const Uint256 limit = *target_from_compact(0x207fffff);
  crypto::Hash256 h{};
  h.bytes[0] = 0x7f;
  h.bytes[1] = 0xff;
  h.bytes[2] = 0xff;  // == 0x7fffff << 232 exactly
  EXPECT_TRUE(check_proof_of_work(h, 0x207fffff, limit));
  h.bytes[31] = 1;  // one more than the target
  EXPECT_FALSE(check_proof_of_work(h, 0x207fffff, limit));
  crypto::Hash256 zero{};
  EXPECT_FALSE(check_proof_of_work(zero, 0x2100ffff, limit));  // target above the limit
  EXPECT_FALSE(check_proof_of_work(zero, 0x04923456, limit));  // malformed bits
}

AsertParams params() {
  return AsertParams{0x1f00ffff, 1'000'000, 0, 10, 100, *target_from_compact(0x207fffff)};
}

double target_ratio(std::uint32_t a, std::uint32_t b) {
  return (*target_from_compact(a)).convert_to<double>() / (*target_from_compact(b)).convert_to<double>();
}

TEST(Asert, OnScheduleKeepsAnchorTarget) {
  const auto p = params();
  EXPECT_EQ(asert_next_bits(p, 0, p.anchor_time), p.anchor_bits);
  EXPECT_EQ(asert_next_bits(p, 50, p.anchor_time + 500), p.anchor_bits);
}

TEST(Asert, OneHalfLifeBehindDoublesTargetAheadHalvesIt) {
  const auto p = params();
  EXPECT_NEAR(target_ratio(asert_next_bits(p, 10, p.anchor_time + 100 + 100), p.anchor_bits), 2.0, 1e-3);
  EXPECT_NEAR(target_ratio(asert_next_bits(p, 10, p.anchor_time + 100 - 100), p.anchor_bits), 0.5, 1e-3);
  EXPECT_NEAR(target_ratio(asert_next_bits(p, 10, p.anchor_time + 100 + 50), p.anchor_bits), std::sqrt(2.0), 1e-3);
}

TEST(Asert, ClampsToPowLimitAndToOne) {
  const auto p = params();
  EXPECT_EQ(asert_next_bits(p, 1, p.anchor_time + 100'000'000), compact_from_target(p.pow_limit));
  EXPECT_EQ(*target_from_compact(asert_next_bits(p, 1'000'000, p.anchor_time)), Uint256(1));
}

TEST(Asert, MonotoneInParentTime) {
  const auto p = params();
  std::uint32_t prev = asert_next_bits(p, 100, p.anchor_time);
  for (std::int64_t t = p.anchor_time; t < p.anchor_time + 3000; t += 7) {
    const std::uint32_t next = asert_next_bits(p, 100, t);
    EXPECT_GE(*target_from_compact(next), *target_from_compact(prev));
    prev = next;
  }
}

}  // namespace
}  // namespace tally::ledger
