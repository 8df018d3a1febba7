// SHA-256, SHA-256d and BIP340-style tagged hashes, all through Crypto++.
// Stateless functions are thread-safe; a Sha256 object belongs to one thread at a time.
#pragma once

#include <memory>
#include <string_view>

#include "crypto/bytes.h"

namespace CryptoPP { class SHA256; }

namespace tally::crypto {

Hash256 sha256(ByteSpan data);
// SHA-256 applied twice: block hashes and txids.
Hash256 sha256d(ByteSpan data);

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256& other);
  Sha256& operator=(const Sha256& other);
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  Sha256& write(ByteSpan data);
  Sha256& write(const void* data, std::size_t size);
  // Finishes the hash; the object is reset and can be reused.
  Hash256 finalize();

 private:
  std::unique_ptr<CryptoPP::SHA256> impl_;
};

// BIP340 tagged hash: SHA256(SHA256(tag) || SHA256(tag) || data).
Hash256 tagged_hash(std::string_view tag, ByteSpan data);

// A tagged hash whose 64-byte tag prefix is absorbed once, so each use costs only the
// data. Construct once per tag (e.g. as a function-local static) and call hash() freely:
// hash() copies the primed state and is thread-safe.
class TaggedHasher {
 public:
  explicit TaggedHasher(std::string_view tag);
  Hash256 hash(ByteSpan data) const;
  // A fresh hasher already primed with the tag; write data, then finalize().
  Sha256 start() const { return primed_; }

 private:
  Sha256 primed_;
};

}  // namespace tally::crypto
