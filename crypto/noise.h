// The encrypted transport's cryptography (docs/PROTOCOL.md, "Encrypted transport"), sans-I/O:
// bytes in, bytes out, no sockets, no clock.
//
//   Handshake  Noise_XK_secp256k1_ChaChaPoly_SHA256 exactly as BOLT 8 when the dialler knows
//              the listener's node key (three acts of 50, 50 and 66 bytes, version byte 0),
//              and Noise_XX over the same primitives when it does not (34, 99 and 66 bytes,
//              version byte 1); the prologue binds the handshake to a network. Both ends
//              are authenticated by their static node keys (secp256k1).
//   Session    after the handshake: BOLT 8's records, each a 2-byte big-endian length
//              encrypted and tagged (18 bytes), then the body encrypted and tagged; keys
//              rotate every 1,000 nonces (500 records). Records carry a byte stream: what
//              is sealed is cut into records of at most 65,535 bytes, and what is opened
//              comes back as the same bytes, whatever the record boundaries.
//
// Primitives come from libraries: ECDH from libsecp256k1 (crypto/keys.h), ChaCha20-Poly1305
// from Crypto++, SHA-256 and HKDF-SHA256 from Crypto++ (crypto/sha256.h, crypto/hmac.h).
// Threading: an object belongs to one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <utility>

#include "crypto/bytes.h"
#include "crypto/keys.h"

namespace tally::crypto::noise {

inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kMaxRecordBody = 65535;
inline constexpr std::uint64_t kRekeyEveryNonces = 1000;

enum class Pattern : std::uint8_t { kXK = 0, kXX = 1 };  // also each act's version byte

enum class Error {
  kBadVersion,  // an act's version byte is not the pattern's
  kBadKey,      // a public key that is not a point on the curve
  kBadTag,      // an authentication tag that does not verify: tampering or the wrong key
  kMisuse,      // a call out of order (a bug of the caller)
};
const char* to_string(Error e);

// One direction of a session: ChaCha20-Poly1305 under a key that rotates with its chaining
// key every kRekeyEveryNonces nonces (BOLT 8, "Lightning Message Key Rotation").
class CipherState {
 public:
  CipherState(const Hash256& key, const Hash256& chaining_key) : key_(key), ck_(chaining_key) {}
  Bytes encrypt(ByteSpan plaintext);                     // ciphertext || tag
  std::optional<Bytes> decrypt(ByteSpan ciphertext_and_tag);  // nullopt: bad tag
  std::uint64_t nonce() const { return n_; }

 private:
  void advance();
  Hash256 key_;
  Hash256 ck_;
  std::uint64_t n_ = 0;
};

// The record layer of an established session.
class Session {
 public:
  Session(CipherState send, CipherState receive) : send_(std::move(send)), receive_(std::move(receive)) {}
  // The records that carry `bytes` (one per 65,535 bytes; none for no bytes).
  Bytes seal(ByteSpan bytes);
  // Opens records from the stream; the bytes they carry are appended to `out`. A record cut
  // short waits for the rest. Any bad tag is final: the session must be dropped.
  [[nodiscard]] std::expected<void, Error> open(ByteSpan stream, Bytes& out);

 private:
  CipherState send_;
  CipherState receive_;
  Bytes pending_;                        // stream bytes of a record not complete yet
  std::optional<std::size_t> body_size_;  // the current record's length, once decrypted
  bool failed_ = false;
};

class Handshake {
 public:
  // The dialler: XK when it knows the listener's static key, XX when not. `ephemeral` is for
  // test vectors only; otherwise a fresh key is drawn.
  // kBadKey when remote_static is not a point on the curve.
  [[nodiscard]] static std::expected<Handshake, Error> initiator(const SecretKey& local_static,
                                                                 std::optional<CompressedPublicKey> remote_static,
                                                                 ByteSpan prologue,
                                                                 std::optional<SecretKey> ephemeral = std::nullopt);
  // The listener: takes whichever pattern the dialler's first byte names.
  static Handshake responder(const SecretKey& local_static, ByteSpan prologue,
                             std::optional<SecretKey> ephemeral = std::nullopt);

  // Bytes to send now (an initiator's act one right away; then each reply).
  Bytes take_output() { return std::exchange(output_, {}); }
  // Consumes handshake bytes and returns how many it took: once done(), the rest of `in`
  // belongs to the session. An error is final.
  [[nodiscard]] std::expected<std::size_t, Error> feed(ByteSpan in);
  bool done() const { return state_ == State::kDone; }
  std::optional<Pattern> pattern() const { return pattern_; }
  // After done(): the peer's authenticated static key, and the session.
  const CompressedPublicKey& remote_static() const { return remote_static_; }
  [[nodiscard]] std::expected<Session, Error> take_session();

 private:
  enum class State { kAwaitAct1, kAwaitAct2, kAwaitAct3, kDone, kFailed };
  struct Symmetric {
    Hash256 ck, h;
    std::optional<Hash256> k;
    std::uint64_t n = 0;
    void init(Pattern p, ByteSpan prologue);
    void mix_hash(ByteSpan data);
    void mix_key(const Hash256& input);
    Bytes encrypt_and_hash(ByteSpan plaintext);
    std::optional<Bytes> decrypt_and_hash(ByteSpan ciphertext);
  };
  Handshake(const SecretKey& local_static, bool initiator, Bytes prologue, std::optional<SecretKey> ephemeral);
  std::size_t act_size(State s) const;
  std::expected<void, Error> read_act1(ByteSpan act);
  std::expected<void, Error> read_act2(ByteSpan act);
  std::expected<void, Error> read_act3(ByteSpan act);
  void write_act1();
  void write_act2();
  void write_act3();

  SecretKey s_;
  SecretKey e_;
  bool initiator_;
  Bytes prologue_;
  std::optional<Pattern> pattern_;
  CompressedPublicKey remote_static_{};
  CompressedPublicKey remote_ephemeral_{};
  Symmetric sym_;
  State state_;
  Bytes input_;   // bytes of the act being read
  Bytes output_;  // bytes to send
};

}  // namespace tally::crypto::noise
