#include "p2p/addr_book.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <set>

namespace tally::p2p {
namespace {

constexpr std::uint64_t kKey = 0x5eed'1234'abcd'0001;

NetAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port = 9333) {
  return NetAddress::ipv4((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d, port);
}

// The i-th of many addresses, each in its own /16 group.
NetAddress distinct_group(std::uint32_t i) {
  return v4(static_cast<std::uint8_t>(1 + i / 256), static_cast<std::uint8_t>(i % 256), 7, 1);
}

const NetAddress kSource = v4(203, 0, 113, 5);

TEST(AddrBook, AddFindAndSize) {
  AddrBook book(kKey);
  EXPECT_EQ(book.size(), 0u);
  EXPECT_EQ(book.find(v4(1, 2, 3, 4)), nullptr);

  ASSERT_TRUE(book.add(v4(1, 2, 3, 4), kSource, 1000));
  ASSERT_TRUE(book.add(v4(5, 6, 7, 8), kSource, 2000));
  EXPECT_EQ(book.size(), 2u);
  EXPECT_EQ(book.tried_count(), 0u);

  const AddrInfo* info = book.find(v4(1, 2, 3, 4));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->address, v4(1, 2, 3, 4));
  EXPECT_EQ(info->source, kSource);
  EXPECT_EQ(info->last_seen_s, 1000u);
  EXPECT_EQ(info->attempts, 0u);
  EXPECT_FALSE(info->tried);
  EXPECT_EQ(book.find(v4(1, 2, 3, 4, 9334)), nullptr) << "another port is another node";

  // Re-adding refreshes last_seen (never backwards) and does not duplicate.
  EXPECT_TRUE(book.add(v4(1, 2, 3, 4), v4(198, 51, 100, 1), 5000));
  EXPECT_EQ(book.size(), 2u);
  EXPECT_EQ(book.find(v4(1, 2, 3, 4))->last_seen_s, 5000u);
  EXPECT_EQ(book.find(v4(1, 2, 3, 4))->source, kSource) << "the first source is kept";
  EXPECT_TRUE(book.add(v4(1, 2, 3, 4), kSource, 10));
  EXPECT_EQ(book.find(v4(1, 2, 3, 4))->last_seen_s, 5000u);
}

TEST(AddrBook, RejectsUnroutableAddresses) {
  AddrBook book(kKey);
  EXPECT_FALSE(book.add(v4(1, 2, 3, 4, 0), kSource, 1));
  EXPECT_FALSE(book.add(NetAddress{{}, 9333}, kSource, 1));
  EXPECT_FALSE(book.add(v4(0, 0, 0, 0), kSource, 1));
  EXPECT_EQ(book.size(), 0u);
}

TEST(AddrBook, OneSourceFillsOnlyAFewBuckets) {
  AddrBook book(kKey);
  constexpr std::uint32_t kFlood = 10'000;
  for (std::uint32_t i = 0; i < kFlood; ++i) book.add(distinct_group(i), kSource, 1000 + i);
  // One source group reaches at most 8 new buckets of kBucketSize slots each, whatever the
  // groups of the addresses it sends.
  const std::size_t bound = 8 * AddrBook::kBucketSize;
  // Every reached bucket ends up nearly full, so size / kBucketSize approximates how many
  // buckets the source reached: at most 8 of kNewBuckets.
  EXPECT_LE(book.size(), bound);
  EXPECT_LT(book.size(), AddrBook::kNewBuckets * AddrBook::kBucketSize / 4);
  // 10,000 addresses over at most 512 slots: the buckets it reaches are all but full.
  EXPECT_GE(book.size(), AddrBook::kBucketSize);

  // Honest sources in other groups still find room.
  std::size_t added = 0;
  for (std::uint32_t i = 0; i < 200; ++i) {
    const NetAddress source = v4(100, static_cast<std::uint8_t>(i), 0, 1);
    added += book.add(distinct_group(kFlood + i), source, 500) ? 1 : 0;
  }
  EXPECT_GE(added, 150u);
}

TEST(AddrBook, ManySourceGroupsSpreadOverManyBuckets) {
  AddrBook book(kKey);
  for (std::uint32_t i = 0; i < 4000; ++i) {
    const NetAddress source = v4(100, static_cast<std::uint8_t>(i % 64), 0, 1);
    book.add(distinct_group(i), source, 1000);
  }
  EXPECT_GT(book.size(), 8 * AddrBook::kBucketSize);
}

TEST(AddrBook, FresherAddressWinsANewSlotCollision) {
  AddrBook book(kKey);
  // One source and equal timestamps: the first collision loses against its incumbent.
  std::optional<NetAddress> loser;
  for (std::uint32_t i = 0; i < 10'000 && !loser; ++i) {
    if (!book.add(distinct_group(i), kSource, 100)) loser = distinct_group(i);
  }
  ASSERT_TRUE(loser.has_value());
  EXPECT_EQ(book.find(*loser), nullptr);
  const std::size_t before = book.size();
  // The same address, fresher: it replaces the incumbent of its slot.
  EXPECT_TRUE(book.add(*loser, kSource, 200));
  ASSERT_NE(book.find(*loser), nullptr);
  EXPECT_EQ(book.size(), before);
}

TEST(AddrBook, MarkGoodMovesToTried) {
  AddrBook book(kKey);
  const NetAddress a = v4(1, 2, 3, 4);
  ASSERT_TRUE(book.add(a, kSource, 1000));
  book.mark_attempt(a, 50'000);
  book.mark_failed(a, 50'000);
  EXPECT_EQ(book.find(a)->attempts, 1u);

  book.mark_good(a, 60'000);
  const AddrInfo* info = book.find(a);
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->tried);
  EXPECT_EQ(info->attempts, 0u);
  EXPECT_EQ(info->last_success_ms, 60'000);
  EXPECT_EQ(book.tried_count(), 1u);
  EXPECT_EQ(book.size(), 1u);

  // Hearing of it again does not move it back; unknown addresses are ignored.
  EXPECT_TRUE(book.add(a, kSource, 2000));
  EXPECT_TRUE(book.find(a)->tried);
  book.mark_good(v4(9, 9, 9, 9), 1);
  book.mark_failed(v4(9, 9, 9, 9), 1);
  EXPECT_EQ(book.size(), 1u);
}

TEST(AddrBook, TriedCollisionsMoveTheIncumbentBackToNew) {
  AddrBook book(kKey);
  std::vector<NetAddress> good;
  for (std::uint32_t i = 0; i < 3000; ++i) {
    const NetAddress source = v4(100, static_cast<std::uint8_t>(i % 256), 0, 1);
    if (book.add(distinct_group(i), source, 1000)) good.push_back(distinct_group(i));
  }
  for (const NetAddress& a : good) book.mark_good(a, 1);
  EXPECT_LE(book.tried_count(), AddrBook::kTriedBuckets * AddrBook::kBucketSize);
  EXPECT_GT(book.tried_count(), 0u);
  // Some were evicted from tried: they are back in new and remember their success.
  std::size_t demoted = 0;
  for (const NetAddress& a : good) {
    const AddrInfo* info = book.find(a);
    if (info != nullptr && !info->tried) {
      EXPECT_GT(info->last_success_ms, 0);
      ++demoted;
    }
  }
  EXPECT_GT(demoted, 0u);
  EXPECT_EQ(book.size() - book.tried_count(), demoted);
}

TEST(AddrBook, BackoffDoublesAndIsCapped) {
  EXPECT_EQ(AddrBook::backoff_ms(0), 0);
  EXPECT_EQ(AddrBook::backoff_ms(1), 2'000);
  EXPECT_EQ(AddrBook::backoff_ms(2), 4'000);
  EXPECT_EQ(AddrBook::backoff_ms(3), 8'000);
  EXPECT_EQ(AddrBook::backoff_ms(9), 512'000);
  EXPECT_EQ(AddrBook::backoff_ms(10), 600'000);
  EXPECT_EQ(AddrBook::backoff_ms(64), 600'000);
  EXPECT_EQ(AddrBook::backoff_ms(std::numeric_limits<std::uint32_t>::max()), 600'000);
  for (std::uint32_t n = 1; n < 100; ++n) EXPECT_GE(AddrBook::backoff_ms(n), AddrBook::backoff_ms(n - 1));
}

TEST(AddrBook, SelectSkipsBackingOffAddressesUntilTheirTimeComes) {
  AddrBook book(kKey);
  std::mt19937_64 rng(7);
  const NetAddress a = v4(1, 2, 3, 4);
  ASSERT_TRUE(book.add(a, kSource, 1000));
  EXPECT_EQ(book.select(0, rng, {}), a);

  book.mark_attempt(a, 10'000);
  EXPECT_EQ(book.select(10'000, rng, {}), a) << "an attempt alone does not back off";
  book.mark_failed(a, 10'000);
  EXPECT_EQ(book.select(11'999, rng, {}), std::nullopt);
  EXPECT_EQ(book.select(12'000, rng, {}), a);

  book.mark_failed(a, 12'000);
  EXPECT_EQ(book.select(15'999, rng, {}), std::nullopt);
  EXPECT_EQ(book.select(16'000, rng, {}), a);

  // Many failures: ten minutes at most.
  for (int i = 0; i < 30; ++i) book.mark_failed(a, 100'000);
  EXPECT_EQ(book.select(100'000 + 599'999, rng, {}), std::nullopt);
  EXPECT_EQ(book.select(100'000 + 600'000, rng, {}), a);

  // Success resets the backoff.
  book.mark_good(a, 700'000);
  EXPECT_EQ(book.select(700'000, rng, {}), a);
}

TEST(AddrBook, SelectFindsTheOneEligibleAddressAmongMany) {
  AddrBook book(kKey);
  std::mt19937_64 rng(11);
  std::vector<NetAddress> all;
  for (std::uint32_t i = 0; i < 300; ++i) {
    const NetAddress source = v4(100, static_cast<std::uint8_t>(i), 0, 1);
    if (book.add(distinct_group(i), source, 1000)) all.push_back(distinct_group(i));
  }
  ASSERT_GT(all.size(), 100u);
  for (std::size_t i = 1; i < all.size(); ++i) book.mark_failed(all[i], 0);
  for (int round = 0; round < 20; ++round) EXPECT_EQ(book.select(1'000, rng, {}), all[0]);
}

TEST(AddrBook, SelectHonoursExclude) {
  AddrBook book(kKey);
  std::mt19937_64 rng(3);
  const NetAddress a = v4(1, 2, 3, 4);
  const NetAddress b = v4(5, 6, 7, 8);
  ASSERT_TRUE(book.add(a, kSource, 1));
  ASSERT_TRUE(book.add(b, kSource, 1));
  book.mark_good(b, 1);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(book.select(10, rng, {a}), b);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(book.select(10, rng, {b}), a);
  EXPECT_EQ(book.select(10, rng, {b, a}), std::nullopt);
}

TEST(AddrBook, SelectDrawsFromBothTables) {
  AddrBook book(kKey);
  std::mt19937_64 rng(5);
  const NetAddress fresh = v4(1, 2, 3, 4);
  const NetAddress tried = v4(5, 6, 7, 8);
  ASSERT_TRUE(book.add(fresh, kSource, 1));
  ASSERT_TRUE(book.add(tried, kSource, 1));
  book.mark_good(tried, 1);
  int tried_picks = 0;
  for (int i = 0; i < 1000; ++i) tried_picks += book.select(10, rng, {}) == tried ? 1 : 0;
  EXPECT_GT(tried_picks, 400);
  EXPECT_LT(tried_picks, 600);
}

TEST(AddrBook, SelectOnAnEmptyBookIsNullopt) {
  AddrBook book(kKey);
  std::mt19937_64 rng(1);
  EXPECT_EQ(book.select(0, rng, {}), std::nullopt);
  EXPECT_TRUE(book.sample(10, rng).empty());
}

TEST(AddrBook, SampleReturnsDistinctBookEntries) {
  AddrBook book(kKey);
  std::mt19937_64 rng(9);
  for (std::uint32_t i = 0; i < 100; ++i) {
    book.add(distinct_group(i), v4(100, static_cast<std::uint8_t>(i), 0, 1), 1000 + i);
  }
  ASSERT_GT(book.size(), 50u);
  EXPECT_TRUE(book.sample(0, rng).empty());
  const auto some = book.sample(20, rng);
  ASSERT_EQ(some.size(), 20u);
  std::set<NetAddress> seen;
  for (const AddrEntry& e : some) {
    const AddrInfo* info = book.find(e.address);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(e.last_seen, info->last_seen_s);
    EXPECT_TRUE(seen.insert(e.address).second);
  }
  EXPECT_EQ(book.sample(100'000, rng).size(), book.size());
  EXPECT_NE(book.sample(20, rng), some) << "a fresh random draw";
}

AddrBook populated_book() {
  AddrBook book(kKey);
  for (std::uint32_t i = 0; i < 500; ++i) {
    book.add(distinct_group(i), v4(100, static_cast<std::uint8_t>(i % 40), 0, 1), 1000 + i);
  }
  book.add(v4(127, 0, 0, 1, 18444), v4(127, 0, 0, 1, 18445), 7);
  NetAddress v6;
  v6.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v6.port = 8333;
  book.add(v6, kSource, 8);
  for (std::uint32_t i = 0; i < 500; i += 3) book.mark_good(distinct_group(i), 5'000 + i);
  for (std::uint32_t i = 1; i < 500; i += 7) {
    book.mark_failed(distinct_group(i), 9'000);
    book.mark_failed(distinct_group(i), 9'000);
  }
  return book;
}

TEST(AddrBook, SerializeRoundTrips) {
  const AddrBook book = populated_book();
  ASSERT_GT(book.tried_count(), 50u);
  const crypto::Bytes bytes = book.serialize();
  EXPECT_EQ(bytes[0], 2) << "version";
  EXPECT_EQ(bytes.size(), 1 + 8 + 3 + book.size() * 54);

  auto back = AddrBook::deserialize(bytes);
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->size(), book.size());
  EXPECT_EQ(back->tried_count(), book.tried_count());
  std::mt19937_64 rng(1);
  for (const AddrEntry& e : book.sample(book.size(), rng)) {
    const AddrInfo* want = book.find(e.address);
    const AddrInfo* got = back->find(e.address);
    ASSERT_NE(got, nullptr) << e.address.to_string();
    EXPECT_EQ(got->source, want->source);
    EXPECT_EQ(got->last_seen_s, want->last_seen_s);
    EXPECT_EQ(got->last_success_ms, want->last_success_ms);
    EXPECT_EQ(got->attempts, want->attempts);
    EXPECT_EQ(got->tried, want->tried);
  }
  EXPECT_EQ(back->serialize(), bytes) << "same key, same tables";

  // The key came back too: both books place a new address alike.
  AddrBook copy = std::move(*back);
  AddrBook original = populated_book();
  for (std::uint32_t i = 0; i < 300; ++i) {
    EXPECT_EQ(copy.add(distinct_group(5000 + i), kSource, 1),
              original.add(distinct_group(5000 + i), kSource, 1));
  }
  EXPECT_EQ(copy.serialize(), original.serialize());

  auto empty = AddrBook::deserialize(AddrBook(42).serialize());
  ASSERT_TRUE(empty.has_value()) << empty.error();
  EXPECT_EQ(empty->size(), 0u);
}

TEST(AddrBook, BucketingDependsOnTheKey) {
  AddrBook a(1);
  AddrBook b(2);
  std::size_t a_added = 0;
  std::size_t b_added = 0;
  for (std::uint32_t i = 0; i < 2000; ++i) {
    a_added += a.add(distinct_group(i), kSource, 1) ? 1 : 0;
    b_added += b.add(distinct_group(i), kSource, 1) ? 1 : 0;
  }
  std::mt19937_64 rng(1);
  std::set<NetAddress> in_a;
  for (const AddrEntry& e : a.sample(a.size(), rng)) in_a.insert(e.address);
  std::size_t shared = 0;
  for (const AddrEntry& e : b.sample(b.size(), rng)) shared += in_a.count(e.address);
  EXPECT_LT(shared, std::min(a_added, b_added));
}

TEST(AddrBook, DeserializeRejectsTruncatedInput) {
  const crypto::Bytes bytes = populated_book().serialize();
  // Every proper prefix: the header fields, the count against what is left, each entry.
  for (std::size_t len = 0; len < bytes.size(); len += (len < 200 ? 1 : 97)) {
    auto r = AddrBook::deserialize(crypto::ByteSpan(bytes.data(), len));
    ASSERT_FALSE(r.has_value()) << len;
    EXPECT_NE(r.error().find("address book"), std::string::npos) << r.error();
  }
  EXPECT_FALSE(AddrBook::deserialize(crypto::ByteSpan(bytes.data(), bytes.size() - 1)).has_value());
}

TEST(AddrBook, DeserializeRejectsTrailingBytes) {
  crypto::Bytes bytes = populated_book().serialize();
  bytes.push_back(0);
  auto r = AddrBook::deserialize(bytes);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("trailing"), std::string::npos) << r.error();
}

// A serialized book with the given entries, written field by field.
struct RawEntry {
  NetAddress address = v4(1, 2, 3, 4);
  std::uint8_t tried = 0;
  std::uint8_t key_flags = 0;  // version 2 only
  crypto::Bytes key = {};      // written as is after the flags
};
crypto::Bytes raw_book(const std::vector<RawEntry>& entries, std::uint8_t version = 1,
                       std::optional<std::uint64_t> count = std::nullopt) {
  ledger::Writer w;
  w.u8(version);
  w.u64(kKey);
  w.compact_size(count.value_or(entries.size()));
  for (const RawEntry& e : entries) {
    w.bytes(e.address.ip);
    w.u16(e.address.port);
    w.bytes(kSource.ip);
    w.u16(kSource.port);
    w.u32(100);
    w.u64(0);
    w.u32(0);
    w.u8(e.tried);
    if (version >= 2) {
      w.u8(e.key_flags);
      w.bytes(e.key);
    }
  }
  return w.take();
}

TEST(AddrBook, DeserializeRejectsGarbage) {
  auto fails_with = [](const crypto::Bytes& bytes, const std::string& needle) {
    auto r = AddrBook::deserialize(bytes);
    if (r.has_value()) return ::testing::AssertionFailure() << "accepted";
    if (r.error().find(needle) == std::string::npos) return ::testing::AssertionFailure() << r.error();
    return ::testing::AssertionSuccess();
  };
  ASSERT_TRUE(AddrBook::deserialize(raw_book({{}, {v4(5, 6, 7, 8), 1}})).has_value());

  EXPECT_TRUE(fails_with({}, "version"));
  EXPECT_TRUE(fails_with(raw_book({{}}, 3), "unsupported version 3"));
  EXPECT_TRUE(fails_with(raw_book({{}}, 0), "unsupported version 0"));
  EXPECT_TRUE(fails_with(raw_book({{}}, 1, 2), "exceeds the remaining"));
  EXPECT_TRUE(fails_with(raw_book({}, 1, 1'000'000), "exceeds the capacity"));
  EXPECT_TRUE(fails_with(raw_book({{v4(1, 2, 3, 4), 2}}), "invalid value"));
  EXPECT_TRUE(fails_with(raw_book({{v4(1, 2, 3, 4, 0), 0}}), "unroutable"));
  EXPECT_TRUE(fails_with(raw_book({{NetAddress{{}, 5}, 0}}), "unroutable"));
  EXPECT_TRUE(fails_with(raw_book({{}, {v4(5, 6, 7, 8), 0}, {}}), "duplicate address 1.2.3.4:9333"));

  // Version 2's key flags and key.
  crypto::Bytes key(33, 7);
  key[0] = 2;
  ASSERT_TRUE(AddrBook::deserialize(raw_book({{v4(1, 2, 3, 4), 0, 1, key}, {v4(5, 6, 7, 8), 1, 3, key}}, 2)));
  EXPECT_TRUE(fails_with(raw_book({{v4(1, 2, 3, 4), 0, 4, {}}}, 2), "invalid value"));
  EXPECT_TRUE(fails_with(raw_book({{v4(1, 2, 3, 4), 0, 2, {}}}, 2), "invalid value")) << "verified without a key";
  key[0] = 4;
  EXPECT_TRUE(fails_with(raw_book({{v4(1, 2, 3, 4), 0, 1, key}}, 2), "invalid value")) << "not a compressed key";
  EXPECT_TRUE(fails_with(raw_book({{v4(1, 2, 3, 4), 0, 1, crypto::Bytes(10, 2)}}, 2), "truncated"));

  // A non-minimal count.
  crypto::Bytes non_minimal = raw_book({});
  non_minimal.back() = 0xfd;
  non_minimal.push_back(0x01);
  non_minimal.push_back(0x00);
  EXPECT_TRUE(fails_with(non_minimal, "entry count"));

  // Random bytes never crash and are (almost always) rejected.
  std::mt19937_64 rng(123);
  for (int i = 0; i < 2000; ++i) {
    crypto::Bytes junk(rng() % 200);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    if (!junk.empty()) junk[0] = 1;
    auto r = AddrBook::deserialize(junk);
    if (!r) {
      EXPECT_FALSE(r.error().empty());
    }
  }
}

crypto::CompressedPublicKey test_key(std::uint8_t n) {
  crypto::CompressedPublicKey k;
  k.bytes.fill(n);
  k.bytes[0] = 2 + (n & 1);
  return k;
}

TEST(AddrBook, AHeardKeyFillsAnEmptyEntryButNeverReplacesAKey) {
  AddrBook book(kKey);
  const NetAddress a = v4(10, 1, 2, 3);
  ASSERT_TRUE(book.add(a, kSource, 100));
  EXPECT_FALSE(book.find(a)->node_key);
  ASSERT_TRUE(book.add(a, kSource, 101, test_key(1)));
  EXPECT_EQ(book.find(a)->node_key, test_key(1));
  EXPECT_FALSE(book.find(a)->key_verified);
  ASSERT_TRUE(book.add(a, kSource, 102, test_key(2)));
  EXPECT_EQ(book.find(a)->node_key, test_key(1)) << "gossip cannot replace a key";

  std::mt19937_64 rng(1);
  const auto sample = book.sample(10, rng);
  ASSERT_EQ(sample.size(), 1u);
  EXPECT_EQ(sample[0].node_key, test_key(1)) << "getaddr answers carry keys";
}

TEST(AddrBook, AHandshakeVerifiesTheKeyAndAFailedDialDropsOnlyAHeardOne) {
  AddrBook book(kKey);
  const NetAddress a = v4(10, 1, 2, 3);
  const NetAddress b = v4(10, 9, 2, 3);
  ASSERT_TRUE(book.add(a, kSource, 100, test_key(1)));
  ASSERT_TRUE(book.add(b, kSource, 100, test_key(3)));

  // The dial to a authenticated another key: the handshake's key wins and is verified.
  book.mark_good(a, 1000, test_key(2));
  EXPECT_EQ(book.find(a)->node_key, test_key(2));
  EXPECT_TRUE(book.find(a)->key_verified);
  book.mark_failed(a, 2000);
  EXPECT_EQ(book.find(a)->node_key, test_key(2)) << "a verified key survives a failed dial";
  book.add(a, kSource, 200, test_key(5));
  EXPECT_EQ(book.find(a)->node_key, test_key(2));

  // A heard key that failed: dropped, so the next dial learns the key (XX).
  book.mark_failed(b, 2000);
  EXPECT_FALSE(book.find(b)->node_key);
  book.add(b, kSource, 200, test_key(7));
  EXPECT_EQ(book.find(b)->node_key, test_key(7)) << "and may be heard again";

  // Keys and their verification survive the file.
  auto back = AddrBook::deserialize(book.serialize());
  ASSERT_TRUE(back.has_value()) << back.error();
  EXPECT_EQ(back->find(a)->node_key, test_key(2));
  EXPECT_TRUE(back->find(a)->key_verified);
  EXPECT_EQ(back->find(b)->node_key, test_key(7));
  EXPECT_FALSE(back->find(b)->key_verified);
  EXPECT_EQ(back->serialize(), book.serialize());
}

TEST(AddrBook, AVersionOneFileWithoutKeysStillLoads) {
  auto book = AddrBook::deserialize(raw_book({{}, {v4(5, 6, 7, 8), 1}}, 1));
  ASSERT_TRUE(book.has_value()) << book.error();
  EXPECT_EQ(book->size(), 2u);
  EXPECT_FALSE(book->find(v4(5, 6, 7, 8))->node_key);
  EXPECT_EQ(book->serialize()[0], 2) << "written back as version 2";
}

TEST(AddrBook, AddressGroups) {
  EXPECT_EQ(address_group(v4(1, 2, 3, 4)), "4:1.2");
  EXPECT_EQ(address_group(v4(1, 2, 200, 9, 1)), "4:1.2");
  EXPECT_EQ(address_group(v4(127, 0, 0, 1, 18444)), "127.0.0.1:18444");
  EXPECT_NE(address_group(v4(127, 0, 0, 1, 18444)), address_group(v4(127, 0, 0, 1, 18445)));
  NetAddress loop6;
  loop6.ip[15] = 1;
  loop6.port = 5;
  EXPECT_EQ(address_group(loop6), "[::1]:5");
  NetAddress v6;
  v6.ip = {0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xbb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  v6.port = 8333;
  EXPECT_EQ(address_group(v6), "6:2001:0db8");
  NetAddress v6_same32 = v6;
  v6_same32.ip[5] = 0xcc;
  EXPECT_EQ(address_group(v6_same32), address_group(v6));
}

}  // namespace
}  // namespace tally::p2p
