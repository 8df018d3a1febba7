// Secret keys, x-only public keys and BIP340 Schnorr signatures through libsecp256k1.
// One process-wide secp256k1 context, created and randomized on first use; all functions
// here are thread-safe. Secret key bytes are wiped when a SecretKey is destroyed.
#pragma once

#include <expected>
#include <optional>

#include "crypto/bytes.h"

namespace tally::crypto {

struct PublicKeyTag;
struct SignatureTag;
struct CompressedKeyTag;
// BIP340 x-only public key: the 32-byte x coordinate of a point with even y.
using PublicKey = FixedBytes<32, PublicKeyTag>;
using Signature = FixedBytes<64, SignatureTag>;
// SEC1 compressed public key (0x02 or 0x03, then x): how node keys of the encrypted
// transport are written (BOLT 8).
using CompressedPublicKey = FixedBytes<33, CompressedKeyTag>;

enum class KeyError { kWrongLength, kOutOfRange, kSigningFailed };
const char* to_string(KeyError e);

class SecretKey {
 public:
  // A fresh key from OS randomness.
  static SecretKey generate();
  // Rejects 0 and values >= the curve order.
  [[nodiscard]] static std::expected<SecretKey, KeyError> from_bytes(ByteSpan bytes);

  SecretKey(const SecretKey& other);
  SecretKey& operator=(const SecretKey& other);
  ~SecretKey();

  const std::array<std::uint8_t, 32>& bytes() const { return bytes_; }
  PublicKey public_key() const;
  // The same key's point, compressed (its y may be odd: not the x-only key's).
  CompressedPublicKey compressed_public_key() const;

  // BIP340 signature of an arbitrary-length message with fresh auxiliary randomness.
  Signature sign(ByteSpan message) const;
  // Deterministic variant with caller-chosen auxiliary data (test vectors, reproducible runs).
  Signature sign(ByteSpan message, const std::array<std::uint8_t, 32>& aux) const;

 private:
  SecretKey() = default;
  std::array<std::uint8_t, 32> bytes_{};
};

// BIP340 verification. False for a malformed key, a malformed signature or a wrong one.
[[nodiscard]] bool schnorr_verify(const PublicKey& key, ByteSpan message, const Signature& sig);

// A public key already parsed into libsecp256k1's internal form. Parsing takes a field
// square root, about a tenth of a verification; a verifier that sees the same senders
// again keeps their parsed keys and skips it.
class ParsedPublicKey {
 public:
  // nullopt when the bytes are not the x coordinate of a point on the curve.
  [[nodiscard]] static std::optional<ParsedPublicKey> parse(const PublicKey& key);
  // BIP340 verification against this key; the same answer as schnorr_verify().
  [[nodiscard]] bool verify(ByteSpan message, const Signature& sig) const;

 private:
  ParsedPublicKey() = default;
  std::array<std::uint8_t, 64> data_{};  // a secp256k1_xonly_pubkey
};

// True when the bytes are a compressed point on the curve.
[[nodiscard]] bool is_valid_compressed_key(const CompressedPublicKey& key);

// ECDH as BOLT 8 defines it: SHA-256 of the compressed point secret * key (libsecp256k1's
// ECDH module with its default hash). nullopt when key is not a point on the curve.
[[nodiscard]] std::optional<Hash256> ecdh(const SecretKey& secret, const CompressedPublicKey& key);

// True when the bytes are the x coordinate of a point on the curve.
[[nodiscard]] bool is_valid_public_key(const PublicKey& key);

}  // namespace tally::crypto
