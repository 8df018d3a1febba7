// support::test_seed: TALLY_SEED when set (decimal or hex), random otherwise, errors named.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "support/seed.h"

namespace tally::support {
namespace {

class SupportSeed : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* s = std::getenv(kSeedVariable)) old_ = s;
  }
  void TearDown() override {
    if (old_) ::setenv(kSeedVariable, old_->c_str(), 1);
    else ::unsetenv(kSeedVariable);
  }
  std::optional<std::string> old_;
};

TEST_F(SupportSeed, FromTheEnvironment) {
  ::setenv(kSeedVariable, "42", 1);
  auto s = test_seed();
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->value, 42u);
  EXPECT_EQ(s->trace, "TALLY_SEED=42");
  ::setenv(kSeedVariable, "0x10", 1);
  EXPECT_EQ(test_seed()->value, 16u);
  ::setenv(kSeedVariable, "18446744073709551615", 1);
  EXPECT_EQ(test_seed()->value, 18446744073709551615u);
}

TEST_F(SupportSeed, BadValuesAreErrors) {
  for (const char* bad : {"abc", "12x", "-1", "18446744073709551616"}) {
    ::setenv(kSeedVariable, bad, 1);
    auto s = test_seed();
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().find("TALLY_SEED"), std::string::npos) << s.error();
  }
}

TEST_F(SupportSeed, RandomWhenUnsetOrEmpty) {
  ::unsetenv(kSeedVariable);
  auto a = test_seed();
  auto b = test_seed();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->value, b->value);  // 2^-64 to fail
  EXPECT_EQ(a->trace, "TALLY_SEED=" + std::to_string(a->value));
  ::setenv(kSeedVariable, "", 1);
  EXPECT_TRUE(test_seed());
}

}  // namespace
}  // namespace tally::support
