#include "ledger/block.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <random>

#include "crypto/header_hasher.h"
#include "crypto/sha256.h"
#include "ledger/merkle.h"
#include "ledger_test_util.h"

// Counting the bytes a decode allocates is the only way to see that a lying transaction
// count is rejected before reserving memory for it: the failure itself is fast either way.
// The global operator new is replaced for this test binary; sanitizer builds keep their
// own allocator (and skip the assertion).
#if defined(__SANITIZE_ADDRESS__)
#define TALLY_TEST_COUNT_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define TALLY_TEST_COUNT_ALLOCATIONS 0
#endif
#endif
#ifndef TALLY_TEST_COUNT_ALLOCATIONS
#define TALLY_TEST_COUNT_ALLOCATIONS 1
#endif

namespace {
// Bytes requested through operator new by this thread while counting is on.
thread_local bool g_counting = false;
thread_local std::size_t g_counted_bytes = 0;
}  // namespace

#if TALLY_TEST_COUNT_ALLOCATIONS
// Out of line, or GCC inlines free() into sites it saw allocate with new and warns
// (-Wmismatched-new-delete) although this pair is matched.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (g_counting) g_counted_bytes += size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace tally::ledger {
namespace {

using test_util::load_le;

// Runs fn and returns the number of bytes it allocated through operator new.
template <class Fn>
std::size_t allocated_bytes(Fn&& fn) {
  g_counted_bytes = 0;
  g_counting = true;
  fn();
  g_counting = false;
  return g_counted_bytes;
}

BlockHeader distinctive_header() {
  BlockHeader h;
  h.version = 0x04030201;
  h.height = 0x08070605;
  for (std::size_t i = 0; i < 32; ++i) {
    h.prev_hash.bytes[i] = static_cast<std::uint8_t>(0x10 + i);
    h.tx_root.bytes[i] = static_cast<std::uint8_t>(0x40 + i);
    h.state_root.bytes[i] = static_cast<std::uint8_t>(0x70 + i);
  }
  h.time = 0xa3a2a1a0;
  h.bits = 0xb3b2b1b0;
  h.nonce = 0xc3c2c1c0;
  return h;
}

Block small_block(std::size_t n_txs) {
  std::mt19937_64 rng(1234);
  Block b;
  b.header = distinctive_header();
  for (std::size_t i = 0; i < n_txs; ++i) b.txs.push_back(test_util::random_tx(rng));
  return b;
}

Bytes with_count(const BlockHeader& h, std::uint64_t count, std::size_t body_bytes) {
  Writer w;
  h.encode(w);
  w.compact_size(count);
  Bytes out = w.take();
  out.resize(out.size() + body_bytes, 0xab);
  return out;
}

TEST(BlockHeader, EncodesTo116BytesWithFieldsAtDocumentedOffsets) {
  const BlockHeader h = distinctive_header();
  const auto enc = h.encode();
  static_assert(std::tuple_size_v<std::decay_t<decltype(enc)>> == 116);
  const ByteSpan s(enc);
  EXPECT_EQ(load_le(s, 0, 4), h.version);
  EXPECT_EQ(load_le(s, 4, 4), h.height);
  EXPECT_EQ(crypto::to_bytes(s.subspan(8, 32)), crypto::to_bytes(h.prev_hash.span()));
  EXPECT_EQ(crypto::to_bytes(s.subspan(40, 32)), crypto::to_bytes(h.tx_root.span()));
  EXPECT_EQ(crypto::to_bytes(s.subspan(72, 32)), crypto::to_bytes(h.state_root.span()));
  EXPECT_EQ(load_le(s, 104, 4), h.time);
  EXPECT_EQ(load_le(s, 108, 4), h.bits);
  EXPECT_EQ(load_le(s, 112, 4), h.nonce);
  EXPECT_EQ(enc[0], 0x01);
  EXPECT_EQ(enc[115], 0xc3);

  Writer w;
  h.encode(w);
  EXPECT_EQ(w.data(), crypto::to_bytes(s));
}

TEST(BlockHeader, DecodeRoundTripAndStrictLength) {
  const BlockHeader h = distinctive_header();
  const auto enc = h.encode();
  EXPECT_EQ(BlockHeader::decode(ByteSpan(enc)), h);
  for (std::size_t len = 0; len < BlockHeader::kSize; ++len) {
    auto dec = BlockHeader::decode(ByteSpan(enc).first(len));
    ASSERT_FALSE(dec.has_value()) << len;
    EXPECT_EQ(dec.error(), DecodeError::kTruncated) << len;
  }
  Bytes longer(enc.begin(), enc.end());
  longer.push_back(0);
  EXPECT_EQ(BlockHeader::decode(ByteSpan(longer)).error(), DecodeError::kTrailingBytes);
}

TEST(BlockHeader, HashIsSha256dOfTheEncoding) {
  const BlockHeader h = distinctive_header();
  EXPECT_EQ(h.hash(), crypto::sha256d(h.encode()));
  BlockHeader other = h;
  other.nonce += 1;
  EXPECT_NE(other.hash(), h.hash());
}

TEST(BlockHeader, MidstateSplitMatchesTheHash) {
  static_assert(BlockHeader::kMidstatePrefix == crypto::Sha256dMidstate::kBlockSize);
  static_assert(BlockHeader::kSize - BlockHeader::kMidstatePrefix == 52);
  static_assert(BlockHeader::kSize - BlockHeader::kMidstatePrefix <= crypto::Sha256dMidstate::kMaxTail);
  BlockHeader h = distinctive_header();
  const auto enc = h.encode();
  const crypto::Sha256dMidstate mid(ByteSpan(enc).first(BlockHeader::kMidstatePrefix));
  // What a miner does: fix the prefix, vary time/nonce in the tail.
  for (std::uint32_t nonce = 0; nonce < 64; ++nonce) {
    h.nonce = nonce;
    h.time = 1'700'000'000 + nonce * 7;
    const auto e = h.encode();
    ASSERT_TRUE(std::equal(e.begin(), e.begin() + BlockHeader::kMidstatePrefix, enc.begin()));
    EXPECT_EQ(mid.hash(ByteSpan(e).subspan(BlockHeader::kMidstatePrefix)), h.hash()) << nonce;
  }
}

TEST(BlockHeader, MiningFieldsLieInTheTail) {
  // Changing time or nonce must leave the 64-byte prefix untouched, or the midstate is useless.
  const BlockHeader h = distinctive_header();
  BlockHeader m = h;
  m.time ^= 0xffffffff;
  m.nonce ^= 0xffffffff;
  m.bits ^= 0xffffffff;
  m.state_root.bytes.fill(0);
  const auto a = h.encode();
  const auto b = m.encode();
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + BlockHeader::kMidstatePrefix, b.begin()));
}

TEST(Block, EncodeLayoutAndSize) {
  const Block b = small_block(3);
  const Bytes enc = b.encode();
  ASSERT_EQ(enc.size(), BlockHeader::kSize + 1 + 3 * Transaction::kSize);
  EXPECT_EQ(enc.size(), b.encoded_size());
  const auto header = b.header.encode();
  EXPECT_TRUE(std::equal(header.begin(), header.end(), enc.begin()));
  EXPECT_EQ(enc[BlockHeader::kSize], 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const Bytes tx = b.txs[i].encode();
    const auto at = enc.begin() + static_cast<std::ptrdiff_t>(BlockHeader::kSize + 1 + i * Transaction::kSize);
    EXPECT_TRUE(std::equal(tx.begin(), tx.end(), at)) << i;
  }
}

TEST(Block, EncodedSizeAcrossCompactSizeWidths) {
  for (std::size_t n : {0u, 1u, 0xfcu, 0xfdu, 300u}) {
    const Block b = small_block(n);
    EXPECT_EQ(b.encode().size(), b.encoded_size()) << n;
    EXPECT_EQ(Block::decode(b.encode(), kMaxBlockTxsDecode), b) << n;
  }
}

TEST(Block, DecodeRejectsEveryTruncation) {
  const Bytes enc = small_block(3).encode();
  ASSERT_TRUE(Block::decode(enc, 10).has_value());
  for (std::size_t len = 0; len < enc.size(); ++len) {
    auto dec = Block::decode(ByteSpan(enc).first(len), 10);
    ASSERT_FALSE(dec.has_value()) << "cut at " << len;
    EXPECT_EQ(dec.error(), DecodeError::kTruncated) << "cut at " << len;
  }
}

TEST(Block, DecodeRejectsTrailingBytes) {
  for (std::size_t extra : {1u, 143u, 144u, 1000u}) {
    Bytes enc = small_block(2).encode();
    enc.resize(enc.size() + extra, 0);
    auto dec = Block::decode(enc, 10);
    ASSERT_FALSE(dec.has_value()) << extra;
    EXPECT_EQ(dec.error(), DecodeError::kTrailingBytes) << extra;
  }
}

TEST(Block, DecodeRejectsMoreTransactionsThanAllowed) {
  const Bytes enc = small_block(5).encode();
  EXPECT_TRUE(Block::decode(enc, 5).has_value());
  auto dec = Block::decode(enc, 4);
  ASSERT_FALSE(dec.has_value());
  EXPECT_EQ(dec.error(), DecodeError::kSizeTooLarge);
  EXPECT_EQ(Block::decode(enc, 0).error(), DecodeError::kSizeTooLarge);
  EXPECT_EQ(Block::decode(small_block(0).encode(), 0).value(), small_block(0));
}

TEST(Block, HardCeilingAppliesWhateverTheCallerAllows) {
  // A count one above the ceiling is refused even when the caller would allow more.
  const Bytes enc = with_count(distinctive_header(), kMaxBlockTxsDecode + 1, 0);
  EXPECT_EQ(Block::decode(enc, kMaxBlockTxsDecode * 4).error(), DecodeError::kSizeTooLarge);
  const Bytes huge = with_count(distinctive_header(), std::uint64_t{1} << 40, 0);
  EXPECT_EQ(Block::decode(huge, std::numeric_limits<std::size_t>::max()).error(), DecodeError::kSizeTooLarge);
}

TEST(Block, NonMinimalCountIsRejected) {
  Writer w;
  distinctive_header().encode(w);
  w.u8(0xfd);
  w.u16(1);  // 1 written in three bytes
  Bytes enc = w.take();
  const Bytes tx = small_block(1).txs[0].encode();
  enc.insert(enc.end(), tx.begin(), tx.end());
  EXPECT_EQ(Block::decode(enc, 10).error(), DecodeError::kNonMinimalSize);
}

TEST(Block, HugeCountWithTinyBodyFailsWithoutAllocating) {
  const BlockHeader h = distinctive_header();
  for (std::uint64_t count : {std::uint64_t{60000}, std::uint64_t{kMaxBlockTxsDecode}, std::uint64_t{2}}) {
    const Bytes enc = with_count(h, count, 10);
    std::expected<Block, DecodeError> dec;
    const std::size_t bytes = allocated_bytes([&] { dec = Block::decode(enc, kMaxBlockTxsDecode); });
    ASSERT_FALSE(dec.has_value()) << count;
    EXPECT_EQ(dec.error(), DecodeError::kTruncated) << count;
    if (TALLY_TEST_COUNT_ALLOCATIONS) {
      EXPECT_LT(bytes, 1024u) << "count " << count;
    }
  }
  // A body one transaction short of the count: still rejected, still no big reservation.
  const Bytes short_body = with_count(h, 60000, 59999 * Transaction::kSize);
  std::expected<Block, DecodeError> dec;
  const std::size_t bytes = allocated_bytes([&] { dec = Block::decode(short_body, kMaxBlockTxsDecode); });
  EXPECT_EQ(dec.error(), DecodeError::kTruncated);
  if (TALLY_TEST_COUNT_ALLOCATIONS) {
    EXPECT_LT(bytes, 1024u);
  }
}

TEST(Block, AllocationCounterSeesARealDecode) {
  // Guards the test above against a counter that never counts.
  if (!TALLY_TEST_COUNT_ALLOCATIONS) GTEST_SKIP() << "allocation counting is off under sanitizers";
  const Bytes enc = small_block(4).encode();
  std::expected<Block, DecodeError> dec;
  const std::size_t bytes = allocated_bytes([&] { dec = Block::decode(enc, 10); });
  ASSERT_TRUE(dec.has_value());
  EXPECT_GE(bytes, 4 * sizeof(Transaction));
}

TEST(Block, TxRootAndTxids) {
  const Block b = small_block(5);
  const auto ids = b.txids();
  ASSERT_EQ(ids.size(), 5u);
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], b.txs[i].txid());
  EXPECT_EQ(b.compute_tx_root(), merkle_root(ids));
  EXPECT_EQ(Block{}.compute_tx_root(), Hash256{});
  EXPECT_EQ(b.hash(), b.header.hash());
}

TEST(Block, RandomValuesRoundTripCanonically) {
  const std::uint64_t seed = test_util::testing_seed();
  SCOPED_TRACE(test_util::seed_trace(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    const BlockHeader h = test_util::random_header(rng);
    const auto h_enc = h.encode();
    auto h_dec = BlockHeader::decode(ByteSpan(h_enc));
    ASSERT_TRUE(h_dec.has_value()) << "header " << i;
    ASSERT_EQ(*h_dec, h) << "header " << i;
    ASSERT_EQ(h_dec->encode(), h_enc) << "header " << i;

    const Block b = test_util::random_block(rng, 50);
    const Bytes enc = b.encode();
    ASSERT_EQ(enc.size(), b.encoded_size()) << "block " << i;
    auto dec = Block::decode(enc, 50);
    ASSERT_TRUE(dec.has_value()) << "block " << i << ": " << to_string(dec.error());
    ASSERT_EQ(*dec, b) << "block " << i;
    ASSERT_EQ(dec->encode(), enc) << "block " << i;
  }
}

}  // namespace
}  // namespace tally::ledger
