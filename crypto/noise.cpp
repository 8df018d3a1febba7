#include "crypto/noise.h"

#include <cryptopp/chachapoly.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "crypto/hmac.h"
#include "crypto/sha256.h"

namespace tally::crypto::noise {

namespace {

constexpr std::string_view kXkName = "Noise_XK_secp256k1_ChaChaPoly_SHA256";
constexpr std::string_view kXxName = "Noise_XX_secp256k1_ChaChaPoly_SHA256";
constexpr std::size_t kKeySize = 33;

// RFC 8439's 96-bit nonce as BOLT 8 (and Noise) lay it out: 32 zero bits, then n little-endian.
std::array<std::uint8_t, 12> nonce_bytes(std::uint64_t n) {
  std::array<std::uint8_t, 12> iv{};
  for (int i = 0; i < 8; ++i) iv[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  return iv;
}

Bytes aead_encrypt(const Hash256& key, std::uint64_t n, ByteSpan ad, ByteSpan plaintext) {
  const auto iv = nonce_bytes(n);
  CryptoPP::ChaCha20Poly1305::Encryption enc;
  enc.SetKeyWithIV(key.data(), key.bytes.size(), iv.data(), iv.size());
  Bytes out(plaintext.size() + kTagSize);
  enc.EncryptAndAuthenticate(out.data(), out.data() + plaintext.size(), kTagSize, iv.data(), static_cast<int>(iv.size()),
                             ad.data(), ad.size(), plaintext.data(), plaintext.size());
  return out;
}

std::optional<Bytes> aead_decrypt(const Hash256& key, std::uint64_t n, ByteSpan ad, ByteSpan ciphertext) {
  if (ciphertext.size() < kTagSize) return std::nullopt;
  const auto iv = nonce_bytes(n);
  const std::size_t size = ciphertext.size() - kTagSize;
  CryptoPP::ChaCha20Poly1305::Decryption dec;
  dec.SetKeyWithIV(key.data(), key.bytes.size(), iv.data(), iv.size());
  Bytes out(size);
  if (!dec.DecryptAndVerify(out.data(), ciphertext.data() + size, kTagSize, iv.data(), static_cast<int>(iv.size()),
                            ad.data(), ad.size(), ciphertext.data(), size))
    return std::nullopt;
  return out;
}

// HKDF-SHA256 with salt ck, no info, 64 bytes: two keys (BOLT 8's HKDF).
std::pair<Hash256, Hash256> hkdf2(const Hash256& ck, ByteSpan input) {
  const auto out = hkdf_sha256(input, ck.span(), {}, 64);  // 64 <= 255 * 32: cannot fail
  std::pair<Hash256, Hash256> keys;
  std::memcpy(keys.first.data(), out->data(), 32);
  std::memcpy(keys.second.data(), out->data() + 32, 32);
  return keys;
}

Bytes concat(ByteSpan a, ByteSpan b) {
  Bytes out(a.begin(), a.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

CompressedPublicKey key_at(ByteSpan bytes) {
  CompressedPublicKey k;
  std::memcpy(k.data(), bytes.data(), kKeySize);
  return k;
}

}  // namespace

const char* to_string(Error e) {
  switch (e) {
    case Error::kBadVersion: return "unknown handshake version";
    case Error::kBadKey: return "invalid public key in the handshake";
    case Error::kBadTag: return "authentication failed";
    case Error::kMisuse: return "handshake used out of order";
  }
  return "?";
}

// --- CipherState -------------------------------------------------------------------------

void CipherState::advance() {
  if (++n_ < kRekeyEveryNonces) return;
  std::tie(ck_, key_) = hkdf2(ck_, key_.span());
  n_ = 0;
}

Bytes CipherState::encrypt(ByteSpan plaintext) {
  Bytes out = aead_encrypt(key_, n_, {}, plaintext);
  advance();
  return out;
}

std::optional<Bytes> CipherState::decrypt(ByteSpan ciphertext_and_tag) {
  auto out = aead_decrypt(key_, n_, {}, ciphertext_and_tag);
  if (out) advance();
  return out;
}

// --- Session -------------------------------------------------------------------------------

Bytes Session::seal(ByteSpan bytes) {
  Bytes out;
  out.reserve(bytes.size() + (bytes.size() / kMaxRecordBody + 1) * (2 + 2 * kTagSize));
  for (std::size_t at = 0; at < bytes.size(); at += kMaxRecordBody) {
    const std::size_t n = std::min(kMaxRecordBody, bytes.size() - at);
    const std::uint8_t length[2] = {static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
    const Bytes lc = send_.encrypt(ByteSpan(length, 2));
    const Bytes c = send_.encrypt(bytes.subspan(at, n));
    out.insert(out.end(), lc.begin(), lc.end());
    out.insert(out.end(), c.begin(), c.end());
  }
  return out;
}

std::expected<void, Error> Session::open(ByteSpan stream, Bytes& out) {
  if (failed_) return std::unexpected(Error::kBadTag);
  pending_.insert(pending_.end(), stream.begin(), stream.end());
  std::size_t at = 0;
  for (;;) {
    if (!body_size_) {
      if (pending_.size() - at < 2 + kTagSize) break;
      auto length = receive_.decrypt(ByteSpan(pending_).subspan(at, 2 + kTagSize));
      if (!length) {
        failed_ = true;
        return std::unexpected(Error::kBadTag);
      }
      body_size_ = std::size_t{(*length)[0]} << 8 | (*length)[1];
      at += 2 + kTagSize;
    }
    if (pending_.size() - at < *body_size_ + kTagSize) break;
    auto body = receive_.decrypt(ByteSpan(pending_).subspan(at, *body_size_ + kTagSize));
    if (!body) {
      failed_ = true;
      return std::unexpected(Error::kBadTag);
    }
    out.insert(out.end(), body->begin(), body->end());
    at += *body_size_ + kTagSize;
    body_size_.reset();
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(at));
  return {};
}

// --- Handshake -----------------------------------------------------------------------------

void Handshake::Symmetric::init(Pattern p, ByteSpan prologue) {
  const std::string_view name = p == Pattern::kXK ? kXkName : kXxName;  // both longer than 32: hashed
  h = sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(name.data()), name.size()));
  ck = h;
  k.reset();
  n = 0;
  mix_hash(prologue);
}

void Handshake::Symmetric::mix_hash(ByteSpan data) { h = sha256(concat(h.span(), data)); }

void Handshake::Symmetric::mix_key(const Hash256& input) {
  Hash256 key;
  std::tie(ck, key) = hkdf2(ck, input.span());
  k = key;
  n = 0;
}

Bytes Handshake::Symmetric::encrypt_and_hash(ByteSpan plaintext) {
  Bytes c = k ? aead_encrypt(*k, n++, h.span(), plaintext) : Bytes(plaintext.begin(), plaintext.end());
  mix_hash(c);
  return c;
}

std::optional<Bytes> Handshake::Symmetric::decrypt_and_hash(ByteSpan ciphertext) {
  std::optional<Bytes> p = k ? aead_decrypt(*k, n, h.span(), ciphertext) : Bytes(ciphertext.begin(), ciphertext.end());
  if (!p) return std::nullopt;
  if (k) ++n;
  mix_hash(ciphertext);
  return p;
}

Handshake::Handshake(const SecretKey& local_static, bool initiator, Bytes prologue, std::optional<SecretKey> ephemeral)
    : s_(local_static),
      e_(ephemeral ? *ephemeral : SecretKey::generate()),
      initiator_(initiator),
      prologue_(std::move(prologue)),
      state_(initiator ? State::kAwaitAct2 : State::kAwaitAct1) {}

std::expected<Handshake, Error> Handshake::initiator(const SecretKey& local_static,
                                                    std::optional<CompressedPublicKey> remote_static, ByteSpan prologue,
                                                    std::optional<SecretKey> ephemeral) {
  if (remote_static && !is_valid_compressed_key(*remote_static)) return std::unexpected(Error::kBadKey);
  Handshake hs(local_static, true, Bytes(prologue.begin(), prologue.end()), std::move(ephemeral));
  hs.pattern_ = remote_static ? Pattern::kXK : Pattern::kXX;
  hs.sym_.init(*hs.pattern_, prologue);
  if (remote_static) {
    hs.remote_static_ = *remote_static;
    hs.sym_.mix_hash(remote_static->span());  // XK's pre-message: <- s
  }
  hs.write_act1();
  return hs;
}

Handshake Handshake::responder(const SecretKey& local_static, ByteSpan prologue, std::optional<SecretKey> ephemeral) {
  return Handshake(local_static, false, Bytes(prologue.begin(), prologue.end()), std::move(ephemeral));
}

std::size_t Handshake::act_size(State s) const {
  const bool xx = pattern_ == Pattern::kXX;
  switch (s) {
    case State::kAwaitAct1: return xx ? 1 + kKeySize : 1 + kKeySize + kTagSize;
    case State::kAwaitAct2: return xx ? 1 + kKeySize + kKeySize + kTagSize + kTagSize : 1 + kKeySize + kTagSize;
    case State::kAwaitAct3: return 1 + kKeySize + kTagSize + kTagSize;
    default: return 0;
  }
}

std::expected<std::size_t, Error> Handshake::feed(ByteSpan in) {
  std::size_t used = 0;
  while (used < in.size() && state_ != State::kDone) {
    if (state_ == State::kFailed) return std::unexpected(Error::kMisuse);
    if (!pattern_) {  // a responder learns the pattern from the first byte
      const std::uint8_t version = in[used];
      if (version > static_cast<std::uint8_t>(Pattern::kXX)) {
        state_ = State::kFailed;
        return std::unexpected(Error::kBadVersion);
      }
      pattern_ = static_cast<Pattern>(version);
      sym_.init(*pattern_, prologue_);
      if (*pattern_ == Pattern::kXK) {
        remote_static_ = {};
        sym_.mix_hash(s_.compressed_public_key().span());  // XK's pre-message: our static key
      }
    }
    const std::size_t need = act_size(state_) - input_.size();
    const std::size_t take = std::min(need, in.size() - used);
    input_.insert(input_.end(), in.begin() + static_cast<std::ptrdiff_t>(used),
                  in.begin() + static_cast<std::ptrdiff_t>(used + take));
    used += take;
    if (input_.size() < act_size(state_)) break;
    const Bytes act = std::exchange(input_, {});
    if (act[0] != static_cast<std::uint8_t>(*pattern_)) {
      state_ = State::kFailed;
      return std::unexpected(Error::kBadVersion);
    }
    std::expected<void, Error> r;
    switch (state_) {
      case State::kAwaitAct1: r = read_act1(act); break;
      case State::kAwaitAct2: r = read_act2(act); break;
      case State::kAwaitAct3: r = read_act3(act); break;
      default: r = std::unexpected(Error::kMisuse);
    }
    if (!r) {
      state_ = State::kFailed;
      return std::unexpected(r.error());
    }
  }
  return used;
}

// Act one. XK (BOLT 8): e, es, and a tag. XX: e alone (no key yet, so no tag).
void Handshake::write_act1() {
  const CompressedPublicKey e_pub = e_.compressed_public_key();
  sym_.mix_hash(e_pub.span());
  if (*pattern_ == Pattern::kXK) sym_.mix_key(*ecdh(e_, remote_static_));  // valid: checked by the caller
  const Bytes c = sym_.encrypt_and_hash({});
  output_.push_back(static_cast<std::uint8_t>(*pattern_));
  output_.insert(output_.end(), e_pub.bytes.begin(), e_pub.bytes.end());
  output_.insert(output_.end(), c.begin(), c.end());
}

std::expected<void, Error> Handshake::read_act1(ByteSpan act) {
  remote_ephemeral_ = key_at(act.subspan(1));
  if (!is_valid_compressed_key(remote_ephemeral_)) return std::unexpected(Error::kBadKey);
  sym_.mix_hash(remote_ephemeral_.span());
  if (*pattern_ == Pattern::kXK) sym_.mix_key(*ecdh(s_, remote_ephemeral_));
  if (!sym_.decrypt_and_hash(act.subspan(1 + kKeySize))) return std::unexpected(Error::kBadTag);
  write_act2();
  state_ = State::kAwaitAct3;
  return {};
}

// Act two. XK: e, ee, and a tag. XX: e, ee, s (encrypted), es, and a tag.
void Handshake::write_act2() {
  const CompressedPublicKey e_pub = e_.compressed_public_key();
  sym_.mix_hash(e_pub.span());
  sym_.mix_key(*ecdh(e_, remote_ephemeral_));
  output_.push_back(static_cast<std::uint8_t>(*pattern_));
  output_.insert(output_.end(), e_pub.bytes.begin(), e_pub.bytes.end());
  if (*pattern_ == Pattern::kXX) {
    const Bytes cs = sym_.encrypt_and_hash(s_.compressed_public_key().span());
    output_.insert(output_.end(), cs.begin(), cs.end());
    sym_.mix_key(*ecdh(s_, remote_ephemeral_));
  }
  const Bytes c = sym_.encrypt_and_hash({});
  output_.insert(output_.end(), c.begin(), c.end());
}

std::expected<void, Error> Handshake::read_act2(ByteSpan act) {
  remote_ephemeral_ = key_at(act.subspan(1));
  if (!is_valid_compressed_key(remote_ephemeral_)) return std::unexpected(Error::kBadKey);
  sym_.mix_hash(remote_ephemeral_.span());
  sym_.mix_key(*ecdh(e_, remote_ephemeral_));
  std::size_t at = 1 + kKeySize;
  if (*pattern_ == Pattern::kXX) {
    auto rs = sym_.decrypt_and_hash(act.subspan(at, kKeySize + kTagSize));
    if (!rs) return std::unexpected(Error::kBadTag);
    remote_static_ = key_at(*rs);
    if (!is_valid_compressed_key(remote_static_)) return std::unexpected(Error::kBadKey);
    sym_.mix_key(*ecdh(e_, remote_static_));
    at += kKeySize + kTagSize;
  }
  if (!sym_.decrypt_and_hash(act.subspan(at))) return std::unexpected(Error::kBadTag);
  write_act3();
  state_ = State::kDone;
  return {};
}

// Act three (both patterns): s (encrypted), se, and a tag.
void Handshake::write_act3() {
  const Bytes cs = sym_.encrypt_and_hash(s_.compressed_public_key().span());
  sym_.mix_key(*ecdh(s_, remote_ephemeral_));
  const Bytes t = sym_.encrypt_and_hash({});
  output_.push_back(static_cast<std::uint8_t>(*pattern_));
  output_.insert(output_.end(), cs.begin(), cs.end());
  output_.insert(output_.end(), t.begin(), t.end());
}

std::expected<void, Error> Handshake::read_act3(ByteSpan act) {
  auto rs = sym_.decrypt_and_hash(act.subspan(1, kKeySize + kTagSize));
  if (!rs) return std::unexpected(Error::kBadTag);
  remote_static_ = key_at(*rs);
  if (!is_valid_compressed_key(remote_static_)) return std::unexpected(Error::kBadKey);
  sym_.mix_key(*ecdh(e_, remote_static_));
  if (!sym_.decrypt_and_hash(act.subspan(1 + kKeySize + kTagSize))) return std::unexpected(Error::kBadTag);
  state_ = State::kDone;
  return {};
}

std::expected<Session, Error> Handshake::take_session() {
  if (state_ != State::kDone) return std::unexpected(Error::kMisuse);
  const auto [k1, k2] = hkdf2(sym_.ck, {});
  // The initiator sends with the first key and receives with the second (BOLT 8: sk, rk).
  const Hash256& send = initiator_ ? k1 : k2;
  const Hash256& receive = initiator_ ? k2 : k1;
  return Session(CipherState(send, sym_.ck), CipherState(receive, sym_.ck));
}

}  // namespace tally::crypto::noise
