// The devnet's starting-target calibration (devnet/calibrate.h): the target gives the asked
// interval at the given hash rate, is never easier than the spec's limit, and the measured
// hash rate is a plausible positive number.
#include "devnet/calibrate.h"

#include <gtest/gtest.h>

#include "ledger/pow.h"

namespace tally::devnet {
namespace {

constexpr std::uint32_t kPowLimit = 0x207fffff;

double expected_hashes(std::uint32_t bits) {
  return ledger::work_from_compact(bits).convert_to<double>();
}

TEST(Calibrate, TheTargetGivesTheAskedIntervalAtTheGivenRate) {
  for (double rate : {2e5, 3e6, 5e7}) {
    for (double interval : {1.0, 5.0, 600.0}) {
      const std::uint32_t bits = bits_for_interval(rate, interval, kPowLimit);
      // Compact form keeps 23 bits of mantissa: within a fraction of a percent.
      EXPECT_NEAR(expected_hashes(bits) / (rate * interval), 1.0, 0.01) << rate << " H/s, " << interval << " s";
    }
  }
}

TEST(Calibrate, NeverEasierThanThePowLimit) {
  EXPECT_EQ(bits_for_interval(1, 1, kPowLimit), kPowLimit);
  EXPECT_EQ(bits_for_interval(0, 5, kPowLimit), kPowLimit);
  EXPECT_EQ(bits_for_interval(-3, 5, kPowLimit), kPowLimit);
  const std::uint32_t hard_limit = 0x1e0fffff;  // the devnet spec's genesis target
  EXPECT_EQ(bits_for_interval(10, 1, hard_limit), hard_limit);
}

TEST(Calibrate, ThreadsAreCappedByCores) {
  EXPECT_EQ(effective_mining_threads(4, 2), 2.0);
  EXPECT_EQ(effective_mining_threads(1, 8), 1.0);
  EXPECT_EQ(effective_mining_threads(3, 0), 1.0) << "unknown core count: one";
}

TEST(Calibrate, HalfLifeIsAtMostTenIntervals) {
  EXPECT_EQ(calibrated_half_life_s(120, 1), 10);
  EXPECT_EQ(calibrated_half_life_s(120, 5), 50);
  EXPECT_EQ(calibrated_half_life_s(120, 600), 120);
  EXPECT_EQ(calibrated_half_life_s(5, 1), 5) << "never longer than the spec's";
}

TEST(Calibrate, MeasuresAPositiveHashRate) {
  const double rate = measure_hash_rate_per_thread(std::chrono::milliseconds(50));
  EXPECT_GT(rate, 1e3);
  EXPECT_LT(rate, 1e10);
}

}  // namespace
}  // namespace tally::devnet
