// SHA-256d of messages that share a fixed 64-byte first block (block headers while mining).
// The compression of that first block is done once; each hash() then costs two compression
// calls instead of three. Immutable after construction: hash() is thread-safe.
#pragma once

#include <cstdint>

#include "crypto/bytes.h"

namespace tally::crypto {

class Sha256dMidstate {
 public:
  static constexpr std::size_t kBlockSize = 64;
  static constexpr std::size_t kMaxTail = 55;  // tail + 0x80 + 8-byte length fits one block

  // REQUIRES: first_block.size() == 64.
  explicit Sha256dMidstate(ByteSpan first_block);

  // sha256d(first_block || tail). REQUIRES: tail.size() <= kMaxTail.
  Hash256 hash(ByteSpan tail) const;

 private:
  alignas(16) std::uint32_t state_[8];
};

}  // namespace tally::crypto
