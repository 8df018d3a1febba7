#include "ledger/state_hash.h"

#include <cryptopp/chacha.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <bit>
#include <cstring>

#include "crypto/sha256.h"

namespace tally::ledger {

namespace {

using Lanes = std::array<std::uint16_t, StateHash::kLanes>;

// One OpenSSL ChaCha20 context per thread, set up once; each entry only changes the key.
// OpenSSL is started without reading the system's openssl.cnf: nothing here needs it, and a
// configuration (a FIPS-only provider, say) could take ChaCha20 away and leave every entry
// to the slower fallback.
struct ChaChaContext {
  EVP_CIPHER_CTX* ctx = nullptr;
  ChaChaContext() {
    static const bool started = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) == 1;
    if (!started) return;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx && EVP_EncryptInit_ex(ctx, EVP_chacha20(), nullptr, nullptr, nullptr) != 1) {
      EVP_CIPHER_CTX_free(ctx);
      ctx = nullptr;
    }
  }
  ~ChaChaContext() { EVP_CIPHER_CTX_free(ctx); }
  ChaChaContext(const ChaChaContext&) = delete;
  ChaChaContext& operator=(const ChaChaContext&) = delete;
};

// The entry's vector: the ChaCha20 keystream under its tagged hash, read as little-endian
// 16-bit lanes. Called thousands of times per block, so nothing here allocates.
void expand(const crypto::Address& address, const Account& account, Lanes& out) {
  static const crypto::TaggedHasher hasher("Tally/StateEntry");
  std::array<std::uint8_t, crypto::Address::kSize + 16> entry;
  std::copy(address.bytes.begin(), address.bytes.end(), entry.begin());
  for (std::size_t i = 0; i < 8; ++i) {
    entry[crypto::Address::kSize + i] = static_cast<std::uint8_t>(account.balance >> (8 * i));
    entry[crypto::Address::kSize + 8 + i] = static_cast<std::uint8_t>(account.nonce >> (8 * i));
  }
  const crypto::Hash256 key = hasher.hash(entry);
  // OpenSSL's ChaCha20 (IETF layout: 32-bit counter, 96-bit nonce) gives the same keystream
  // as the original layout for a zero nonce and fewer than 2^32 blocks, and has a vector
  // implementation wider than Crypto++'s; Crypto++ stays as the fallback.
  static constexpr std::uint8_t kZeros[StateHash::kLanes * 2] = {};
  static constexpr std::uint8_t kIv[16] = {};
  thread_local ChaChaContext openssl;
  EVP_CIPHER_CTX* ctx = openssl.ctx;
  std::array<std::uint8_t, StateHash::kLanes * 2> stream;
  int written = 0;
  const bool fast = ctx && EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), kIv) == 1 &&
                    EVP_EncryptUpdate(ctx, stream.data(), &written, kZeros, sizeof kZeros) == 1 &&
                    written == static_cast<int>(sizeof kZeros);
  if (!fast) {
    thread_local CryptoPP::ChaCha::Encryption chacha;
    chacha.SetKeyWithIV(key.data(), key.size(), kIv, 8);
    chacha.GenerateBlock(stream.data(), stream.size());
  }
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data(), stream.data(), stream.size());
  } else {
    for (std::size_t i = 0; i < StateHash::kLanes; ++i)
      out[i] = static_cast<std::uint16_t>(stream[2 * i] | (stream[2 * i + 1] << 8));
  }
}

}  // namespace

void StateHash::add(const crypto::Address& address, const Account& account) {
  Lanes v;
  expand(address, account, v);
  for (std::size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<std::uint16_t>(lanes_[i] + v[i]);
}

void StateHash::remove(const crypto::Address& address, const Account& account) {
  Lanes v;
  expand(address, account, v);
  for (std::size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<std::uint16_t>(lanes_[i] - v[i]);
}

void StateHash::update(const crypto::Address& address, const Account& before, const Account& after) {
  if (before == after) return;
  if (before.empty() || after.empty()) {
    if (!before.empty()) remove(address, before);
    if (!after.empty()) add(address, after);
    return;
  }
  Lanes out, in;
  expand(address, before, out);
  expand(address, after, in);
  for (std::size_t i = 0; i < kLanes; ++i) lanes_[i] = static_cast<std::uint16_t>(lanes_[i] + in[i] - out[i]);
}

std::array<std::uint8_t, StateHash::kLanes * 2> StateHash::serialize() const {
  std::array<std::uint8_t, kLanes * 2> out;
  for (std::size_t i = 0; i < kLanes; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(lanes_[i]);
    out[2 * i + 1] = static_cast<std::uint8_t>(lanes_[i] >> 8);
  }
  return out;
}

StateHash StateHash::deserialize(crypto::ByteSpan bytes) {
  StateHash h;
  for (std::size_t i = 0; i < kLanes; ++i)
    h.lanes_[i] = static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return h;
}

crypto::Hash256 StateHash::digest() const {
  const auto bytes = serialize();
  return crypto::sha256(bytes);
}

}  // namespace tally::ledger
