// The canonical binary encoding used for hashing, the wire and storage: little-endian
// fixed-width integers, Bitcoin-style compact-size lengths (minimal form only) and raw bytes.
// Writer appends to a buffer; Reader consumes a span strictly (every error is a value).
#pragma once

#include <cstdint>
#include <expected>
#include <string>

#include "crypto/bytes.h"

namespace tally::ledger {

using crypto::Bytes;
using crypto::ByteSpan;

enum class DecodeError {
  kTruncated,        // input ended inside a field
  kTrailingBytes,    // input continues after a complete object
  kNonMinimalSize,   // a compact-size not in its shortest form
  kSizeTooLarge,     // a length or count above its limit
  kInvalidValue,     // a field holds a value its type forbids
};
const char* to_string(DecodeError e);

// Largest compact-size the decoder accepts anywhere (32 MiB), as Bitcoin's MAX_SIZE.
inline constexpr std::uint64_t kMaxCompactSize = 0x02000000;

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::size_t reserve) { out_.reserve(reserve); }

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put_le(v, 2); }
  void u32(std::uint32_t v) { put_le(v, 4); }
  void u64(std::uint64_t v) { put_le(v, 8); }
  void compact_size(std::uint64_t v);
  void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
  template <class Fixed>
  void fixed(const Fixed& f) { bytes(f.span()); }
  // compact-size length followed by the bytes.
  void var_bytes(ByteSpan b) {
    compact_size(b.size());
    bytes(b);
  }

  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void put_le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}

  [[nodiscard]] std::expected<std::uint8_t, DecodeError> u8();
  [[nodiscard]] std::expected<std::uint16_t, DecodeError> u16();
  [[nodiscard]] std::expected<std::uint32_t, DecodeError> u32();
  [[nodiscard]] std::expected<std::uint64_t, DecodeError> u64();
  // Rejects non-minimal forms and values above `max`.
  [[nodiscard]] std::expected<std::uint64_t, DecodeError> compact_size(std::uint64_t max = kMaxCompactSize);
  // A view of the next n bytes (valid as long as the input is).
  [[nodiscard]] std::expected<ByteSpan, DecodeError> bytes(std::size_t n);
  template <class Fixed>
  [[nodiscard]] std::expected<Fixed, DecodeError> fixed() {
    auto b = bytes(Fixed::kSize);
    if (!b) return std::unexpected(b.error());
    return Fixed::from_span(*b);
  }
  // compact-size length (at most max_len) followed by that many bytes.
  [[nodiscard]] std::expected<Bytes, DecodeError> var_bytes(std::size_t max_len);

  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }
  // Succeeds only when every byte has been consumed.
  [[nodiscard]] std::expected<void, DecodeError> expect_end() const {
    if (remaining() != 0) return std::unexpected(DecodeError::kTrailingBytes);
    return {};
  }

 private:
  [[nodiscard]] std::expected<std::uint64_t, DecodeError> get_le(int n);
  ByteSpan in_;
  std::size_t pos_ = 0;
};

// Propagates the error of an expected-returning expression, else yields its value.
#define TALLY_TRY(var, expr)                                      \
  auto var##_result_ = (expr);                                    \
  if (!var##_result_) return std::unexpected(var##_result_.error()); \
  auto var = std::move(*var##_result_)

// Propagates the error of an expected<void, E> expression.
#define TALLY_CHECK(expr)                                           \
  do {                                                              \
    auto check_result_ = (expr);                                    \
    if (!check_result_) return std::unexpected(check_result_.error()); \
  } while (0)

}  // namespace tally::ledger
