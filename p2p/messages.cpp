#include "p2p/messages.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <type_traits>

#include "crypto/sha256.h"

namespace tally::p2p {

using ledger::DecodeError;
using ledger::Reader;
using ledger::Writer;

namespace {

// Encoded sizes of the fixed-size list items.
// ip 16 | port 2 | last_seen 4 | flags 1 | node key 33 when flags bit 0 is set
constexpr std::size_t kAddrEntryMinSize = 16 + 2 + 4 + 1;
constexpr std::size_t kAddrEntryMaxSize = kAddrEntryMinSize + 33;
constexpr std::uint8_t kAddrFlagNodeKey = 1;
constexpr std::size_t kInvItemSize = 1 + 32;
constexpr std::size_t kHashSize = 32;

constexpr std::size_t compact_size_length(std::size_t n) {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
}
constexpr std::size_t max_list_size(std::size_t max_count, std::size_t item_size) {
  return compact_size_length(max_count) + max_count * item_size;
}

constexpr std::size_t kMaxVersionPayload =
    4 + 4 + kHashSize + 4 + 2 + 8 + compact_size_length(kMaxUserAgent) + kMaxUserAgent;
static_assert(kMaxVersionPayload == 4 + 4 + 32 + 4 + 2 + 8 + 3 + 256);
constexpr std::size_t kMaxBlockPayload = ledger::BlockHeader::kSize +
                                         compact_size_length(ledger::kMaxBlockTxsDecode) +
                                         ledger::kMaxBlockTxsDecode * ledger::Transaction::kSize;
static_assert(kMaxBlockPayload == 116 + 5 + ledger::kMaxBlockTxsDecode * 144);
constexpr std::size_t kShortIdSize = 6;
constexpr std::size_t kMaxTxs = ledger::kMaxBlockTxsDecode;
// An index difference is below kMaxTxs, so its compact size takes at most 3 bytes.
constexpr std::size_t kMaxIndexSize = compact_size_length(kMaxTxs - 1);
static_assert(kMaxIndexSize == 3);
// Every slot prefilled is the largest compact block (a prefilled slot is larger than a short
// id), each index difference counted at its largest size: a bound a few bytes above the
// largest payload the rules allow.
constexpr std::size_t kMaxCmpctBlockPayload = ledger::BlockHeader::kSize + 8 + 2 * compact_size_length(kMaxTxs) +
                                              kMaxTxs * (kMaxIndexSize + ledger::Transaction::kSize);
constexpr std::size_t kMaxGetBlockTxnPayload = kHashSize + compact_size_length(kMaxTxs) + kMaxTxs * kMaxIndexSize;
constexpr std::size_t kMaxBlockTxnPayload =
    kHashSize + compact_size_length(kMaxTxs) + kMaxTxs * ledger::Transaction::kSize;

// After a large frame (a block) the buffer's storage is released once it is drained, so an
// idle connection does not keep megabytes it needed once.
constexpr std::size_t kRetainedCapacity = 1 << 20;

bool is_known_type(std::uint8_t type) {
  return type >= static_cast<std::uint8_t>(MessageType::kVersion) &&
         type <= kLastMessageType;
}

// ---- payload encoders -------------------------------------------------------------------

void encode_items(Writer& w, const std::vector<InvItem>& items) {
  w.compact_size(items.size());
  for (const InvItem& item : items) {
    w.u8(static_cast<std::uint8_t>(item.type));
    w.fixed(item.hash);
  }
}

void encode_payload(Writer& w, const VersionMsg& m) {
  w.u32(m.protocol_version);
  w.u32(m.chain_id);
  w.fixed(m.genesis_hash);
  w.u32(m.best_height);
  w.u16(m.listen_port);
  w.u64(m.nonce);
  w.var_bytes(ByteSpan(reinterpret_cast<const std::uint8_t*>(m.user_agent.data()), m.user_agent.size()));
}
void encode_payload(Writer&, const VerackMsg&) {}
void encode_payload(Writer& w, const PingMsg& m) { w.u64(m.nonce); }
void encode_payload(Writer& w, const PongMsg& m) { w.u64(m.nonce); }
void encode_payload(Writer&, const GetAddrMsg&) {}
void encode_payload(Writer& w, const AddrMsg& m) {
  w.compact_size(m.entries.size());
  for (const AddrEntry& e : m.entries) {
    w.bytes(e.address.ip);
    w.u16(e.address.port);
    w.u32(e.last_seen);
    w.u8(e.node_key ? kAddrFlagNodeKey : 0);
    if (e.node_key) w.fixed(*e.node_key);
  }
}
void encode_payload(Writer& w, const InvMsg& m) { encode_items(w, m.items); }
void encode_payload(Writer& w, const GetDataMsg& m) { encode_items(w, m.items); }
void encode_payload(Writer& w, const NotFoundMsg& m) { encode_items(w, m.items); }
void encode_payload(Writer& w, const TxMsg& m) { m.tx.encode(w); }
void encode_payload(Writer& w, const GetHeadersMsg& m) {
  w.compact_size(m.locator.size());
  for (const BlockHash& h : m.locator) w.fixed(h);
  w.fixed(m.stop);
}
void encode_payload(Writer& w, const HeadersMsg& m) {
  w.compact_size(m.headers.size());
  for (const ledger::BlockHeader& h : m.headers) h.encode(w);
}
void encode_payload(Writer& w, const BlockMsg& m) { m.block.encode(w); }
void encode_payload(Writer& w, const SendCmpctMsg& m) {
  w.u8(m.high_bandwidth ? 1 : 0);
  w.u64(m.version);
}
// An increasing index as a difference: the first as is, each next as (index - previous - 1);
// `next` is one past the previous index (0 before the first).
void encode_index(Writer& w, std::uint64_t index, std::uint64_t& next) {
  w.compact_size(index - next);
  next = index + 1;
}
void encode_payload(Writer& w, const CmpctBlockMsg& m) {
  m.header.encode(w);
  w.u64(m.nonce);
  w.compact_size(m.short_ids.size());
  for (std::uint64_t id : m.short_ids) {
    w.u32(static_cast<std::uint32_t>(id));
    w.u16(static_cast<std::uint16_t>(id >> 32));
  }
  w.compact_size(m.prefilled.size());
  std::uint64_t next = 0;
  for (const PrefilledTx& p : m.prefilled) {
    encode_index(w, p.index, next);
    p.tx.encode(w);
  }
}
void encode_payload(Writer& w, const GetBlockTxnMsg& m) {
  w.fixed(m.block_hash);
  w.compact_size(m.indexes.size());
  std::uint64_t next = 0;
  for (std::uint32_t i : m.indexes) encode_index(w, i, next);
}
void encode_payload(Writer& w, const BlockTxnMsg& m) {
  w.fixed(m.block_hash);
  w.compact_size(m.txs.size());
  for (const auto& tx : m.txs) tx.encode(w);
}

// ---- payload decoders -------------------------------------------------------------------

// Reads a list count (at most max_count) and checks that the rest of the input can hold that
// many items before anything is allocated for them.
std::expected<std::size_t, DecodeError> read_count(Reader& r, std::size_t max_count, std::size_t item_size) {
  TALLY_TRY(count, r.compact_size(max_count));
  if (count > r.remaining() / item_size) return std::unexpected(DecodeError::kTruncated);
  return static_cast<std::size_t>(count);
}

std::expected<VersionMsg, DecodeError> decode_version(Reader& r) {
  VersionMsg m;
  TALLY_TRY(protocol_version, r.u32());
  TALLY_TRY(chain_id, r.u32());
  TALLY_TRY(genesis, r.fixed<BlockHash>());
  TALLY_TRY(best_height, r.u32());
  TALLY_TRY(listen_port, r.u16());
  TALLY_TRY(nonce, r.u64());
  TALLY_TRY(agent, r.var_bytes(kMaxUserAgent));
  // Printable ASCII only: the user agent ends up in logs and RPC output.
  if (!std::all_of(agent.begin(), agent.end(), [](std::uint8_t c) { return c >= 0x20 && c <= 0x7e; })) {
    return std::unexpected(DecodeError::kInvalidValue);
  }
  m.protocol_version = protocol_version;
  m.chain_id = chain_id;
  m.genesis_hash = genesis;
  m.best_height = best_height;
  m.listen_port = listen_port;
  m.nonce = nonce;
  m.user_agent.assign(agent.begin(), agent.end());
  return m;
}

std::expected<std::uint64_t, DecodeError> decode_nonce(Reader& r) { return r.u64(); }

std::expected<AddrMsg, DecodeError> decode_addr(Reader& r) {
  TALLY_TRY(count, read_count(r, kMaxAddrPerMessage, kAddrEntryMinSize));
  AddrMsg m;
  m.entries.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    AddrEntry e;
    TALLY_TRY(ip, r.bytes(16));
    std::copy(ip.begin(), ip.end(), e.address.ip.begin());
    TALLY_TRY(port, r.u16());
    TALLY_TRY(last_seen, r.u32());
    e.address.port = port;
    e.last_seen = last_seen;
    TALLY_TRY(flags, r.u8());
    if ((flags & ~kAddrFlagNodeKey) != 0) return std::unexpected(DecodeError::kInvalidValue);
    if (flags & kAddrFlagNodeKey) {
      TALLY_TRY(key, r.fixed<crypto::CompressedPublicKey>());
      // A compressed point starts with 02 or 03; whether it is on the curve is checked when
      // (and if) the key is dialled.
      if (key.bytes[0] != 2 && key.bytes[0] != 3) return std::unexpected(DecodeError::kInvalidValue);
      e.node_key = key;
    }
    m.entries.push_back(e);
  }
  return m;
}

std::expected<std::vector<InvItem>, DecodeError> decode_items(Reader& r) {
  TALLY_TRY(count, read_count(r, kMaxInvPerMessage, kInvItemSize));
  std::vector<InvItem> items;
  items.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    TALLY_TRY(type, r.u8());
    if (type != static_cast<std::uint8_t>(InvType::kTx) && type != static_cast<std::uint8_t>(InvType::kBlock)) {
      return std::unexpected(DecodeError::kInvalidValue);
    }
    TALLY_TRY(hash, r.fixed<crypto::Hash256>());
    items.push_back(InvItem{static_cast<InvType>(type), hash});
  }
  return items;
}

std::expected<GetHeadersMsg, DecodeError> decode_getheaders(Reader& r) {
  TALLY_TRY(count, read_count(r, kMaxLocatorHashes, kHashSize));
  GetHeadersMsg m;
  m.locator.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    TALLY_TRY(hash, r.fixed<BlockHash>());
    m.locator.push_back(hash);
  }
  TALLY_TRY(stop, r.fixed<BlockHash>());
  m.stop = stop;
  return m;
}

std::expected<HeadersMsg, DecodeError> decode_headers(Reader& r) {
  TALLY_TRY(count, read_count(r, kMaxHeadersPerMessage, ledger::BlockHeader::kSize));
  HeadersMsg m;
  m.headers.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    TALLY_TRY(header, ledger::BlockHeader::decode(r));
    m.headers.push_back(header);
  }
  return m;
}

// The next index of an increasing list written as differences (see encode_indexes); below
// kMaxTxs, or the payload is invalid.
std::expected<std::uint32_t, DecodeError> read_index(Reader& r, std::uint64_t& next) {
  TALLY_TRY(diff, r.compact_size());
  if (diff >= kMaxTxs || next + diff >= kMaxTxs) return std::unexpected(DecodeError::kInvalidValue);
  const std::uint64_t index = next + diff;
  next = index + 1;
  return static_cast<std::uint32_t>(index);
}

std::expected<SendCmpctMsg, DecodeError> decode_sendcmpct(Reader& r) {
  TALLY_TRY(mode, r.u8());
  if (mode > 1) return std::unexpected(DecodeError::kInvalidValue);
  TALLY_TRY(version, r.u64());
  return SendCmpctMsg{mode == 1, version};
}

std::expected<CmpctBlockMsg, DecodeError> decode_cmpctblock(Reader& r) {
  CmpctBlockMsg m;
  TALLY_TRY(header, ledger::BlockHeader::decode(r));
  TALLY_TRY(nonce, r.u64());
  m.header = header;
  m.nonce = nonce;
  TALLY_TRY(id_count, read_count(r, kMaxTxs, kShortIdSize));
  m.short_ids.reserve(id_count);
  for (std::size_t i = 0; i < id_count; ++i) {
    TALLY_TRY(low, r.u32());
    TALLY_TRY(high, r.u16());
    m.short_ids.push_back(std::uint64_t{low} | std::uint64_t{high} << 32);
  }
  TALLY_TRY(prefilled_count, read_count(r, kMaxTxs - id_count, 1 + ledger::Transaction::kSize));
  m.prefilled.reserve(prefilled_count);
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < prefilled_count; ++i) {
    TALLY_TRY(index, read_index(r, next));
    TALLY_TRY(tx, ledger::Transaction::decode(r));
    m.prefilled.push_back(PrefilledTx{index, tx});
  }
  // Every prefilled index must name a slot of the block.
  if (!m.prefilled.empty() && m.prefilled.back().index >= m.tx_count()) return std::unexpected(DecodeError::kInvalidValue);
  return m;
}

std::expected<GetBlockTxnMsg, DecodeError> decode_getblocktxn(Reader& r) {
  GetBlockTxnMsg m;
  TALLY_TRY(hash, r.fixed<BlockHash>());
  m.block_hash = hash;
  TALLY_TRY(count, read_count(r, kMaxTxs, 1));
  m.indexes.reserve(count);
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < count; ++i) {
    TALLY_TRY(index, read_index(r, next));
    m.indexes.push_back(index);
  }
  return m;
}

std::expected<BlockTxnMsg, DecodeError> decode_blocktxn(Reader& r) {
  BlockTxnMsg m;
  TALLY_TRY(hash, r.fixed<BlockHash>());
  m.block_hash = hash;
  TALLY_TRY(count, read_count(r, kMaxTxs, ledger::Transaction::kSize));
  m.txs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    TALLY_TRY(tx, ledger::Transaction::decode(r));
    m.txs.push_back(tx);
  }
  return m;
}

// Decodes the fields of one message type from r; the caller checks that r is exhausted.
std::expected<Message, DecodeError> decode_fields(MessageType type, Reader& r) {
  auto wrap = [](auto&& result) -> std::expected<Message, DecodeError> {
    if (!result) return std::unexpected(result.error());
    return Message(std::move(*result));
  };
  switch (type) {
    case MessageType::kVersion: return wrap(decode_version(r));
    case MessageType::kVerack: return VerackMsg{};
    case MessageType::kPing: {
      TALLY_TRY(nonce, decode_nonce(r));
      return PingMsg{nonce};
    }
    case MessageType::kPong: {
      TALLY_TRY(nonce, decode_nonce(r));
      return PongMsg{nonce};
    }
    case MessageType::kGetAddr: return GetAddrMsg{};
    case MessageType::kAddr: return wrap(decode_addr(r));
    case MessageType::kInv: {
      TALLY_TRY(items, decode_items(r));
      return InvMsg{std::move(items)};
    }
    case MessageType::kGetData: {
      TALLY_TRY(items, decode_items(r));
      return GetDataMsg{std::move(items)};
    }
    case MessageType::kNotFound: {
      TALLY_TRY(items, decode_items(r));
      return NotFoundMsg{std::move(items)};
    }
    case MessageType::kTx: {
      TALLY_TRY(tx, ledger::Transaction::decode(r));
      return TxMsg{tx};
    }
    case MessageType::kGetHeaders: return wrap(decode_getheaders(r));
    case MessageType::kHeaders: return wrap(decode_headers(r));
    case MessageType::kBlock: break;  // decoded whole by decode_payload
    case MessageType::kSendCmpct: return wrap(decode_sendcmpct(r));
    case MessageType::kCmpctBlock: return wrap(decode_cmpctblock(r));
    case MessageType::kGetBlockTxn: return wrap(decode_getblocktxn(r));
    case MessageType::kBlockTxn: return wrap(decode_blocktxn(r));
  }
  return std::unexpected(DecodeError::kInvalidValue);
}

std::uint32_t read_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}

// Drops consumed bytes once they make up at least half of the buffer (so every byte is
// moved at most once on average), and releases oversized storage once it is drained.
void compact(Bytes& buffer, std::size_t& read_pos) {
  if (read_pos == 0) return;
  if (read_pos == buffer.size()) {
    if (buffer.capacity() > kRetainedCapacity) {
      Bytes().swap(buffer);
    } else {
      buffer.clear();
    }
    read_pos = 0;
    return;
  }
  if (read_pos >= buffer.size() / 2) {
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(read_pos));
    read_pos = 0;
    if (buffer.capacity() > kRetainedCapacity && buffer.capacity() / 4 > buffer.size()) buffer.shrink_to_fit();
  }
}

// ---- addresses ----------------------------------------------------------------------------

constexpr std::array<std::uint8_t, 12> kIpv4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

// ---- message types ------------------------------------------------------------------------

const char* message_name(MessageType t) {
  switch (t) {
    case MessageType::kVersion: return "version";
    case MessageType::kVerack: return "verack";
    case MessageType::kPing: return "ping";
    case MessageType::kPong: return "pong";
    case MessageType::kGetAddr: return "getaddr";
    case MessageType::kAddr: return "addr";
    case MessageType::kInv: return "inv";
    case MessageType::kGetData: return "getdata";
    case MessageType::kNotFound: return "notfound";
    case MessageType::kTx: return "tx";
    case MessageType::kGetHeaders: return "getheaders";
    case MessageType::kHeaders: return "headers";
    case MessageType::kBlock: return "block";
    case MessageType::kSendCmpct: return "sendcmpct";
    case MessageType::kCmpctBlock: return "cmpctblock";
    case MessageType::kGetBlockTxn: return "getblocktxn";
    case MessageType::kBlockTxn: return "blocktxn";
  }
  return "unknown";
}

std::size_t max_payload_size(std::uint8_t type) {
  if (!is_known_type(type)) return 0;
  switch (static_cast<MessageType>(type)) {
    case MessageType::kVersion: return kMaxVersionPayload;
    case MessageType::kVerack: return 0;
    case MessageType::kPing: return 8;
    case MessageType::kPong: return 8;
    case MessageType::kGetAddr: return 0;
    case MessageType::kAddr: return max_list_size(kMaxAddrPerMessage, kAddrEntryMaxSize);
    case MessageType::kInv:
    case MessageType::kGetData:
    case MessageType::kNotFound: return max_list_size(kMaxInvPerMessage, kInvItemSize);
    case MessageType::kTx: return ledger::Transaction::kSize;
    case MessageType::kGetHeaders: return max_list_size(kMaxLocatorHashes, kHashSize) + kHashSize;
    case MessageType::kHeaders: return max_list_size(kMaxHeadersPerMessage, ledger::BlockHeader::kSize);
    case MessageType::kBlock: return kMaxBlockPayload;
    case MessageType::kSendCmpct: return 1 + 8;
    case MessageType::kCmpctBlock: return kMaxCmpctBlockPayload;
    case MessageType::kGetBlockTxn: return kMaxGetBlockTxnPayload;
    case MessageType::kBlockTxn: return kMaxBlockTxnPayload;
  }
  return 0;
}

MessageType type_of(const Message& m) {
  // The variant lists the messages in the order of their type numbers.
  static_assert(std::variant_size_v<Message> == kLastMessageType);
  static_assert(std::is_same_v<std::variant_alternative_t<0, Message>, VersionMsg>);
  static_assert(std::is_same_v<std::variant_alternative_t<5, Message>, AddrMsg>);
  static_assert(std::is_same_v<std::variant_alternative_t<9, Message>, TxMsg>);
  static_assert(std::is_same_v<std::variant_alternative_t<12, Message>, BlockMsg>);
  static_assert(std::is_same_v<std::variant_alternative_t<16, Message>, BlockTxnMsg>);
  return static_cast<MessageType>(m.index() + 1);
}

// ---- frames -------------------------------------------------------------------------------

std::uint32_t payload_checksum(ByteSpan payload) {
  const crypto::Hash256 h = crypto::sha256d(payload);
  return read_le32(h.data());
}

FrameHeader decode_frame_header(ByteSpan thirteen_bytes) {
  const std::uint8_t* p = thirteen_bytes.data();
  FrameHeader h;
  h.magic = read_le32(p);
  h.type = p[4];
  h.length = read_le32(p + 5);
  h.checksum = read_le32(p + 9);
  return h;
}

Bytes encode_frame(std::uint32_t magic, const Message& m) {
  Writer payload;
  std::visit([&](const auto& msg) { encode_payload(payload, msg); }, m);
  const Bytes& body = payload.data();
  Writer w(kFrameHeaderSize + body.size());
  w.u32(magic);
  w.u8(static_cast<std::uint8_t>(type_of(m)));
  w.u32(static_cast<std::uint32_t>(body.size()));
  w.u32(payload_checksum(body));
  w.bytes(body);
  return w.take();
}

std::expected<Message, DecodeError> decode_payload(MessageType type, ByteSpan payload) {
  if (!is_known_type(static_cast<std::uint8_t>(type))) return std::unexpected(DecodeError::kInvalidValue);
  if (type == MessageType::kBlock) {
    TALLY_TRY(block, ledger::Block::decode(payload, ledger::kMaxBlockTxsDecode));
    return BlockMsg{std::move(block)};
  }
  Reader r(payload);
  TALLY_TRY(message, decode_fields(type, r));
  TALLY_CHECK(r.expect_end());
  return message;
}

void FrameDecoder::feed(ByteSpan bytes) {
  compact(buffer_, read_pos_);
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::expected<std::optional<FrameDecoder::Frame>, FrameDecoder::Error> FrameDecoder::next() {
  // Errors leave read_pos_ where it is, so a repeated call reports the same error.
  const std::size_t available = buffered();
  if (available < kFrameHeaderSize) {
    compact(buffer_, read_pos_);
    return std::nullopt;
  }
  const ByteSpan rest(buffer_.data() + read_pos_, available);
  const FrameHeader header = decode_frame_header(rest.first(kFrameHeaderSize));
  // Everything the header alone can reveal is checked before waiting for the payload, so a
  // peer cannot make us buffer a payload we would refuse anyway.
  if (header.magic != magic_) return std::unexpected(Error::kBadMagic);
  if (!is_known_type(header.type)) return std::unexpected(Error::kUnknownType);
  if (header.length > max_payload_size(header.type)) return std::unexpected(Error::kOversized);
  if (available - kFrameHeaderSize < header.length) {
    compact(buffer_, read_pos_);
    return std::nullopt;
  }

  const ByteSpan payload = rest.subspan(kFrameHeaderSize, header.length);
  if (payload_checksum(payload) != header.checksum) return std::unexpected(Error::kBadChecksum);
  const auto type = static_cast<MessageType>(header.type);
  auto message = decode_payload(type, payload);
  if (!message) return std::unexpected(Error::kMalformedPayload);

  const std::size_t wire_size = kFrameHeaderSize + header.length;
  read_pos_ += wire_size;
  return Frame{type, std::move(*message), wire_size};
}

const char* to_string(FrameDecoder::Error e) {
  switch (e) {
    case FrameDecoder::Error::kBadMagic: return "frame has the wrong network magic";
    case FrameDecoder::Error::kUnknownType: return "frame has an unknown message type";
    case FrameDecoder::Error::kOversized: return "frame length exceeds the limit of its message type";
    case FrameDecoder::Error::kBadChecksum: return "frame checksum does not match its payload";
    case FrameDecoder::Error::kMalformedPayload: return "frame payload is malformed";
  }
  return "unknown frame error";
}

// ---- addresses ----------------------------------------------------------------------------

NetAddress NetAddress::ipv4(std::uint32_t host_order_ip, std::uint16_t port) {
  NetAddress a;
  std::copy(kIpv4MappedPrefix.begin(), kIpv4MappedPrefix.end(), a.ip.begin());
  a.ip[12] = static_cast<std::uint8_t>(host_order_ip >> 24);
  a.ip[13] = static_cast<std::uint8_t>(host_order_ip >> 16);
  a.ip[14] = static_cast<std::uint8_t>(host_order_ip >> 8);
  a.ip[15] = static_cast<std::uint8_t>(host_order_ip);
  a.port = port;
  return a;
}

bool NetAddress::is_ipv4() const { return std::equal(kIpv4MappedPrefix.begin(), kIpv4MappedPrefix.end(), ip.begin()); }

std::string NetAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  std::string out;
  if (is_ipv4()) {
    ::inet_ntop(AF_INET, ip.data() + 12, text, sizeof text);
    out.append(text);
  } else {
    ::inet_ntop(AF_INET6, ip.data(), text, sizeof text);
    out.append("[").append(text).append("]");
  }
  out.append(":").append(std::to_string(port));
  return out;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::expected<NetAddress, std::string> parse_net_address(const std::string& text) {
  const std::string quoted = "'" + text + "'";
  std::string host;
  std::string_view port_text;
  bool bracketed = false;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string::npos) return std::unexpected("bad host in " + quoted + ": missing ']'");
    host = text.substr(1, close - 1);
    bracketed = true;
    if (close + 1 == text.size()) return std::unexpected("missing port in " + quoted + " (expected [ipv6]:port)");
    if (text[close + 1] != ':') return std::unexpected("bad host in " + quoted + ": expected ':' after ']'");
    port_text = std::string_view(text).substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) return std::unexpected("missing port in " + quoted + " (expected host:port)");
    host = text.substr(0, colon);
    port_text = std::string_view(text).substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return std::unexpected("bad host in " + quoted + ": an IPv6 address must be written in brackets, [ipv6]:port");
    }
  }
  if (port_text.empty()) return std::unexpected("missing port in " + quoted + " (expected host:port)");
  const auto port = parse_port(port_text);
  if (!port) return std::unexpected("bad port '" + std::string(port_text) + "' in " + quoted + " (expected 1..65535)");

  NetAddress out;
  out.port = *port;
  if (bracketed) {
    if (::inet_pton(AF_INET6, host.c_str(), out.ip.data()) != 1) {
      return std::unexpected("bad host '" + host + "' in " + quoted + " (not an IPv6 address)");
    }
    return out;
  }
  if (host == "localhost") return NetAddress::ipv4(0x7f000001, *port);
  std::array<std::uint8_t, 4> v4{};
  if (::inet_pton(AF_INET, host.c_str(), v4.data()) != 1) {
    return std::unexpected("bad host '" + host + "' in " + quoted + " (expected a.b.c.d, [ipv6] or localhost)");
  }
  std::copy(kIpv4MappedPrefix.begin(), kIpv4MappedPrefix.end(), out.ip.begin());
  std::copy(v4.begin(), v4.end(), out.ip.begin() + 12);
  return out;
}

}  // namespace tally::p2p
