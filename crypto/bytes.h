// Byte containers shared by every layer: owned buffers, views, and fixed-size hashes.
// Plain value types; no allocation beyond std::vector, safe to copy across threads.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

namespace tally::crypto {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// A fixed-size byte string with value semantics (hashes, keys, addresses).
// Tag distinguishes same-sized but unrelated kinds (a hash is not a public key).
template <std::size_t N, class Tag = void>
struct FixedBytes {
  static constexpr std::size_t kSize = N;
  std::array<std::uint8_t, N> bytes{};

  constexpr std::uint8_t* data() { return bytes.data(); }
  constexpr const std::uint8_t* data() const { return bytes.data(); }
  static constexpr std::size_t size() { return N; }
  constexpr ByteSpan span() const { return ByteSpan(bytes.data(), N); }
  constexpr auto begin() const { return bytes.begin(); }
  constexpr auto end() const { return bytes.end(); }
  bool is_zero() const {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
  }
  // REQUIRES: in.size() == N.
  static FixedBytes from_span(ByteSpan in) {
    FixedBytes out;
    std::memcpy(out.bytes.data(), in.data(), N);
    return out;
  }
  friend constexpr auto operator<=>(const FixedBytes&, const FixedBytes&) = default;
  friend constexpr bool operator==(const FixedBytes&, const FixedBytes&) = default;
};

struct HashTag;
using Hash256 = FixedBytes<32, HashTag>;
using Hash160 = FixedBytes<20, HashTag>;

inline Bytes to_bytes(ByteSpan s) { return Bytes(s.begin(), s.end()); }

}  // namespace tally::crypto

namespace tally::crypto {
// SipHash-2-4 under a process-wide random key (crypto/salted_hash.h).
std::uint64_t salted_hash(ByteSpan data) noexcept;
}  // namespace tally::crypto

// Hashes as keys of unordered containers: salted, because many of them are chosen by peers
// (an unsalted prefix of a hash lets a peer put thousands of keys in one bucket).
template <std::size_t N, class Tag>
struct std::hash<tally::crypto::FixedBytes<N, Tag>> {
  std::size_t operator()(const tally::crypto::FixedBytes<N, Tag>& h) const noexcept {
    return static_cast<std::size_t>(tally::crypto::salted_hash(h.span()));
  }
};
