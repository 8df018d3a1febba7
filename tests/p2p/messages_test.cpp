// Wire messages, frames and the FrameDecoder: round trips of every message type, every
// per-message limit, every decoder error, the decoder's memory bound, and NetAddress text.
#include "p2p/messages.h"

#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "support/seed.h"

namespace tally::p2p {
namespace {

constexpr std::uint32_t kMagic = 0x544c5931;

template <class Fixed>
Fixed filled(std::uint8_t first) {
  Fixed out;
  for (std::size_t i = 0; i < Fixed::kSize; ++i) out.bytes[i] = static_cast<std::uint8_t>(first + i);
  return out;
}

ledger::Transaction sample_tx(std::uint8_t k) {
  ledger::Transaction tx;
  tx.chain_id = 7077;
  tx.sender = filled<crypto::PublicKey>(k);
  tx.recipient = filled<crypto::Address>(static_cast<std::uint8_t>(k + 1));
  tx.amount = 1'000'000 + k;
  tx.fee = 1000;
  tx.nonce = k;
  tx.signature = filled<crypto::Signature>(static_cast<std::uint8_t>(k + 2));
  return tx;
}

ledger::BlockHeader sample_header(std::uint32_t height) {
  ledger::BlockHeader h;
  h.height = height;
  h.prev_hash = filled<crypto::Hash256>(static_cast<std::uint8_t>(height));
  h.tx_root = filled<crypto::Hash256>(static_cast<std::uint8_t>(height + 40));
  h.state_root = filled<crypto::Hash256>(static_cast<std::uint8_t>(height + 80));
  h.time = 1'764'028'800 + height * 5;
  h.bits = 0x1e0fffff;
  h.nonce = 0xdeadbeef + height;
  return h;
}

InvItem item(InvType t, std::uint8_t k) { return InvItem{t, filled<crypto::Hash256>(k)}; }

// One non-trivial example of every message type, in type order.
std::vector<Message> sample_messages() {
  VersionMsg version;
  version.chain_id = 7077;
  version.genesis_hash = filled<crypto::Hash256>(9);
  version.best_height = 123456;
  version.listen_port = 9333;
  version.nonce = 0x0123456789abcdefULL;
  version.user_agent = "/tally:0.1.0/";

  AddrMsg addr;
  addr.entries.push_back({NetAddress::ipv4(0x0a000001, 9333), 1'764'028'800});
  addr.entries.push_back({*parse_net_address("[2001:db8::1]:18444"), 42, std::nullopt});
  crypto::CompressedPublicKey key = filled<crypto::CompressedPublicKey>(5);
  key.bytes[0] = 3;
  addr.entries.push_back({*parse_net_address("10.0.0.2:9333"), 43, key});

  GetHeadersMsg getheaders;
  getheaders.locator = {filled<crypto::Hash256>(1), filled<crypto::Hash256>(2), filled<crypto::Hash256>(3)};
  getheaders.stop = filled<crypto::Hash256>(4);

  HeadersMsg headers;
  for (std::uint32_t h = 1; h <= 3; ++h) headers.headers.push_back(sample_header(h));

  BlockMsg block;
  block.block.header = sample_header(7);
  block.block.txs = {sample_tx(1), sample_tx(2)};

  return {version,
          VerackMsg{},
          PingMsg{0x1122334455667788ULL},
          PongMsg{0x8877665544332211ULL},
          GetAddrMsg{},
          addr,
          InvMsg{{item(InvType::kTx, 1), item(InvType::kBlock, 2)}},
          GetDataMsg{{item(InvType::kBlock, 3)}},
          NotFoundMsg{{item(InvType::kTx, 4), item(InvType::kTx, 5), item(InvType::kBlock, 6)}},
          TxMsg{sample_tx(9)},
          getheaders,
          headers,
          block,
          SendCmpctMsg{true, kCompactVersion},
          CmpctBlockMsg{sample_header(8), 0x5eed, {0x0000a1b2c3d4e5f0ULL, 0xffffffffffffULL, 1},
                        {PrefilledTx{0, sample_tx(3)}, PrefilledTx{4, sample_tx(4)}}},
          GetBlockTxnMsg{filled<crypto::Hash256>(5), {1, 2, 70, 300}},
          BlockTxnMsg{filled<crypto::Hash256>(6), {sample_tx(5), sample_tx(6)}}};
}

// All frames the decoder yields until it wants more bytes; fails the test on an error.
std::vector<FrameDecoder::Frame> drain(FrameDecoder& d) {
  std::vector<FrameDecoder::Frame> out;
  for (;;) {
    auto next = d.next();
    EXPECT_TRUE(next.has_value()) << to_string(next.error());
    if (!next || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

Bytes frame_with(std::uint8_t type, ByteSpan payload) {
  ledger::Writer w;
  w.u32(kMagic);
  w.u8(type);
  w.u32(static_cast<std::uint32_t>(payload.size()));
  w.u32(payload_checksum(payload));
  w.bytes(payload);
  return w.take();
}

Bytes payload_of(const Message& m) {
  const Bytes frame = encode_frame(kMagic, m);
  return Bytes(frame.begin() + kFrameHeaderSize, frame.end());
}

FrameDecoder::Error decode_error(ByteSpan bytes) {
  FrameDecoder d(kMagic);
  d.feed(bytes);
  auto next = d.next();
  EXPECT_FALSE(next.has_value());
  return next ? FrameDecoder::Error::kMalformedPayload : next.error();
}

ledger::DecodeError payload_error(MessageType type, ByteSpan payload) {
  auto m = decode_payload(type, payload);
  EXPECT_FALSE(m.has_value());
  return m ? ledger::DecodeError::kTruncated : m.error();
}

Bytes compact_count(std::uint64_t n) {
  ledger::Writer w;
  w.compact_size(n);
  return w.take();
}

// ---- round trips --------------------------------------------------------------------------

TEST(Messages, SamplesCoverEveryTypeInOrder) {
  const auto messages = sample_messages();
  ASSERT_EQ(messages.size(), std::size_t{kLastMessageType});
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto type = static_cast<MessageType>(i + 1);
    EXPECT_EQ(type_of(messages[i]), type);
    EXPECT_STRNE(message_name(type), "unknown");
  }
  EXPECT_STREQ(message_name(MessageType::kGetHeaders), "getheaders");
  EXPECT_STREQ(message_name(static_cast<MessageType>(99)), "unknown");
}

TEST(Messages, FrameLayout) {
  const Bytes frame = encode_frame(kMagic, PingMsg{0x0102030405060708ULL});
  ASSERT_EQ(frame.size(), kFrameHeaderSize + 8);
  // magic, little-endian
  EXPECT_EQ(frame[0], 0x31);
  EXPECT_EQ(frame[1], 0x59);
  EXPECT_EQ(frame[2], 0x4c);
  EXPECT_EQ(frame[3], 0x54);
  EXPECT_EQ(frame[4], 3);  // ping
  EXPECT_EQ(frame[5], 8);
  EXPECT_EQ(frame[6], 0);
  EXPECT_EQ(frame[8], 0);
  EXPECT_EQ(frame[13], 0x08);
  EXPECT_EQ(frame[20], 0x01);
  const FrameHeader h = decode_frame_header(ByteSpan(frame).first(kFrameHeaderSize));
  EXPECT_EQ(h.magic, kMagic);
  EXPECT_EQ(h.type, 3);
  EXPECT_EQ(h.length, 8u);
  const crypto::Hash256 digest = crypto::sha256d(ByteSpan(frame).subspan(kFrameHeaderSize));
  EXPECT_EQ(h.checksum, std::uint32_t{digest.bytes[0]} | std::uint32_t{digest.bytes[1]} << 8 |
                            std::uint32_t{digest.bytes[2]} << 16 | std::uint32_t{digest.bytes[3]} << 24);
  EXPECT_EQ(h.checksum, payload_checksum(ByteSpan(frame).subspan(kFrameHeaderSize)));
}

TEST(Messages, EmptyPayloadChecksum) {
  // SHA-256d("") = 5df6e0e2...
  EXPECT_EQ(payload_checksum({}), 0xe2e0f65du);
  EXPECT_EQ(encode_frame(kMagic, VerackMsg{}).size(), kFrameHeaderSize);
}

TEST(Messages, RoundTripEachTypeWhole) {
  for (const Message& m : sample_messages()) {
    SCOPED_TRACE(message_name(type_of(m)));
    const Bytes frame = encode_frame(kMagic, m);
    FrameDecoder d(kMagic);
    d.feed(frame);
    auto frames = drain(d);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].type, type_of(m));
    EXPECT_EQ(frames[0].message, m);
    EXPECT_EQ(frames[0].wire_size, frame.size());
    EXPECT_EQ(d.buffered(), 0u);
    // decode_payload agrees with the decoder.
    auto direct = decode_payload(type_of(m), ByteSpan(frame).subspan(kFrameHeaderSize));
    ASSERT_TRUE(direct.has_value());
    EXPECT_EQ(*direct, m);
  }
}

TEST(Messages, RoundTripEachTypeByteByByte) {
  for (const Message& m : sample_messages()) {
    SCOPED_TRACE(message_name(type_of(m)));
    const Bytes frame = encode_frame(kMagic, m);
    FrameDecoder d(kMagic);
    for (std::size_t i = 0; i < frame.size(); ++i) {
      d.feed(ByteSpan(frame).subspan(i, 1));
      auto next = d.next();
      ASSERT_TRUE(next.has_value()) << to_string(next.error());
      if (i + 1 < frame.size()) {
        ASSERT_FALSE(next->has_value()) << "frame ended early at byte " << i;
        EXPECT_EQ(d.buffered(), i + 1);
      } else {
        ASSERT_TRUE(next->has_value());
        EXPECT_EQ((*next)->message, m);
      }
    }
  }
}

TEST(Messages, SeveralFramesInOneFeed) {
  const auto messages = sample_messages();
  Bytes stream;
  for (const Message& m : messages) {
    const Bytes f = encode_frame(kMagic, m);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  // Twice over, so frames straddle the point where the first copy ends.
  const Bytes once = stream;
  stream.insert(stream.end(), once.begin(), once.end());

  FrameDecoder d(kMagic);
  d.feed(stream);
  auto frames = drain(d);
  ASSERT_EQ(frames.size(), 2 * messages.size());
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].message, messages[i % messages.size()]);

  // The same stream in random chunks gives the same frames. Every chunking must, so the
  // seed is fresh each run (TALLY_SEED, printed on failure, replays one).
  const auto seed = support::test_seed();
  ASSERT_TRUE(seed) << seed.error();
  SCOPED_TRACE(seed->trace);
  std::mt19937_64 rng(seed->value);
  FrameDecoder chunked(kMagic);
  std::vector<Message> got;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t n = std::min<std::size_t>(stream.size() - pos, 1 + rng() % 200);
    chunked.feed(ByteSpan(stream).subspan(pos, n));
    pos += n;
    for (auto& f : drain(chunked)) got.push_back(std::move(f.message));
  }
  ASSERT_EQ(got.size(), frames.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], frames[i].message);
}

TEST(Messages, EmptyListsAndDefaultsRoundTrip) {
  const std::vector<Message> messages = {VersionMsg{}, AddrMsg{}, InvMsg{}, GetDataMsg{}, NotFoundMsg{},
                                         GetHeadersMsg{}, HeadersMsg{}, BlockMsg{}, SendCmpctMsg{},
                                         CmpctBlockMsg{}, GetBlockTxnMsg{}, BlockTxnMsg{}};
  for (const Message& m : messages) {
    SCOPED_TRACE(message_name(type_of(m)));
    auto back = decode_payload(type_of(m), payload_of(m));
    ASSERT_TRUE(back.has_value()) << ledger::to_string(back.error());
    EXPECT_EQ(*back, m);
  }
}

// The fuzz corpus is generated by tests/fuzz/make_frame_corpus.py, written from
// docs/PROTOCOL.md without this code: decoding it checks the document against the code.
TEST(Messages, FramesWrittenFromTheProtocolDocumentDecode) {
  const char* root = std::getenv("TALLY_SOURCE_DIR");
  if (root == nullptr) GTEST_SKIP() << "TALLY_SOURCE_DIR is not set (run through ctest)";
  const std::string path = std::string(root) + "/tests/fuzz/corpus/frame_decoder/all_types";
  std::ifstream f(path, std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  const Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(data.empty());
  FrameDecoder d(kMagic);
  d.feed(ByteSpan(data).subspan(1));  // byte 0 is the fuzz target's chunking seed
  auto frames = drain(d);
  ASSERT_EQ(frames.size(), std::size_t{kLastMessageType});
  for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].type, static_cast<MessageType>(i + 1));
  EXPECT_EQ(d.buffered(), 0u);
  const auto& v = std::get<VersionMsg>(frames[0].message);
  EXPECT_EQ(v.chain_id, 7077u);
  EXPECT_EQ(v.user_agent, "/tally-corpus:1/");
  const auto& addr = std::get<AddrMsg>(frames[5].message);
  ASSERT_EQ(addr.entries.size(), 2u);
  EXPECT_EQ(addr.entries[0].address.to_string(), "10.0.0.1:9333");
  EXPECT_EQ(addr.entries[1].address.to_string(), "[2001:db8::1]:18444");
  EXPECT_FALSE(addr.entries[0].node_key);
  ASSERT_TRUE(addr.entries[1].node_key);
  EXPECT_EQ(addr.entries[1].node_key->bytes[0], 2);
  EXPECT_EQ(std::get<BlockMsg>(frames[12].message).block.txs.size(), 2u);
  const auto& cmpct = std::get<CmpctBlockMsg>(frames[14].message);
  EXPECT_EQ(cmpct.short_ids.size(), 3u);
  ASSERT_EQ(cmpct.prefilled.size(), 2u);
  EXPECT_EQ(cmpct.prefilled[1].index, 2u);
  EXPECT_EQ(cmpct.short_ids[0], 0xa1b2c3d4e5f0ULL);
  EXPECT_EQ(std::get<GetBlockTxnMsg>(frames[15].message).indexes, (std::vector<std::uint32_t>{1, 3, 4}));
  EXPECT_EQ(std::get<BlockTxnMsg>(frames[16].message).txs.size(), 2u);
}

// ---- limits -------------------------------------------------------------------------------

TEST(MessageLimits, MaxPayloadSizes) {
  EXPECT_EQ(max_payload_size(1), 4u + 4 + 32 + 4 + 2 + 8 + 3 + 256);
  EXPECT_EQ(max_payload_size(2), 0u);
  EXPECT_EQ(max_payload_size(3), 8u);
  EXPECT_EQ(max_payload_size(4), 8u);
  EXPECT_EQ(max_payload_size(5), 0u);
  EXPECT_EQ(max_payload_size(6), 3u + 1000 * 56);
  EXPECT_EQ(max_payload_size(7), 3u + 50000 * 33);
  EXPECT_EQ(max_payload_size(8), 3u + 50000 * 33);
  EXPECT_EQ(max_payload_size(9), 3u + 50000 * 33);
  EXPECT_EQ(max_payload_size(10), 144u);
  EXPECT_EQ(max_payload_size(11), 1u + 101 * 32 + 32);
  EXPECT_EQ(max_payload_size(12), 3u + 2000 * 116);
  EXPECT_EQ(max_payload_size(13), 116u + 5 + ledger::kMaxBlockTxsDecode * 144);
  EXPECT_EQ(max_payload_size(14), 9u);
  EXPECT_EQ(max_payload_size(15), 116u + 8 + 5 + 5 + ledger::kMaxBlockTxsDecode * (3 + 144));
  EXPECT_EQ(max_payload_size(16), 32u + 5 + ledger::kMaxBlockTxsDecode * 3);
  EXPECT_EQ(max_payload_size(17), 32u + 5 + ledger::kMaxBlockTxsDecode * 144);
  EXPECT_EQ(max_payload_size(0), 0u);
  EXPECT_EQ(max_payload_size(18), 0u);
  EXPECT_EQ(max_payload_size(255), 0u);
}

// Compact block payloads that break a rule of docs/PROTOCOL.md, each refused with a reason.
TEST(MessageLimits, CompactBlockPayloadsOutsideTheRules) {
  // sendcmpct: the mode byte is 0 or 1.
  Bytes sendcmpct = payload_of(SendCmpctMsg{true, 1});
  sendcmpct[0] = 2;
  EXPECT_EQ(payload_error(MessageType::kSendCmpct, sendcmpct), ledger::DecodeError::kInvalidValue);
  // cmpctblock: a prefilled index past the last slot.
  CmpctBlockMsg m{sample_header(3), 1, {5}, {PrefilledTx{0, sample_tx(1)}}};
  Bytes ok = payload_of(m);
  EXPECT_TRUE(decode_payload(MessageType::kCmpctBlock, ok).has_value());
  m.prefilled.push_back(PrefilledTx{2, sample_tx(2)});  // 1 short id + 2 prefilled: slots 0..2
  EXPECT_TRUE(decode_payload(MessageType::kCmpctBlock, payload_of(m)).has_value());
  m.prefilled.back().index = 3;  // past the 3 slots
  EXPECT_EQ(payload_error(MessageType::kCmpctBlock, payload_of(m)), ledger::DecodeError::kInvalidValue);
  // cmpctblock: more slots than a block may hold.
  ledger::Writer w;
  sample_header(3).encode(w);
  w.u64(1);
  w.compact_size(ledger::kMaxBlockTxsDecode + 1);
  EXPECT_EQ(payload_error(MessageType::kCmpctBlock, w.data()), ledger::DecodeError::kSizeTooLarge);
  // getblocktxn: an index past the largest block.
  GetBlockTxnMsg ask{filled<crypto::Hash256>(1), {static_cast<std::uint32_t>(ledger::kMaxBlockTxsDecode - 1)}};
  EXPECT_TRUE(decode_payload(MessageType::kGetBlockTxn, payload_of(ask)).has_value());
  ask.indexes = {1, static_cast<std::uint32_t>(ledger::kMaxBlockTxsDecode)};
  EXPECT_EQ(payload_error(MessageType::kGetBlockTxn, payload_of(ask)), ledger::DecodeError::kInvalidValue);
  // blocktxn: a count its payload cannot hold.
  ledger::Writer t;
  t.fixed(filled<crypto::Hash256>(1));
  t.compact_size(2);
  sample_tx(1).encode(t);
  EXPECT_EQ(payload_error(MessageType::kBlockTxn, t.data()), ledger::DecodeError::kTruncated);
}

TEST(MessageLimits, ListsAtTheirMaximumDecodeAndFillTheLimit) {
  AddrMsg addr;
  crypto::CompressedPublicKey key = filled<crypto::CompressedPublicKey>(6);
  key.bytes[0] = 2;
  addr.entries.assign(kMaxAddrPerMessage, AddrEntry{NetAddress::ipv4(0x01020304, 5), 6, key});
  InvMsg inv;
  inv.items.assign(kMaxInvPerMessage, item(InvType::kBlock, 7));
  GetHeadersMsg getheaders;
  getheaders.locator.assign(kMaxLocatorHashes, filled<crypto::Hash256>(8));
  HeadersMsg headers;
  headers.headers.assign(kMaxHeadersPerMessage, sample_header(9));
  VersionMsg version;
  version.user_agent.assign(kMaxUserAgent, '~');

  for (const Message& m : std::vector<Message>{addr, inv, GetDataMsg{inv.items}, NotFoundMsg{inv.items}, getheaders,
                                               headers, version}) {
    SCOPED_TRACE(message_name(type_of(m)));
    const Bytes frame = encode_frame(kMagic, m);
    EXPECT_EQ(frame.size() - kFrameHeaderSize, max_payload_size(static_cast<std::uint8_t>(type_of(m))));
    FrameDecoder d(kMagic);
    d.feed(frame);
    auto frames = drain(d);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].message, m);
  }
}

TEST(MessageLimits, LargestBlockDecodesAndOneMoreTransactionDoesNot) {
  BlockMsg block;
  block.block.header = sample_header(1);
  block.block.txs.assign(ledger::kMaxBlockTxsDecode, sample_tx(3));
  const Bytes frame = encode_frame(kMagic, block);
  ASSERT_EQ(frame.size() - kFrameHeaderSize, max_payload_size(13));
  FrameDecoder d(kMagic);
  d.feed(frame);
  auto frames = drain(d);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(std::get<BlockMsg>(frames[0].message).block.txs.size(), ledger::kMaxBlockTxsDecode);

  // One transaction more: the payload exceeds the type's limit, which the header reveals.
  block.block.txs.push_back(sample_tx(4));
  const Bytes too_big = encode_frame(kMagic, block);
  EXPECT_EQ(decode_error(ByteSpan(too_big).first(kFrameHeaderSize)), FrameDecoder::Error::kOversized);
  EXPECT_EQ(payload_error(MessageType::kBlock, ByteSpan(too_big).subspan(kFrameHeaderSize)),
            ledger::DecodeError::kSizeTooLarge);
}

TEST(MessageLimits, CountsAboveTheMaximumAreRejectedBeforeTheItems) {
  // The count alone is enough: no item follows, yet the error is the limit, not truncation.
  EXPECT_EQ(payload_error(MessageType::kAddr, compact_count(kMaxAddrPerMessage + 1)),
            ledger::DecodeError::kSizeTooLarge);
  for (MessageType t : {MessageType::kInv, MessageType::kGetData, MessageType::kNotFound}) {
    EXPECT_EQ(payload_error(t, compact_count(kMaxInvPerMessage + 1)), ledger::DecodeError::kSizeTooLarge);
  }
  EXPECT_EQ(payload_error(MessageType::kGetHeaders, compact_count(kMaxLocatorHashes + 1)),
            ledger::DecodeError::kSizeTooLarge);
  EXPECT_EQ(payload_error(MessageType::kHeaders, compact_count(kMaxHeadersPerMessage + 1)),
            ledger::DecodeError::kSizeTooLarge);
  EXPECT_EQ(payload_error(MessageType::kInv, compact_count(0xffffffffffffffffULL)),
            ledger::DecodeError::kSizeTooLarge);

  // Whole messages one item over the limit, encoded honestly.
  AddrMsg addr;
  addr.entries.assign(kMaxAddrPerMessage + 1, AddrEntry{});
  EXPECT_EQ(payload_error(MessageType::kAddr, payload_of(addr)), ledger::DecodeError::kSizeTooLarge);
  InvMsg inv;
  inv.items.assign(kMaxInvPerMessage + 1, item(InvType::kTx, 1));
  EXPECT_EQ(payload_error(MessageType::kInv, payload_of(inv)), ledger::DecodeError::kSizeTooLarge);
  GetHeadersMsg getheaders;
  getheaders.locator.assign(kMaxLocatorHashes + 1, BlockHash{});
  EXPECT_EQ(payload_error(MessageType::kGetHeaders, payload_of(getheaders)), ledger::DecodeError::kSizeTooLarge);
  HeadersMsg headers;
  headers.headers.assign(kMaxHeadersPerMessage + 1, ledger::BlockHeader{});
  EXPECT_EQ(payload_error(MessageType::kHeaders, payload_of(headers)), ledger::DecodeError::kSizeTooLarge);
}

TEST(MessageLimits, AddrEntryFlagsAndKeysAreChecked) {
  auto one_entry = [](std::uint8_t flags, const Bytes& rest) {
    ledger::Writer w;
    w.compact_size(1);
    w.bytes(NetAddress::ipv4(0x0a000001, 9).ip);
    w.u16(9);
    w.u32(7);
    w.u8(flags);
    w.bytes(rest);
    return w.take();
  };
  Bytes key(33, 9);
  key[0] = 2;
  EXPECT_TRUE(decode_payload(MessageType::kAddr, one_entry(0, {})).has_value());
  EXPECT_TRUE(decode_payload(MessageType::kAddr, one_entry(1, key)).has_value());
  EXPECT_EQ(payload_error(MessageType::kAddr, one_entry(2, {})), ledger::DecodeError::kInvalidValue);
  EXPECT_EQ(payload_error(MessageType::kAddr, one_entry(1, Bytes(key.begin(), key.end() - 1))),
            ledger::DecodeError::kTruncated);
  key[0] = 4;
  EXPECT_EQ(payload_error(MessageType::kAddr, one_entry(1, key)), ledger::DecodeError::kInvalidValue);
  EXPECT_EQ(payload_error(MessageType::kAddr, one_entry(0, key)), ledger::DecodeError::kTrailingBytes);
}

TEST(MessageLimits, CountsLargerThanTheRemainingBytesAreTruncation) {
  EXPECT_EQ(payload_error(MessageType::kAddr, compact_count(kMaxAddrPerMessage)), ledger::DecodeError::kTruncated);
  EXPECT_EQ(payload_error(MessageType::kInv, compact_count(kMaxInvPerMessage)), ledger::DecodeError::kTruncated);
  EXPECT_EQ(payload_error(MessageType::kHeaders, compact_count(2)), ledger::DecodeError::kTruncated);
  // getheaders: the stop hash must follow the locator.
  Bytes p = compact_count(1);
  p.resize(1 + 32);
  EXPECT_EQ(payload_error(MessageType::kGetHeaders, p), ledger::DecodeError::kTruncated);
}

TEST(MessageLimits, UserAgent) {
  VersionMsg v;
  v.user_agent.assign(kMaxUserAgent + 1, 'a');
  const Bytes too_long = encode_frame(kMagic, v);
  EXPECT_EQ(payload_error(MessageType::kVersion, ByteSpan(too_long).subspan(kFrameHeaderSize)),
            ledger::DecodeError::kSizeTooLarge);
  // Over the frame limit too, so the decoder refuses it from the header.
  EXPECT_EQ(decode_error(too_long), FrameDecoder::Error::kOversized);

  for (char bad : {'\n', '\0', '\x1f', '\x7f', '\x80', '\xff'}) {
    v.user_agent = std::string("/tally") + bad + "/";
    SCOPED_TRACE(static_cast<int>(static_cast<unsigned char>(bad)));
    EXPECT_EQ(payload_error(MessageType::kVersion, payload_of(v)), ledger::DecodeError::kInvalidValue);
    EXPECT_EQ(decode_error(encode_frame(kMagic, v)), FrameDecoder::Error::kMalformedPayload);
  }
  v.user_agent = " !~printable ASCII only~! ";
  EXPECT_TRUE(decode_payload(MessageType::kVersion, payload_of(v)).has_value());
}

TEST(MessageLimits, InvTypes) {
  for (std::uint8_t bad : {0, 3, 255}) {
    Bytes p = compact_count(1);
    p.push_back(bad);
    p.resize(p.size() + 32, 0xab);
    for (MessageType t : {MessageType::kInv, MessageType::kGetData, MessageType::kNotFound}) {
      EXPECT_EQ(payload_error(t, p), ledger::DecodeError::kInvalidValue) << int{bad};
    }
    EXPECT_EQ(decode_error(frame_with(static_cast<std::uint8_t>(MessageType::kInv), p)),
              FrameDecoder::Error::kMalformedPayload);
  }
}

TEST(MessageLimits, StrictEncoding) {
  // Trailing bytes.
  Bytes ping = payload_of(PingMsg{1});
  ping.push_back(0);
  EXPECT_EQ(payload_error(MessageType::kPing, ping), ledger::DecodeError::kTrailingBytes);
  EXPECT_EQ(payload_error(MessageType::kVerack, Bytes{0}), ledger::DecodeError::kTrailingBytes);
  EXPECT_EQ(payload_error(MessageType::kGetAddr, Bytes{0}), ledger::DecodeError::kTrailingBytes);
  Bytes tx = payload_of(TxMsg{sample_tx(1)});
  EXPECT_EQ(payload_error(MessageType::kTx, ByteSpan(tx).first(143)), ledger::DecodeError::kTruncated);
  // A count in a longer form than needed.
  EXPECT_EQ(payload_error(MessageType::kInv, Bytes{0xfd, 0x01, 0x00}), ledger::DecodeError::kNonMinimalSize);
  // Unknown type numbers are not decodable.
  EXPECT_EQ(payload_error(static_cast<MessageType>(0), {}), ledger::DecodeError::kInvalidValue);
  EXPECT_EQ(payload_error(static_cast<MessageType>(kLastMessageType + 1), {}), ledger::DecodeError::kInvalidValue);
}

// ---- decoder errors -----------------------------------------------------------------------

TEST(FrameDecoder, WrongMagic) {
  const Bytes frame = encode_frame(kMagic + 1, PingMsg{5});
  EXPECT_EQ(decode_error(ByteSpan(frame).first(kFrameHeaderSize)), FrameDecoder::Error::kBadMagic);
  EXPECT_EQ(decode_error(frame), FrameDecoder::Error::kBadMagic);
}

TEST(FrameDecoder, UnknownType) {
  for (std::uint8_t type : {0, kLastMessageType + 1, 200, 255}) {
    Bytes frame = frame_with(type, {});
    EXPECT_EQ(decode_error(frame), FrameDecoder::Error::kUnknownType) << int{type};
  }
}

TEST(FrameDecoder, OversizedDetectedFromTheHeaderAlone) {
  struct Case {
    MessageType type;
    std::uint32_t length;
  };
  for (const Case c : {Case{MessageType::kPing, 9}, Case{MessageType::kVerack, 1}, Case{MessageType::kTx, 145},
                       Case{MessageType::kVersion, 314}, Case{MessageType::kBlock, 0xffffffff},
                       Case{MessageType::kHeaders, 3 + 2000 * 116 + 1}}) {
    ledger::Writer w;
    w.u32(kMagic);
    w.u8(static_cast<std::uint8_t>(c.type));
    w.u32(c.length);
    w.u32(0);
    FrameDecoder d(kMagic);
    d.feed(w.data());
    auto next = d.next();
    ASSERT_FALSE(next.has_value()) << message_name(c.type);
    EXPECT_EQ(next.error(), FrameDecoder::Error::kOversized);
  }
}

TEST(FrameDecoder, BadChecksum) {
  Bytes frame = encode_frame(kMagic, PingMsg{5});
  frame[9] ^= 1;
  EXPECT_EQ(decode_error(frame), FrameDecoder::Error::kBadChecksum);
  Bytes tampered = encode_frame(kMagic, PingMsg{5});
  tampered.back() ^= 0x80;
  EXPECT_EQ(decode_error(tampered), FrameDecoder::Error::kBadChecksum);
}

TEST(FrameDecoder, TruncatedPayloadWaits) {
  for (const Message& m : sample_messages()) {
    SCOPED_TRACE(message_name(type_of(m)));
    const Bytes frame = encode_frame(kMagic, m);
    FrameDecoder d(kMagic);
    // Part of the header, then all but the last byte.
    d.feed(ByteSpan(frame).first(kFrameHeaderSize - 1));
    auto a = d.next();
    ASSERT_TRUE(a.has_value());
    EXPECT_FALSE(a->has_value());
    if (frame.size() == kFrameHeaderSize) continue;
    d.feed(ByteSpan(frame).subspan(kFrameHeaderSize - 1, frame.size() - kFrameHeaderSize));
    auto b = d.next();
    ASSERT_TRUE(b.has_value());
    EXPECT_FALSE(b->has_value());
    EXPECT_EQ(d.buffered(), frame.size() - 1);
    d.feed(ByteSpan(frame).last(1));
    auto c = d.next();
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->message, m);
  }
}

TEST(FrameDecoder, MalformedPayloadUnderAValidChecksum) {
  const Bytes garbage = {0xde, 0xad, 0xbe, 0xef};
  for (MessageType t : {MessageType::kVersion, MessageType::kPing, MessageType::kAddr, MessageType::kInv,
                        MessageType::kTx, MessageType::kGetHeaders, MessageType::kHeaders, MessageType::kBlock}) {
    EXPECT_EQ(decode_error(frame_with(static_cast<std::uint8_t>(t), garbage)), FrameDecoder::Error::kMalformedPayload)
        << message_name(t);
  }
}

TEST(FrameDecoder, ErrorsAreFinalAndRepeat) {
  FrameDecoder d(kMagic);
  const Bytes good = encode_frame(kMagic, PingMsg{1});
  Bytes bad = encode_frame(kMagic, PongMsg{2});
  bad[13] ^= 1;
  d.feed(good);
  d.feed(bad);
  d.feed(good);
  auto first = d.next();
  ASSERT_TRUE(first.has_value() && first->has_value());
  for (int i = 0; i < 3; ++i) {
    auto again = d.next();
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), FrameDecoder::Error::kBadChecksum);
  }
}

TEST(FrameDecoder, ErrorNames) {
  for (auto e : {FrameDecoder::Error::kBadMagic, FrameDecoder::Error::kUnknownType, FrameDecoder::Error::kOversized,
                 FrameDecoder::Error::kBadChecksum, FrameDecoder::Error::kMalformedPayload}) {
    EXPECT_STRNE(to_string(e), "unknown frame error");
  }
}

#if defined(__GLIBC__)
std::size_t heap_in_use() {
  const struct mallinfo2 mi = ::mallinfo2();
  return mi.uordblks + mi.hblkhd;
}
#endif

TEST(FrameDecoder, BufferStaysBoundedOverManyFrames) {
  constexpr std::size_t kFrames = 10'000;
  Bytes stream;
  for (std::size_t i = 0; i < kFrames; ++i) {
    const Bytes f = encode_frame(kMagic, PingMsg{i});
    stream.insert(stream.end(), f.begin(), f.end());
  }
  const std::size_t frame_size = kFrameHeaderSize + 8;

  FrameDecoder d(kMagic);
#if defined(__GLIBC__)
  const std::size_t heap_before = heap_in_use();
#endif
  // Chunks of one and a half frames: the buffer never drains completely, so only compaction
  // (not clearing an empty buffer) keeps it small.
  std::size_t decoded = 0;
  std::size_t max_buffered = 0;
  for (std::size_t pos = 0; pos < stream.size();) {
    const std::size_t n = std::min(stream.size() - pos, frame_size + frame_size / 2);
    d.feed(ByteSpan(stream).subspan(pos, n));
    pos += n;
    for (;;) {
      auto next = d.next();
      ASSERT_TRUE(next.has_value());
      if (!next->has_value()) break;
      EXPECT_EQ(std::get<PingMsg>((*next)->message).nonce, decoded);
      ++decoded;
    }
    max_buffered = std::max(max_buffered, d.buffered());
  }
  EXPECT_EQ(decoded, kFrames);
  EXPECT_LT(max_buffered, frame_size);
#if defined(__GLIBC__)
  // Without compaction the buffer would hold all 210,000 bytes; with it, a few frames.
  const std::size_t heap_after = heap_in_use();
  EXPECT_LT(heap_after, heap_before + 16 * 1024) << "the decoder's buffer grew with the stream";
#endif
}

// ---- addresses ----------------------------------------------------------------------------

TEST(NetAddress, Ipv4) {
  const NetAddress a = NetAddress::ipv4(0x01020304, 5);
  EXPECT_TRUE(a.is_ipv4());
  EXPECT_EQ(a.to_string(), "1.2.3.4:5");
  EXPECT_EQ(a.ip[10], 0xff);
  EXPECT_EQ(a.ip[11], 0xff);
  EXPECT_EQ(a.ip[12], 1);
  EXPECT_EQ(a.ip[15], 4);
  EXPECT_EQ(NetAddress::ipv4(0xffffffff, 65535).to_string(), "255.255.255.255:65535");
  EXPECT_LT(NetAddress::ipv4(0x01020304, 5), NetAddress::ipv4(0x01020305, 5));
}

TEST(NetAddress, ParsesAndPrints) {
  struct Case {
    const char* text;
    const char* printed;
    bool ipv4;
  };
  for (const Case c : {Case{"1.2.3.4:5", "1.2.3.4:5", true}, Case{"127.0.0.1:9333", "127.0.0.1:9333", true},
                       Case{"localhost:9000", "127.0.0.1:9000", true}, Case{"[::1]:8333", "[::1]:8333", false},
                       Case{"[2001:db8::ff]:1", "[2001:db8::ff]:1", false},
                       Case{"[2001:DB8:0:0:0:0:0:1]:65535", "[2001:db8::1]:65535", false},
                       Case{"[::ffff:10.0.0.1]:7", "10.0.0.1:7", true}, Case{"0.0.0.0:1", "0.0.0.0:1", true}}) {
    SCOPED_TRACE(c.text);
    auto a = parse_net_address(c.text);
    ASSERT_TRUE(a.has_value()) << a.error();
    EXPECT_EQ(a->to_string(), c.printed);
    EXPECT_EQ(a->is_ipv4(), c.ipv4);
    auto again = parse_net_address(a->to_string());
    ASSERT_TRUE(again.has_value()) << again.error();
    EXPECT_EQ(*again, *a);
  }
  EXPECT_EQ(*parse_net_address("localhost:1"), NetAddress::ipv4(0x7f000001, 1));
  EXPECT_EQ(*parse_net_address("10.1.2.3:9"), NetAddress::ipv4(0x0a010203, 9));
}

TEST(NetAddress, Errors) {
  struct Case {
    const char* text;
    const char* contains;
  };
  for (const Case c : {Case{"1.2.3.4", "missing port"}, Case{"1.2.3.4:", "missing port"},
                       Case{"[::1]", "missing port"}, Case{"[::1]:", "missing port"}, Case{"localhost", "missing port"},
                       Case{"", "missing port"}, Case{"1.2.3.4:0", "bad port"}, Case{"1.2.3.4:65536", "bad port"},
                       Case{"1.2.3.4:99999999999", "bad port"}, Case{"1.2.3.4:abc", "bad port"},
                       Case{"1.2.3.4:-1", "bad port"}, Case{"1.2.3.4:+5", "bad port"}, Case{"1.2.3.4: 5", "bad port"},
                       Case{"1.2.3.4:5x", "bad port"}, Case{"256.1.1.1:5", "bad host"}, Case{"1.2.3:5", "bad host"},
                       Case{"example.com:5", "bad host"}, Case{":5", "bad host"}, Case{"::1:5", "bad host"},
                       Case{"[::1:5", "bad host"}, Case{"[zz]:5", "bad host"}, Case{"[1.2.3.4]:5", "bad host"},
                       Case{"[::1]x5", "bad host"}, Case{"LOCALHOST:5", "bad host"}}) {
    auto a = parse_net_address(c.text);
    ASSERT_FALSE(a.has_value()) << c.text << " parsed as " << a->to_string();
    EXPECT_NE(a.error().find(c.contains), std::string::npos) << c.text << ": " << a.error();
  }
}

}  // namespace
}  // namespace tally::p2p
