#include "crypto/keys.h"

#include <cryptopp/misc.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/random.h"

namespace tally::crypto {

namespace {

// Created once; secp256k1 contexts are safe to share for signing and verification once
// randomized (randomization is the only call that mutates it, and it happens here).
const secp256k1_context* context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_SIGN | SECP256K1_CONTEXT_VERIFY);
    std::array<std::uint8_t, 32> seed;
    random_bytes(seed);
    if (secp256k1_context_randomize(c, seed.data()) != 1) {
      std::fputs("fatal: secp256k1_context_randomize failed\n", stderr);
      std::abort();
    }
    CryptoPP::SecureWipeArray(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

// A keypair on the stack, wiped when it leaves scope.
struct ScopedKeypair {
  secp256k1_keypair kp;
  ~ScopedKeypair() { CryptoPP::SecureWipeArray(kp.data, sizeof kp.data); }
};

}  // namespace

const char* to_string(KeyError e) {
  switch (e) {
    case KeyError::kWrongLength: return "secret key must be 32 bytes";
    case KeyError::kOutOfRange: return "secret key is zero or not below the curve order";
    case KeyError::kSigningFailed: return "signing failed";
  }
  return "unknown key error";
}

SecretKey SecretKey::generate() {
  SecretKey key;
  do {
    random_bytes(key.bytes_);
  } while (secp256k1_ec_seckey_verify(context(), key.bytes_.data()) != 1);
  return key;
}

std::expected<SecretKey, KeyError> SecretKey::from_bytes(ByteSpan bytes) {
  if (bytes.size() != 32) return std::unexpected(KeyError::kWrongLength);
  SecretKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  if (secp256k1_ec_seckey_verify(context(), key.bytes_.data()) != 1) return std::unexpected(KeyError::kOutOfRange);
  return key;
}

SecretKey::SecretKey(const SecretKey& other) : bytes_(other.bytes_) {}
SecretKey& SecretKey::operator=(const SecretKey& other) {
  bytes_ = other.bytes_;
  return *this;
}
SecretKey::~SecretKey() { CryptoPP::SecureWipeArray(bytes_.data(), bytes_.size()); }

PublicKey SecretKey::public_key() const {
  ScopedKeypair kp;
  // Cannot fail: bytes_ was verified on construction.
  if (secp256k1_keypair_create(context(), &kp.kp, bytes_.data()) != 1) std::abort();
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_keypair_xonly_pub(context(), &xonly, nullptr, &kp.kp) != 1) std::abort();
  PublicKey out;
  secp256k1_xonly_pubkey_serialize(context(), out.data(), &xonly);
  return out;
}

Signature SecretKey::sign(ByteSpan message) const {
  std::array<std::uint8_t, 32> aux;
  random_bytes(aux);
  return sign(message, aux);
}

Signature SecretKey::sign(ByteSpan message, const std::array<std::uint8_t, 32>& aux) const {
  ScopedKeypair kp;
  if (secp256k1_keypair_create(context(), &kp.kp, bytes_.data()) != 1) std::abort();
  secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  params.ndata = const_cast<std::uint8_t*>(aux.data());
  Signature sig;
  if (secp256k1_schnorrsig_sign_custom(context(), sig.data(), message.data(), message.size(), &kp.kp, &params) != 1) {
    // Only possible with a corrupted context; a zero signature never verifies.
    return Signature{};
  }
  return sig;
}

bool schnorr_verify(const PublicKey& key, ByteSpan message, const Signature& sig) {
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(context(), &xonly, key.data()) != 1) return false;
  return secp256k1_schnorrsig_verify(context(), sig.data(), message.data(), message.size(), &xonly) == 1;
}

static_assert(sizeof(secp256k1_xonly_pubkey) == 64);

std::optional<ParsedPublicKey> ParsedPublicKey::parse(const PublicKey& key) {
  secp256k1_xonly_pubkey xonly;
  if (secp256k1_xonly_pubkey_parse(context(), &xonly, key.data()) != 1) return std::nullopt;
  ParsedPublicKey out;
  std::memcpy(out.data_.data(), xonly.data, sizeof xonly.data);
  return out;
}

bool ParsedPublicKey::verify(ByteSpan message, const Signature& sig) const {
  secp256k1_xonly_pubkey xonly;
  std::memcpy(xonly.data, data_.data(), sizeof xonly.data);
  return secp256k1_schnorrsig_verify(context(), sig.data(), message.data(), message.size(), &xonly) == 1;
}

bool is_valid_public_key(const PublicKey& key) {
  secp256k1_xonly_pubkey xonly;
  return secp256k1_xonly_pubkey_parse(context(), &xonly, key.data()) == 1;
}

CompressedPublicKey SecretKey::compressed_public_key() const {
  secp256k1_pubkey pub;
  if (secp256k1_ec_pubkey_create(context(), &pub, bytes_.data()) != 1) std::abort();  // a valid key by construction
  CompressedPublicKey out;
  std::size_t len = out.bytes.size();
  secp256k1_ec_pubkey_serialize(context(), out.data(), &len, &pub, SECP256K1_EC_COMPRESSED);
  return out;
}

bool is_valid_compressed_key(const CompressedPublicKey& key) {
  secp256k1_pubkey pub;
  return key.bytes[0] != 0x04 && secp256k1_ec_pubkey_parse(context(), &pub, key.data(), key.bytes.size()) == 1;
}

std::optional<Hash256> ecdh(const SecretKey& secret, const CompressedPublicKey& key) {
  secp256k1_pubkey pub;
  if (key.bytes[0] == 0x04 || secp256k1_ec_pubkey_parse(context(), &pub, key.data(), key.bytes.size()) != 1)
    return std::nullopt;
  Hash256 out;
  if (secp256k1_ecdh(context(), out.data(), &pub, secret.bytes().data(), nullptr, nullptr) != 1) return std::nullopt;
  return out;
}

}  // namespace tally::crypto
