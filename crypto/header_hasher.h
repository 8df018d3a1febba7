// SHA-256d of messages that share a fixed 64-byte first block (block headers while mining).
// The compression of that first block is done once; each hash() then costs two compression
// calls instead of three. A miner goes further: it pads the tail into a TailBlock once and
// rewrites only the nonce word per attempt (hash_words), comparing the digest as words.
// Immutable after construction: every method is const and thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "crypto/bytes.h"

namespace tally::crypto {

class Sha256dMidstate {
 public:
  static constexpr std::size_t kBlockSize = 64;
  static constexpr std::size_t kMaxTail = 55;  // tail + 0x80 + 8-byte length fits one block

  // The padded second block of the first hash as 16 big-endian words: tail bytes, 0x80,
  // zeros and the bit length of the whole message. Byte i of the tail is byte (i % 4) of
  // words[i / 4], most significant first.
  struct alignas(16) TailBlock {
    std::array<std::uint32_t, 16> words{};
  };
  // The digest as 8 big-endian words: words[0] holds digest bytes 0..3, so comparing the
  // arrays lexicographically compares the digests as big-endian numbers.
  using DigestWords = std::array<std::uint32_t, 8>;

  // REQUIRES: first_block.size() == 64.
  explicit Sha256dMidstate(ByteSpan first_block);

  // sha256d(first_block || tail). REQUIRES: tail.size() <= kMaxTail.
  Hash256 hash(ByteSpan tail) const;

  // Pads `tail` (of a message that starts with a 64-byte first block) into one block.
  // REQUIRES: tail.size() <= kMaxTail.
  static TailBlock prepare_tail(ByteSpan tail);
  // sha256d(first_block || tail) for the tail that `block` was prepared from, as words.
  DigestWords hash_words(const TailBlock& block) const;
  static Hash256 to_hash(const DigestWords& words);

 private:
  alignas(16) std::uint32_t state_[8];
};

}  // namespace tally::crypto
