// ParsedKeyCache gives schnorr_verify()'s answers from several threads at once, keeps only
// keys that parse, and stays within its capacity.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "crypto/parsed_key_cache.h"
#include "crypto/sha256.h"

namespace tally::crypto {
namespace {

SecretKey key(int i) {
  const std::string seed = "parsed key cache " + std::to_string(i);
  return *SecretKey::from_bytes(sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size())).span());
}

TEST(ParsedKeyCache, SameAnswersAsSchnorrVerifyFromManyThreads) {
  ParsedKeyCache cache(64);
  std::vector<SecretKey> keys;
  for (int i = 0; i < 4; ++i) keys.push_back(key(i));
  const Hash256 message = sha256(Bytes{1, 2, 3});
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int n = 0; n < 20; ++n) {
        const SecretKey& k = keys[static_cast<std::size_t>((t + n) % 4)];
        Signature sig = k.sign(message.span());
        if (n % 3 == 0) sig.bytes[7] ^= 1;  // a bad one every third
        const bool expected = schnorr_verify(k.public_key(), message.span(), sig);
        if (cache.verify(k.public_key(), message.span(), sig) != expected) ++mismatches;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(cache.size(), 4u);
}

TEST(ParsedKeyCache, KeyOffTheCurveVerifiesNothingAndIsNotKept) {
  ParsedKeyCache cache(8);
  PublicKey off_curve{};
  off_curve.bytes[31] = 5;  // 5^3 + 7 has no square root mod p
  EXPECT_FALSE(cache.verify(off_curve, sha256(Bytes{1}).span(), Signature{}));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ParsedKeyCache, StaysWithinItsCapacity) {
  ParsedKeyCache cache(3);
  const Hash256 message = sha256(Bytes{9});
  for (int i = 0; i < 10; ++i) {
    const SecretKey k = key(100 + i);
    EXPECT_TRUE(cache.verify(k.public_key(), message.span(), k.sign(message.span())));
    EXPECT_LE(cache.size(), 3u);
  }
}

}  // namespace
}  // namespace tally::crypto
