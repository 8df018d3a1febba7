// RollingHashSet: the per-peer memory of known inventory (p2p/peer.h).
#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "p2p/peer.h"

namespace tally::p2p {
namespace {

crypto::Hash256 h(std::uint32_t i) {
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8),
                             static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 24)};
  return crypto::sha256(crypto::ByteSpan(b, 4));
}

TEST(RollingHashSet, RemembersWhatWasInserted) {
  RollingHashSet s(100);
  for (std::uint32_t i = 0; i < 50; ++i) s.insert(h(i));
  for (std::uint32_t i = 0; i < 50; ++i) EXPECT_TRUE(s.contains(h(i))) << i;
  for (std::uint32_t i = 50; i < 100; ++i) EXPECT_FALSE(s.contains(h(i))) << i;
  EXPECT_EQ(s.size(), 50u);
}

TEST(RollingHashSet, ForgetsTheOldestFirstAndKeepsItsCapacity) {
  RollingHashSet s(10);
  for (std::uint32_t i = 0; i < 35; ++i) s.insert(h(i));
  EXPECT_EQ(s.size(), 10u);
  for (std::uint32_t i = 0; i < 25; ++i) EXPECT_FALSE(s.contains(h(i))) << i;
  for (std::uint32_t i = 25; i < 35; ++i) EXPECT_TRUE(s.contains(h(i))) << i;
}

TEST(RollingHashSet, ReinsertingDoesNotRefreshOrDuplicate) {
  RollingHashSet s(3);
  s.insert(h(1));
  s.insert(h(2));
  s.insert(h(1));  // already there: neither a second slot nor a younger age
  s.insert(h(3));
  EXPECT_EQ(s.size(), 3u);
  s.insert(h(4));  // evicts h(1), the oldest insert
  EXPECT_FALSE(s.contains(h(1)));
  EXPECT_TRUE(s.contains(h(2)));
  EXPECT_TRUE(s.contains(h(3)));
  EXPECT_TRUE(s.contains(h(4)));
}

TEST(RollingHashSet, CapacityZeroStillHoldsTheNewest) {
  RollingHashSet s(0);
  s.insert(h(1));
  s.insert(h(2));
  EXPECT_FALSE(s.contains(h(1)));
  EXPECT_TRUE(s.contains(h(2)));
}

}  // namespace
}  // namespace tally::p2p
