// base/units.h: durations and rates as people type them, and the values that must be refused.
#include "base/units.h"

#include <gtest/gtest.h>

namespace tally::base {
namespace {

TEST(Units, DurationsInEveryUnit) {
  EXPECT_EQ(parse_duration_ms("50ms"), 50);
  EXPECT_EQ(parse_duration_ms("20"), 20);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(parse_duration_ms("2500us"), 2);
  EXPECT_EQ(parse_duration_ms("2m"), 120'000);
  EXPECT_EQ(parse_duration_ms("1min"), 60'000);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000);
  EXPECT_EQ(parse_duration_ms("1000000000s"), 1'000'000'000'000);
}

TEST(Units, RatesInEveryUnit) {
  EXPECT_EQ(parse_rate("10mbit"), 1'250'000u);
  EXPECT_EQ(parse_rate("512kbit"), 64'000u);
  EXPECT_EQ(parse_rate("1gbit"), 125'000'000u);
  EXPECT_EQ(parse_rate("2mbyte"), 2'000'000u);
  EXPECT_EQ(parse_rate("3kbyte"), 3'000u);
  EXPECT_EQ(parse_rate("100000"), 100'000u);
  EXPECT_EQ(parse_rate("7bps"), 7u);
  EXPECT_EQ(parse_rate("8000000gbit"), 1'000'000'000'000'000u);
}

TEST(Units, BadTextIsRefused) {
  EXPECT_FALSE(parse_duration_ms(""));
  EXPECT_FALSE(parse_duration_ms("fast"));
  EXPECT_FALSE(parse_duration_ms("5 parsecs"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
  EXPECT_FALSE(parse_rate("10 parsecs"));
  EXPECT_FALSE(parse_rate("-1mbit"));
  EXPECT_FALSE(parse_rate("1e400mbit"));  // std::stod: out of range
}

// Found by the scenario_parse fuzz target (UBSan: a double outside the range of the integer
// it was converted to): huge values, infinities and NaN are refused, not converted.
TEST(Units, HugeAndNonFiniteValuesAreRefused) {
  for (const char* text : {"2.2e100mbit", "1e16", "8000001gbit", "inf", "infinitymbit", "nan", "NANkbit", "-nan"}) {
    auto r = parse_rate(text);
    EXPECT_FALSE(r) << text << " -> " << *r;
  }
  for (const char* text : {"1e300s", "1000000001s", "1e13", "9.3e18", "inf", "infs", "nan", "nanms", "-nan", "1e20h"}) {
    auto d = parse_duration_ms(text);
    EXPECT_FALSE(d) << text << " -> " << *d;
  }
  EXPECT_EQ(parse_rate("2.2e100mbit").error(), "rate '2.2e100mbit' is too large (at most 8000000gbit)");
  EXPECT_EQ(parse_duration_ms("1e300s").error(), "duration '1e300s' is too large (at most 1000000000s)");
  EXPECT_EQ(parse_duration_ms("nan").error(), "bad duration 'nan' (e.g. 50ms, 1s)");
}

}  // namespace
}  // namespace tally::base
