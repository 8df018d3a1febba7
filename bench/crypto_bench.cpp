// Crypto micro benchmarks: Tally's wrappers next to the same work done by calling Crypto++
// and libsecp256k1 directly, so any overhead of the wrappers shows as a rate difference.
// Rates are items/s (one item = one header hash, one signature, one verification).
#include <benchmark/benchmark.h>
#include <cryptopp/sha.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "crypto/bytes.h"
#include "crypto/header_hasher.h"
#include "crypto/keys.h"
#include "crypto/sha256.h"

namespace tally::crypto {
namespace {

constexpr std::size_t kHeader80 = 80;    // Bitcoin-sized header, for comparison
constexpr std::size_t kHeaderSize = 116;  // Tally's header: one 64-byte block + a 52-byte tail
constexpr std::size_t kTailSize = kHeaderSize - Sha256dMidstate::kBlockSize;
static_assert(kTailSize <= Sha256dMidstate::kMaxTail);

template <std::size_t N>
std::array<std::uint8_t, N> patterned() {
  std::array<std::uint8_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return out;
}

// Mining changes the nonce between hashes; do the same so no call sees repeated input.
inline void bump_nonce(std::uint8_t* nonce4) {
  std::uint32_t n;
  std::memcpy(&n, nonce4, sizeof n);
  ++n;
  std::memcpy(nonce4, &n, sizeof n);
}

inline std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// ---------------------------------------------------------------------------------------
// SHA-256d of block headers.

void BM_Sha256d_Header80(benchmark::State& state) {
  auto header = patterned<kHeader80>();
  for (auto _ : state) {
    bump_nonce(header.data() + kHeader80 - 4);
    benchmark::DoNotOptimize(sha256d(header));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kHeader80));
}
BENCHMARK(BM_Sha256d_Header80);

// The salted hash of a 32-byte key, as every unordered container keyed by a hash pays it
// (crypto/salted_hash.h), beside the unsalted 8-byte prefix it replaced.
void BM_SaltedHash_Hash256(benchmark::State& state) {
  tally::crypto::Hash256 h{};
  std::uint64_t acc = 0;
  for (auto _ : state) {
    h.bytes[0] = static_cast<std::uint8_t>(acc);
    acc += tally::crypto::salted_hash(h.span());
  }
  benchmark::DoNotOptimize(acc);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SaltedHash_Hash256);

void BM_Sha256d_Header_Midstate(benchmark::State& state) {
  auto header = patterned<kHeaderSize>();
  const Sha256dMidstate midstate(ByteSpan(header).first(Sha256dMidstate::kBlockSize));
  const auto tail = std::span(header).subspan(Sha256dMidstate::kBlockSize);
  for (auto _ : state) {
    bump_nonce(tail.data() + kTailSize - 4);
    benchmark::DoNotOptimize(midstate.hash(tail));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kHeaderSize));
}
BENCHMARK(BM_Sha256d_Header_Midstate);

void BM_CryptoPP_Sha256d_Direct(benchmark::State& state) {
  auto header = patterned<kHeader80>();
  CryptoPP::SHA256 sha;
  alignas(16) std::uint8_t once[CryptoPP::SHA256::DIGESTSIZE];
  alignas(16) std::uint8_t twice[CryptoPP::SHA256::DIGESTSIZE];
  for (auto _ : state) {
    bump_nonce(header.data() + kHeader80 - 4);
    sha.CalculateDigest(once, header.data(), header.size());
    sha.CalculateDigest(twice, once, sizeof once);
    benchmark::DoNotOptimize(twice);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kHeader80));
}
BENCHMARK(BM_CryptoPP_Sha256d_Direct);

// The lower bound for a 116-byte header with a cached midstate: two compression calls on
// words prepared outside the loop (only the nonce word changes), nothing else.
void BM_CryptoPP_Midstate_Direct(benchmark::State& state) {
  const auto header = patterned<kHeaderSize>();
  alignas(16) CryptoPP::word32 midstate[8];
  alignas(16) CryptoPP::word32 block[16];
  CryptoPP::SHA256::InitState(midstate);
  for (int i = 0; i < 16; ++i) block[i] = load_be32(header.data() + 4 * i);
  CryptoPP::SHA256::Transform(midstate, block);

  // Second block of the first hash: 52-byte tail, 0x80, zeros, 64-bit length 928 bits.
  alignas(16) std::uint8_t tail_block[64] = {};
  std::memcpy(tail_block, header.data() + 64, kTailSize);
  tail_block[kTailSize] = 0x80;
  const std::uint64_t bits = kHeaderSize * 8;
  for (int i = 0; i < 8; ++i) tail_block[63 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  for (int i = 0; i < 16; ++i) block[i] = load_be32(tail_block + 4 * i);
  constexpr int kNonceWord = (kTailSize - 4) / 4;  // the tail's last word

  alignas(16) CryptoPP::word32 state1[8];
  alignas(16) CryptoPP::word32 digest_block[16] = {};
  digest_block[8] = 0x80000000u;
  digest_block[15] = 256;
  alignas(16) CryptoPP::word32 state2[8];
  for (auto _ : state) {
    ++block[kNonceWord];
    std::memcpy(state1, midstate, sizeof state1);
    CryptoPP::SHA256::Transform(state1, block);
    std::memcpy(digest_block, state1, sizeof state1);
    CryptoPP::SHA256::InitState(state2);
    CryptoPP::SHA256::Transform(state2, digest_block);
    benchmark::DoNotOptimize(state2);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kHeaderSize));
}
BENCHMARK(BM_CryptoPP_Midstate_Direct);

// ---------------------------------------------------------------------------------------
// BIP340 Schnorr signatures.

constexpr std::array<std::uint8_t, 32> kSecret = {
    0xB7, 0xE1, 0x51, 0x62, 0x8A, 0xED, 0x2A, 0x6A, 0xBF, 0x71, 0x58, 0x80, 0x9C, 0xF4, 0xF3, 0xC7,
    0x62, 0xE7, 0x16, 0x0F, 0x38, 0xB4, 0xDA, 0x56, 0xA7, 0x84, 0xD9, 0x04, 0x51, 0x90, 0xCF, 0xEF};
constexpr std::array<std::uint8_t, 32> kAux = {0x01};

// Tally's production signing path: fresh auxiliary randomness from the OS for each call.
void BM_Schnorr_Sign(benchmark::State& state) {
  const SecretKey key = SecretKey::from_bytes(kSecret).value();
  auto message = patterned<32>();
  for (auto _ : state) {
    bump_nonce(message.data());
    benchmark::DoNotOptimize(key.sign(message));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Schnorr_Sign);

// The same with fixed auxiliary data: the cost of signing without the getrandom() call.
void BM_Schnorr_Sign_FixedAux(benchmark::State& state) {
  const SecretKey key = SecretKey::from_bytes(kSecret).value();
  auto message = patterned<32>();
  for (auto _ : state) {
    bump_nonce(message.data());
    benchmark::DoNotOptimize(key.sign(message, kAux));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Schnorr_Sign_FixedAux);

void BM_Schnorr_Verify(benchmark::State& state) {
  const SecretKey key = SecretKey::from_bytes(kSecret).value();
  const PublicKey public_key = key.public_key();
  const auto message = patterned<32>();
  const Signature signature = key.sign(message, kAux);
  if (!schnorr_verify(public_key, message, signature)) {
    state.SkipWithError("signature does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(schnorr_verify(public_key, message, signature));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Schnorr_Verify);

// The same with the key parsed once, as the block verifier does for senders it has seen.
void BM_Schnorr_Verify_ParsedKey(benchmark::State& state) {
  const SecretKey key = SecretKey::from_bytes(kSecret).value();
  const auto parsed = tally::crypto::ParsedPublicKey::parse(key.public_key());
  const auto message = patterned<32>();
  const Signature signature = key.sign(message, kAux);
  if (!parsed || !parsed->verify(message, signature)) {
    state.SkipWithError("signature does not verify");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(parsed->verify(message, signature));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Schnorr_Verify_ParsedKey);

// A context of the benchmark's own, as an application using libsecp256k1 would hold.
class Secp256k1Context {
 public:
  Secp256k1Context() : ctx_(secp256k1_context_create(SECP256K1_CONTEXT_NONE)) {
    std::array<std::uint8_t, 32> seed = patterned<32>();
    if (secp256k1_context_randomize(ctx_, seed.data()) != 1) ok_ = false;
  }
  ~Secp256k1Context() { secp256k1_context_destroy(ctx_); }
  Secp256k1Context(const Secp256k1Context&) = delete;
  Secp256k1Context& operator=(const Secp256k1Context&) = delete;

  secp256k1_context* get() const { return ctx_; }
  bool ok() const { return ok_ && ctx_ != nullptr; }

 private:
  secp256k1_context* ctx_;
  bool ok_ = true;
};

// Parse the x-only key and verify, per item: the same work schnorr_verify() does.
void BM_Secp256k1_Verify_Direct(benchmark::State& state) {
  const Secp256k1Context ctx;
  secp256k1_keypair keypair;
  secp256k1_xonly_pubkey xonly;
  std::array<std::uint8_t, 32> public_key{};
  const auto message = patterned<32>();
  std::array<std::uint8_t, 64> signature{};
  if (!ctx.ok() || secp256k1_keypair_create(ctx.get(), &keypair, kSecret.data()) != 1 ||
      secp256k1_keypair_xonly_pub(ctx.get(), &xonly, nullptr, &keypair) != 1 ||
      secp256k1_xonly_pubkey_serialize(ctx.get(), public_key.data(), &xonly) != 1 ||
      secp256k1_schnorrsig_sign32(ctx.get(), signature.data(), message.data(), &keypair, kAux.data()) != 1) {
    state.SkipWithError("secp256k1 setup failed");
    return;
  }
  for (auto _ : state) {
    secp256k1_xonly_pubkey parsed;
    const int ok = secp256k1_xonly_pubkey_parse(ctx.get(), &parsed, public_key.data()) &
                   secp256k1_schnorrsig_verify(ctx.get(), signature.data(), message.data(), message.size(), &parsed);
    benchmark::DoNotOptimize(ok);
    if (ok != 1) {
      state.SkipWithError("signature does not verify");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1_Verify_Direct);

// Signing with a keypair created once, as a long-lived signer would.
void BM_Secp256k1_Sign_Direct(benchmark::State& state) {
  const Secp256k1Context ctx;
  secp256k1_keypair keypair;
  if (!ctx.ok() || secp256k1_keypair_create(ctx.get(), &keypair, kSecret.data()) != 1) {
    state.SkipWithError("secp256k1 setup failed");
    return;
  }
  auto message = patterned<32>();
  std::array<std::uint8_t, 64> signature{};
  for (auto _ : state) {
    bump_nonce(message.data());
    benchmark::DoNotOptimize(
        secp256k1_schnorrsig_sign32(ctx.get(), signature.data(), message.data(), &keypair, kAux.data()));
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1_Sign_Direct);

// Signing that derives the keypair from the secret each time, as SecretKey::sign() does.
void BM_Secp256k1_Sign_Direct_KeypairPerCall(benchmark::State& state) {
  const Secp256k1Context ctx;
  if (!ctx.ok()) {
    state.SkipWithError("secp256k1 setup failed");
    return;
  }
  auto message = patterned<32>();
  std::array<std::uint8_t, 64> signature{};
  for (auto _ : state) {
    bump_nonce(message.data());
    secp256k1_keypair keypair;
    benchmark::DoNotOptimize(secp256k1_keypair_create(ctx.get(), &keypair, kSecret.data()));
    benchmark::DoNotOptimize(
        secp256k1_schnorrsig_sign32(ctx.get(), signature.data(), message.data(), &keypair, kAux.data()));
    benchmark::DoNotOptimize(signature);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Secp256k1_Sign_Direct_KeypairPerCall);

}  // namespace
}  // namespace tally::crypto
