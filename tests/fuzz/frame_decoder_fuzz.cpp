// Fuzz target: p2p::FrameDecoder on an arbitrary byte stream, and decode_payload on
// arbitrary payloads.
//
// Input: byte 0 seeds how the stream is cut into chunks; bytes 1.. are the stream.
// Invariants:
// - never crashes or over-allocates; the decoder never reports more buffered bytes than were
//   fed and not consumed;
// - feeding the stream whole or in chunks gives the same frames and the same final outcome;
// - every decoded frame re-encodes to exactly the bytes it was read from (the encoding is
//   canonical), and those bytes decode again, in a fresh decoder, to the same message;
// - an error is final: asking again reports it again;
// - read as a raw payload of each message type, the stream either fails to decode or
//   re-encodes to exactly itself within that type's size limit.
// A frame's checksum makes blind mutation of its payload useless, which is why the raw
// payload check exists: it reaches every payload decoder directly.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz_check.h"
#include "p2p/messages.h"

using namespace tally;
using p2p::ByteSpan;
using p2p::Bytes;
using p2p::FrameDecoder;
using p2p::Message;
using p2p::MessageType;

namespace {

constexpr std::uint32_t kMagic = 0x544c5931;  // the devnet's network magic

struct Outcome {
  std::vector<Message> messages;
  std::optional<FrameDecoder::Error> error;
  std::size_t consumed = 0;
  std::size_t buffered = 0;
};

// A small deterministic generator (SplitMix64) for chunk sizes.
struct ChunkSizes {
  std::uint64_t state;
  std::size_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    // Mostly tiny chunks (splitting headers and payloads), sometimes large ones.
    return z % 4 == 0 ? 1 + (z >> 8) % 512 : 1 + (z >> 8) % 16;
  }
};

void check_frame(ByteSpan stream, std::size_t at, const FrameDecoder::Frame& f) {
  FUZZ_CHECK(p2p::type_of(f.message) == f.type);
  FUZZ_CHECK(f.wire_size >= p2p::kFrameHeaderSize);
  FUZZ_CHECK(f.wire_size - p2p::kFrameHeaderSize <= p2p::max_payload_size(static_cast<std::uint8_t>(f.type)));
  FUZZ_CHECK(at + f.wire_size <= stream.size());
  const ByteSpan original = stream.subspan(at, f.wire_size);
  const Bytes again = p2p::encode_frame(kMagic, f.message);
  FUZZ_CHECK(again.size() == original.size() && std::equal(again.begin(), again.end(), original.begin()));

  FrameDecoder fresh(kMagic);
  fresh.feed(again);
  auto re = fresh.next();
  FUZZ_CHECK(re.has_value() && re->has_value());
  FUZZ_CHECK((*re)->type == f.type && (*re)->message == f.message && (*re)->wire_size == f.wire_size);
  FUZZ_CHECK(fresh.buffered() == 0);
}

// Feeds the stream in chunks (chunk_seed 0: all at once), draining after every feed.
Outcome run(ByteSpan stream, std::uint64_t chunk_seed) {
  Outcome out;
  FrameDecoder d(kMagic);
  ChunkSizes sizes{chunk_seed};
  std::size_t fed = 0;
  while (fed < stream.size() && !out.error) {
    const std::size_t n = chunk_seed == 0 ? stream.size() : std::min(stream.size() - fed, sizes.next());
    d.feed(stream.subspan(fed, n));
    fed += n;
    for (;;) {
      auto next = d.next();
      if (!next) {
        out.error = next.error();
        auto repeat = d.next();
        FUZZ_CHECK(!repeat && repeat.error() == next.error());
        break;
      }
      if (!next->has_value()) break;
      check_frame(stream, out.consumed, **next);
      out.consumed += (*next)->wire_size;
      out.messages.push_back(std::move((*next)->message));
    }
    FUZZ_CHECK(d.buffered() == fed - out.consumed);
  }
  out.buffered = d.buffered();
  return out;
}

void check_raw_payloads(ByteSpan payload) {
  for (std::uint8_t t = 1; t <= tally::p2p::kLastMessageType; ++t) {
    const auto type = static_cast<MessageType>(t);
    auto m = p2p::decode_payload(type, payload);
    if (!m) continue;
    FUZZ_CHECK(p2p::type_of(*m) == type);
    FUZZ_CHECK(payload.size() <= p2p::max_payload_size(t));
    const Bytes frame = p2p::encode_frame(kMagic, *m);
    const ByteSpan again = ByteSpan(frame).subspan(p2p::kFrameHeaderSize);
    FUZZ_CHECK(again.size() == payload.size() && std::equal(again.begin(), again.end(), payload.begin()));
  }
  // Unknown type numbers never decode.
  FUZZ_CHECK(!p2p::decode_payload(static_cast<MessageType>(0), payload));
  FUZZ_CHECK(!p2p::decode_payload(static_cast<MessageType>(p2p::kLastMessageType + 1), payload));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const ByteSpan stream(data + 1, size - 1);

  const Outcome whole = run(stream, 0);
  const Outcome chunked = run(stream, 1 + std::uint64_t{data[0]});
  FUZZ_CHECK(whole.messages == chunked.messages);
  FUZZ_CHECK(whole.error == chunked.error);
  FUZZ_CHECK(whole.consumed == chunked.consumed);
  // After an error the chunked run stops feeding, so only a clean run has fed everything.
  if (!whole.error) {
    FUZZ_CHECK(whole.buffered == chunked.buffered);
    FUZZ_CHECK(whole.consumed + whole.buffered == stream.size());
  }

  check_raw_payloads(stream);
  return 0;
}
