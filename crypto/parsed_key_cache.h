// Parsed public keys shared by several threads: BIP340 verification that parses each
// sender's key once (parsing costs about a tenth of a verification) and keeps it for the
// next signature of the same key. Thread-safe; bounded (emptied when it would grow past
// its capacity). The answers are exactly schnorr_verify()'s.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "crypto/keys.h"

namespace tally::crypto {

class ParsedKeyCache {
 public:
  explicit ParsedKeyCache(std::size_t capacity) : capacity_(capacity) {}

  // The process-wide cache that Transaction::has_valid_signature() uses.
  static ParsedKeyCache& shared();

  [[nodiscard]] bool verify(const PublicKey& key, ByteSpan message, const Signature& sig);
  std::size_t size() const;
  void clear();  // forgets every key (benchmarks that must start cold)

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<PublicKey, ParsedPublicKey> keys_;
};

}  // namespace tally::crypto
