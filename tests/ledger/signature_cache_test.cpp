// The simulator's process-wide record of verified signatures (ledger/signature_cache.h):
// off by default; enabled, a valid signature is verified once and a bad one is never kept.
#include "ledger/signature_cache.h"

#include <gtest/gtest.h>

#include "tests/ledger/chain_fixture.h"

namespace tally::ledger {
namespace {

class SignatureCacheTest : public ::testing::Test {
 protected:
  void TearDown() override {
    SignatureCache::process().set_enabled(false);
    SignatureCache::process().clear();
  }
};

TEST_F(SignatureCacheTest, OffByDefaultAndRemembersOnlyValidSignatures) {
  SignatureCache& cache = SignatureCache::process();
  EXPECT_FALSE(cache.enabled());
  Transaction good = make_transfer(testing::test_key(1), 99, testing::test_address(2), 5, 10, 0);
  EXPECT_TRUE(good.has_valid_signature());
  EXPECT_EQ(cache.size(), 0u) << "disabled: nothing recorded";
  cache.set_enabled(true);
  EXPECT_TRUE(good.has_valid_signature());
  EXPECT_TRUE(cache.contains(good.txid()));
  EXPECT_TRUE(good.has_valid_signature()) << "answered from the cache";
  Transaction bad = good;
  bad.signature.bytes[7] ^= 1;
  EXPECT_FALSE(bad.has_valid_signature());
  EXPECT_FALSE(cache.contains(bad.txid()));
  Transaction other_amount = good;
  other_amount.amount += 1;  // a different txid: the cached answer for `good` does not apply
  EXPECT_FALSE(other_amount.has_valid_signature());
}

TEST_F(SignatureCacheTest, BoundedByItsCapacity) {
  SignatureCache small(2);
  TxId a, b, c;
  a.bytes.fill(1);
  b.bytes.fill(2);
  c.bytes.fill(3);
  small.insert(a);
  small.insert(b);
  small.insert(c);
  EXPECT_LE(small.size(), 2u);
  EXPECT_TRUE(small.contains(c));
}

}  // namespace
}  // namespace tally::ledger
