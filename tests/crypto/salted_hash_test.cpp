// The salted hasher of hash tables (crypto/salted_hash.h): keys a peer crafts to share a
// prefix spread out, the salt decides the values, and a seed gives the same salt again.
#include "crypto/salted_hash.h"

#include <gtest/gtest.h>

#include <cstring>
#include <unordered_set>

namespace tally::crypto {
namespace {

// 10,000 hashes with the same first 8 bytes (what an unsalted prefix hash sends to one bucket).
std::vector<Hash256> colliding_prefix(std::size_t n) {
  std::vector<Hash256> out(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::memset(out[i].data(), 0x77, 8);
    std::memcpy(out[i].data() + 8, &i, sizeof i);
  }
  return out;
}

TEST(SaltedHash, KeysSharingAPrefixSpreadOverTheBuckets) {
  const auto keys = colliding_prefix(10000);
  std::unordered_set<Hash256> set(keys.begin(), keys.end());
  std::size_t largest = 0;
  for (std::size_t b = 0; b < set.bucket_count(); ++b) largest = std::max(largest, set.bucket_size(b));
  EXPECT_LE(largest, 16u) << "with " << set.bucket_count() << " buckets";
  std::unordered_set<std::uint64_t> values;
  for (const auto& k : keys) values.insert(salted_hash(k.span()));
  EXPECT_EQ(values.size(), keys.size());
}

TEST(SaltedHash, TheSaltDecidesTheValueAndASeedGivesTheSameSaltAgain) {
  const Hash256 k = colliding_prefix(1).front();
  set_hash_salt(hash_salt_from_seed(1));
  const std::uint64_t a = salted_hash(k.span());
  set_hash_salt(hash_salt_from_seed(2));
  const std::uint64_t b = salted_hash(k.span());
  set_hash_salt(hash_salt_from_seed(1));
  EXPECT_EQ(salted_hash(k.span()), a);
  EXPECT_NE(a, b);
  EXPECT_EQ(std::hash<Hash256>{}(k), static_cast<std::size_t>(a));
}

TEST(SaltedHash, IsSipHash24UnderTheSalt) {
  const SipHashKey key = hash_salt_from_seed(9);
  set_hash_salt(key);
  const std::uint8_t data[] = {1, 2, 3, 4, 5};
  const std::uint64_t v = salted_hash(ByteSpan(data, sizeof data));
  EXPECT_EQ(v, siphash24(key, ByteSpan(data, sizeof data)));
}

}  // namespace
}  // namespace tally::crypto
