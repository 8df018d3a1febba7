#include "crypto/parsed_key_cache.h"

namespace tally::crypto {

ParsedKeyCache& ParsedKeyCache::shared() {
  static ParsedKeyCache cache(16384);
  return cache;
}

bool ParsedKeyCache::verify(const PublicKey& key, ByteSpan message, const Signature& sig) {
  std::optional<ParsedPublicKey> parsed;
  {
    std::lock_guard lock(mu_);
    if (auto it = keys_.find(key); it != keys_.end()) parsed = it->second;
  }
  if (!parsed) {
    // Parsed outside the lock; two threads may parse the same new key, which is harmless.
    parsed = ParsedPublicKey::parse(key);
    if (!parsed) return false;  // not a point on the curve: nothing to keep
    std::lock_guard lock(mu_);
    if (keys_.size() >= capacity_) keys_.clear();
    keys_.emplace(key, *parsed);
  }
  return parsed->verify(message, sig);
}

std::size_t ParsedKeyCache::size() const {
  std::lock_guard lock(mu_);
  return keys_.size();
}

void ParsedKeyCache::clear() {
  std::lock_guard lock(mu_);
  keys_.clear();
}

}  // namespace tally::crypto
