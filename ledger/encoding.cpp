#include "ledger/encoding.h"

namespace tally::ledger {

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kTruncated: return "input is truncated";
    case DecodeError::kTrailingBytes: return "input has trailing bytes";
    case DecodeError::kNonMinimalSize: return "compact size is not minimally encoded";
    case DecodeError::kSizeTooLarge: return "length or count exceeds its limit";
    case DecodeError::kInvalidValue: return "field holds an invalid value";
  }
  return "unknown decode error";
}

void Writer::compact_size(std::uint64_t v) {
  if (v < 0xfd) {
    u8(static_cast<std::uint8_t>(v));
  } else if (v <= 0xffff) {
    u8(0xfd);
    u16(static_cast<std::uint16_t>(v));
  } else if (v <= 0xffffffff) {
    u8(0xfe);
    u32(static_cast<std::uint32_t>(v));
  } else {
    u8(0xff);
    u64(v);
  }
}

std::expected<std::uint64_t, DecodeError> Reader::get_le(int n) {
  if (remaining() < static_cast<std::size_t>(n)) return std::unexpected(DecodeError::kTruncated);
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t{in_[pos_ + i]} << (8 * i);
  pos_ += static_cast<std::size_t>(n);
  return v;
}

std::expected<std::uint8_t, DecodeError> Reader::u8() {
  auto v = get_le(1);
  if (!v) return std::unexpected(v.error());
  return static_cast<std::uint8_t>(*v);
}
std::expected<std::uint16_t, DecodeError> Reader::u16() {
  auto v = get_le(2);
  if (!v) return std::unexpected(v.error());
  return static_cast<std::uint16_t>(*v);
}
std::expected<std::uint32_t, DecodeError> Reader::u32() {
  auto v = get_le(4);
  if (!v) return std::unexpected(v.error());
  return static_cast<std::uint32_t>(*v);
}
std::expected<std::uint64_t, DecodeError> Reader::u64() { return get_le(8); }

std::expected<std::uint64_t, DecodeError> Reader::compact_size(std::uint64_t max) {
  TALLY_TRY(first, u8());
  std::uint64_t v = first;
  std::uint64_t min = 0;
  if (first == 0xfd) {
    TALLY_TRY(w, u16());
    v = w;
    min = 0xfd;
  } else if (first == 0xfe) {
    TALLY_TRY(w, u32());
    v = w;
    min = 0x10000;
  } else if (first == 0xff) {
    TALLY_TRY(w, u64());
    v = w;
    min = 0x100000000;
  }
  if (v < min) return std::unexpected(DecodeError::kNonMinimalSize);
  if (v > max) return std::unexpected(DecodeError::kSizeTooLarge);
  return v;
}

std::expected<ByteSpan, DecodeError> Reader::bytes(std::size_t n) {
  if (remaining() < n) return std::unexpected(DecodeError::kTruncated);
  ByteSpan out = in_.subspan(pos_, n);
  pos_ += n;
  return out;
}

std::expected<Bytes, DecodeError> Reader::var_bytes(std::size_t max_len) {
  TALLY_TRY(len, compact_size(max_len));
  // The length is checked against what is left before anything is allocated.
  TALLY_TRY(view, bytes(static_cast<std::size_t>(len)));
  return Bytes(view.begin(), view.end());
}

}  // namespace tally::ledger
