// P2P wire messages and their frames (docs/PROTOCOL.md is the byte-level reference).
//
// Frame: magic u32 | type u8 | payload length u32 | checksum u32 | payload
// where checksum = the first 4 bytes of SHA-256d(payload) read as little-endian u32.
// Payloads use the ledger's canonical encoding. Every message type has its own size limit,
// checked before the payload is buffered. Pure value types and functions; thread-safe.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "crypto/keys.h"
#include "ledger/block.h"
#include "ledger/encoding.h"

namespace tally::p2p {

using crypto::Bytes;
using crypto::ByteSpan;
using ledger::BlockHash;

// Version 2: address entries may carry the node key (docs/PROTOCOL.md, "addr"). Peers of an
// older version are refused at the handshake: their addr entries would not decode.
inline constexpr std::uint32_t kProtocolVersion = 2;
inline constexpr std::size_t kFrameHeaderSize = 13;
inline constexpr std::size_t kMaxUserAgent = 256;
inline constexpr std::size_t kMaxAddrPerMessage = 1000;
inline constexpr std::size_t kMaxInvPerMessage = 50000;
inline constexpr std::size_t kMaxHeadersPerMessage = 2000;
inline constexpr std::size_t kMaxLocatorHashes = 101;

enum class MessageType : std::uint8_t {
  kVersion = 1,
  kVerack = 2,
  kPing = 3,
  kPong = 4,
  kGetAddr = 5,
  kAddr = 6,
  kInv = 7,
  kGetData = 8,
  kNotFound = 9,
  kTx = 10,
  kGetHeaders = 11,
  kHeaders = 12,
  kBlock = 13,
  kSendCmpct = 14,
  kCmpctBlock = 15,
  kGetBlockTxn = 16,
  kBlockTxn = 17,
};
inline constexpr std::uint8_t kLastMessageType = 17;
const char* message_name(MessageType t);
// Largest payload accepted for a type; 0 for an unknown type.
std::size_t max_payload_size(std::uint8_t type);

struct VersionMsg {
  std::uint32_t protocol_version = kProtocolVersion;
  std::uint32_t chain_id = 0;
  BlockHash genesis_hash;
  std::uint32_t best_height = 0;
  std::uint16_t listen_port = 0;  // 0: does not accept connections
  std::uint64_t nonce = 0;        // random per node: detects connections to oneself
  std::string user_agent;         // at most kMaxUserAgent bytes
  friend bool operator==(const VersionMsg&, const VersionMsg&) = default;
};
struct VerackMsg {
  friend bool operator==(const VerackMsg&, const VerackMsg&) = default;
};
struct PingMsg {
  std::uint64_t nonce = 0;
  friend bool operator==(const PingMsg&, const PingMsg&) = default;
};
struct PongMsg {
  std::uint64_t nonce = 0;
  friend bool operator==(const PongMsg&, const PongMsg&) = default;
};
struct GetAddrMsg {
  friend bool operator==(const GetAddrMsg&, const GetAddrMsg&) = default;
};

// An IPv4 or IPv6 endpoint; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d).
struct NetAddress {
  std::array<std::uint8_t, 16> ip{};
  std::uint16_t port = 0;
  static NetAddress ipv4(std::uint32_t host_order_ip, std::uint16_t port);
  bool is_ipv4() const;
  std::string to_string() const;  // "1.2.3.4:5" or "[::1]:5"
  friend auto operator<=>(const NetAddress&, const NetAddress&) = default;
};
// Parses "1.2.3.4:5", "[::1]:5" or "localhost:5".
std::expected<NetAddress, std::string> parse_net_address(const std::string& text);
// A port as written in "host:port": 1 to 5 decimal digits, 1..65535.
std::optional<std::uint16_t> parse_port(std::string_view text);

struct AddrEntry {
  NetAddress address;
  std::uint32_t last_seen = 0;  // seconds since the Unix epoch
  // The node key of the node listening there, when the sender knows it: a dialler that has
  // it authenticates the listener (Noise XK) instead of learning its key (XX).
  std::optional<crypto::CompressedPublicKey> node_key;
  friend bool operator==(const AddrEntry&, const AddrEntry&) = default;
};
struct AddrMsg {
  std::vector<AddrEntry> entries;  // at most kMaxAddrPerMessage
  friend bool operator==(const AddrMsg&, const AddrMsg&) = default;
};

enum class InvType : std::uint8_t { kTx = 1, kBlock = 2 };
struct InvItem {
  InvType type = InvType::kTx;
  crypto::Hash256 hash;
  friend bool operator==(const InvItem&, const InvItem&) = default;
};
struct InvMsg {
  std::vector<InvItem> items;  // at most kMaxInvPerMessage
  friend bool operator==(const InvMsg&, const InvMsg&) = default;
};
struct GetDataMsg {
  std::vector<InvItem> items;
  friend bool operator==(const GetDataMsg&, const GetDataMsg&) = default;
};
struct NotFoundMsg {
  std::vector<InvItem> items;
  friend bool operator==(const NotFoundMsg&, const NotFoundMsg&) = default;
};
struct TxMsg {
  ledger::Transaction tx;
  friend bool operator==(const TxMsg&, const TxMsg&) = default;
};
struct GetHeadersMsg {
  std::vector<BlockHash> locator;  // newest first, at most kMaxLocatorHashes
  BlockHash stop;                  // zero: as many as allowed
  friend bool operator==(const GetHeadersMsg&, const GetHeadersMsg&) = default;
};
struct HeadersMsg {
  std::vector<ledger::BlockHeader> headers;  // at most kMaxHeadersPerMessage, each the parent of the next
  friend bool operator==(const HeadersMsg&, const HeadersMsg&) = default;
};
struct BlockMsg {
  ledger::Block block;
  friend bool operator==(const BlockMsg&, const BlockMsg&) = default;
};

// Compact block relay (after BIP152; docs/PROTOCOL.md). A short id is the low 48 bits of
// SipHash-2-4 of a txid, keyed per block (p2p/compact_block.h).
inline constexpr std::uint64_t kCompactVersion = 1;
struct SendCmpctMsg {
  bool high_bandwidth = false;  // send me new blocks as cmpctblock, unasked
  std::uint64_t version = kCompactVersion;
  friend bool operator==(const SendCmpctMsg&, const SendCmpctMsg&) = default;
};
struct PrefilledTx {
  std::uint32_t index = 0;  // position in the block (the wire carries differences)
  ledger::Transaction tx;
  friend bool operator==(const PrefilledTx&, const PrefilledTx&) = default;
};
struct CmpctBlockMsg {
  ledger::BlockHeader header;
  std::uint64_t nonce = 0;                  // keys the short ids with the header
  std::vector<std::uint64_t> short_ids;     // 48-bit values, for the slots not prefilled, in order
  std::vector<PrefilledTx> prefilled;       // increasing indexes; at least the coinbase
  std::size_t tx_count() const { return short_ids.size() + prefilled.size(); }
  friend bool operator==(const CmpctBlockMsg&, const CmpctBlockMsg&) = default;
};
struct GetBlockTxnMsg {
  BlockHash block_hash;
  std::vector<std::uint32_t> indexes;  // increasing (the wire carries differences)
  friend bool operator==(const GetBlockTxnMsg&, const GetBlockTxnMsg&) = default;
};
struct BlockTxnMsg {
  BlockHash block_hash;
  std::vector<ledger::Transaction> txs;  // the requested ones, in the order asked
  friend bool operator==(const BlockTxnMsg&, const BlockTxnMsg&) = default;
};

using Message = std::variant<VersionMsg, VerackMsg, PingMsg, PongMsg, GetAddrMsg, AddrMsg, InvMsg, GetDataMsg,
                             NotFoundMsg, TxMsg, GetHeadersMsg, HeadersMsg, BlockMsg, SendCmpctMsg, CmpctBlockMsg,
                             GetBlockTxnMsg, BlockTxnMsg>;
MessageType type_of(const Message& m);

// A whole frame (header + payload) for `m`.
Bytes encode_frame(std::uint32_t magic, const Message& m);
// Decodes one payload of a known type. Strict: limits, no trailing bytes.
[[nodiscard]] std::expected<Message, ledger::DecodeError> decode_payload(MessageType type, ByteSpan payload);

struct FrameHeader {
  std::uint32_t magic = 0;
  std::uint8_t type = 0;
  std::uint32_t length = 0;
  std::uint32_t checksum = 0;
};
FrameHeader decode_frame_header(ByteSpan thirteen_bytes);
std::uint32_t payload_checksum(ByteSpan payload);

// Splits a byte stream into frames. Bounded: it buffers at most one frame (header + the
// largest payload its type allows). Errors are final: the connection must be dropped.
class FrameDecoder {
 public:
  enum class Error { kBadMagic, kUnknownType, kOversized, kBadChecksum, kMalformedPayload };
  struct Frame {
    MessageType type;
    Message message;
    std::size_t wire_size;  // header + payload bytes
  };

  explicit FrameDecoder(std::uint32_t magic) : magic_(magic) {}
  // Appends bytes; call next() until it returns nullopt.
  void feed(ByteSpan bytes);
  // The next complete frame, nullopt when more bytes are needed, or an error.
  [[nodiscard]] std::expected<std::optional<Frame>, Error> next();
  std::size_t buffered() const { return buffer_.size() - read_pos_; }

 private:
  std::uint32_t magic_;
  Bytes buffer_;
  std::size_t read_pos_ = 0;
};
const char* to_string(FrameDecoder::Error e);

}  // namespace tally::p2p
