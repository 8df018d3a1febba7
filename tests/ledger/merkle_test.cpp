#include "ledger/merkle.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "crypto/sha256.h"
#include "ledger_test_util.h"

namespace tally::ledger {
namespace {

// The spec of the header comment, written independently of merkle.cpp.
Hash256 node(const Hash256& left, const Hash256& right) {
  Bytes both(left.begin(), left.end());
  both.insert(both.end(), right.begin(), right.end());
  return crypto::tagged_hash("Tally/MerkleNode", both);
}
Hash256 root_of(std::uint64_t count, const Hash256& top) {
  Bytes msg(8);
  for (int i = 0; i < 8; ++i) msg[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(count >> (8 * i));
  msg.insert(msg.end(), top.begin(), top.end());
  return crypto::tagged_hash("Tally/MerkleRoot", msg);
}
// Recursive reference: split at the largest power of two below n (equivalent to pairing
// level by level and carrying an odd last node up unchanged).
Hash256 reference_top(std::span<const TxId> leaves) {
  if (leaves.size() == 1) return leaves[0];
  std::size_t half = 1;
  while (half * 2 < leaves.size()) half *= 2;
  return node(reference_top(leaves.first(half)), reference_top(leaves.subspan(half)));
}
Hash256 reference_root(std::span<const TxId> leaves) {
  if (leaves.empty()) return Hash256{};
  return root_of(leaves.size(), reference_top(leaves));
}

TxId leaf(std::uint8_t n) {
  const std::uint8_t in[1] = {n};
  return crypto::sha256d(in);
}

std::vector<TxId> leaves(std::size_t n) {
  std::vector<TxId> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(leaf(static_cast<std::uint8_t>(i)));
  return out;
}

TEST(Merkle, EmptyListHasTheZeroRoot) { EXPECT_EQ(merkle_root({}), Hash256{}); }

TEST(Merkle, OneLeafCommitsToCountAndLeaf) {
  const TxId a = leaf(1);
  const std::vector<TxId> one = {a};
  EXPECT_EQ(merkle_root(one), root_of(1, a));
  // Unlike Bitcoin, a single txid is not its own root.
  EXPECT_NE(merkle_root(one), a);
}

TEST(Merkle, TwoLeaves) {
  const TxId a = leaf(1), b = leaf(2);
  const std::vector<TxId> two = {a, b};
  EXPECT_EQ(merkle_root(two), root_of(2, node(a, b)));
}

TEST(Merkle, ThreeLeavesByHand) {
  const TxId a = leaf(1), b = leaf(2), c = leaf(3);
  // Level 1: node(a, b), and c carried up unchanged (not paired with itself).
  // Level 2: node(node(a, b), c). Root: tagged with the count 3.
  const Hash256 expected = root_of(3, node(node(a, b), c));
  const std::vector<TxId> three = {a, b, c};
  EXPECT_EQ(merkle_root(three), expected);
  // Bitcoin's rule would have produced node(node(a, b), node(c, c)).
  EXPECT_NE(merkle_root(three), root_of(3, node(node(a, b), node(c, c))));
}

TEST(Merkle, FiveLeavesByHand) {
  const auto l = leaves(5);
  // Level 1: ab, cd, e. Level 2: abcd, e. Level 3: abcde.
  const Hash256 expected = root_of(5, node(node(node(l[0], l[1]), node(l[2], l[3])), l[4]));
  EXPECT_EQ(merkle_root(l), expected);
}

TEST(Merkle, MatchesTheReferenceForEverySizeUpTo70) {
  const auto all = leaves(70);
  for (std::size_t n = 0; n <= all.size(); ++n) {
    const std::span<const TxId> prefix(all.data(), n);
    EXPECT_EQ(merkle_root(prefix), reference_root(prefix)) << n;
  }
}

// CVE-2012-2459: with Bitcoin's pairing of an odd last node with itself, appending a copy
// of the trailing transactions yields the same root, so a valid block can be turned into
// an invalid one with the same hash (and peers may then ban the honest block).
TEST(Merkle, DuplicatedTrailingLeavesChangeTheRoot_CVE_2012_2459) {
  const TxId a = leaf(1), b = leaf(2), c = leaf(3), d = leaf(4), e = leaf(5), f = leaf(6);
  const std::vector<TxId> abc = {a, b, c};
  const std::vector<TxId> abcc = {a, b, c, c};
  EXPECT_NE(merkle_root(abc), merkle_root(abcc));

  const std::vector<TxId> abcdef = {a, b, c, d, e, f};
  const std::vector<TxId> abcdefef = {a, b, c, d, e, f, e, f};
  EXPECT_NE(merkle_root(abcdef), merkle_root(abcdefef));

  // Even the tree tops differ, not just the count that the root commits to.
  EXPECT_NE(reference_top(abc), reference_top(abcc));
  EXPECT_NE(reference_top(abcdef), reference_top(abcdefef));
}

TEST(Merkle, DuplicatingAnySuffixChangesTheRoot) {
  const auto base = leaves(13);
  const Hash256 root = merkle_root(base);
  for (std::size_t k = 1; k <= base.size(); ++k) {
    std::vector<TxId> longer = base;
    longer.insert(longer.end(), base.end() - static_cast<std::ptrdiff_t>(k), base.end());
    EXPECT_NE(merkle_root(longer), root) << "duplicated last " << k;
  }
}

TEST(Merkle, OrderMatters) {
  const TxId a = leaf(1), b = leaf(2), c = leaf(3);
  const std::vector<TxId> ab = {a, b}, ba = {b, a};
  EXPECT_NE(merkle_root(ab), merkle_root(ba));
  const std::vector<TxId> abc = {a, b, c}, acb = {a, c, b}, cab = {c, a, b};
  EXPECT_NE(merkle_root(abc), merkle_root(acb));
  EXPECT_NE(merkle_root(abc), merkle_root(cab));
}

TEST(Merkle, EveryPrefixOfA33LeafListHasADistinctRoot) {
  const auto all = leaves(33);
  std::set<Hash256> roots;
  for (std::size_t n = 0; n <= all.size(); ++n) roots.insert(merkle_root(std::span<const TxId>(all.data(), n)));
  EXPECT_EQ(roots.size(), all.size() + 1);
}

TEST(Merkle, ChangingAnyLeafChangesTheRoot) {
  const auto base = leaves(33);
  const Hash256 root = merkle_root(base);
  for (std::size_t i = 0; i < base.size(); ++i) {
    auto changed = base;
    changed[i].bytes[0] ^= 1;
    EXPECT_NE(merkle_root(changed), root) << i;
  }
}

TEST(Merkle, InnerNodeIsNotMistakenForALeaf) {
  // A two-leaf tree's top is node(a, b); presenting that as a single leaf must not collide.
  const TxId a = leaf(1), b = leaf(2);
  const std::vector<TxId> two = {a, b};
  const std::vector<TxId> one = {node(a, b)};
  EXPECT_NE(merkle_root(two), merkle_root(one));
}

TEST(Merkle, RandomListsMatchTheReference) {
  const std::uint64_t seed = test_util::testing_seed();
  SCOPED_TRACE(test_util::seed_trace(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 200; ++i) {
    std::vector<TxId> ids(rng() % 300);
    for (auto& id : ids) id = test_util::random_fixed<TxId>(rng);
    ASSERT_EQ(merkle_root(ids), reference_root(ids)) << "size " << ids.size();
  }
}

}  // namespace
}  // namespace tally::ledger
