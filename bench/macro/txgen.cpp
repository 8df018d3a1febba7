#include "bench/macro/txgen.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "bench/macro/harness.h"
#include "crypto/address.h"
#include "crypto/hex.h"
#include "crypto/sha256.h"

namespace tally::macro {

DevnetKeys::DevnetKeys() {
  for (std::size_t i = 0; i < kDevnetKeys; ++i) {
    const std::string seed = "Tally devnet key " + std::to_string(i);
    const auto h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
    auto key = crypto::SecretKey::from_bytes(h.span());
    if (!key) throw BenchError("devnet key " + std::to_string(i) + " is not a valid secret key");
    secret.push_back(*key);
    pub.push_back(key->public_key());
    address.push_back(crypto::address_of(pub.back()));
    address_text.push_back(crypto::encode_address(address.back(), "tly"));
  }
  // genesis/devnet.json funds exactly these; a mismatch would make every benchmark fail later.
  if (address_text[0] != "tly189dszrs398h8y6d7w2zdkjq7qpu7qt5t0673y2")
    throw BenchError("devnet key 0 derives " + address_text[0] + ", not the address funded by genesis/devnet.json");
}

const DevnetKeys& devnet_keys() {
  static const DevnetKeys keys;
  return keys;
}

std::vector<ledger::Transaction> sign_transfers(std::size_t per_key, std::uint64_t first_nonce, std::uint32_t seed) {
  const DevnetKeys& keys = devnet_keys();
  const std::size_t total = per_key * kDevnetKeys;
  std::vector<ledger::Transaction> out(total);
  // Recipients and amounts are drawn up front so the result does not depend on the threads.
  std::vector<std::uint8_t> to(total);
  std::vector<ledger::Amount> amount(total);
  std::mt19937 rng(seed);
  for (std::size_t i = 0; i < total; ++i) {
    to[i] = static_cast<std::uint8_t>(rng() % kDevnetKeys);
    amount[i] = 1 + rng() % 1000;
  }
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (std::size_t i = t; i < total; i += threads) {
        const std::size_t key = i % kDevnetKeys;
        const std::uint64_t nonce = first_nonce + i / kDevnetKeys;
        out[i] = ledger::make_transfer(keys.secret[key], kDevnetChainId, keys.address[to[i]], amount[i], kFee, nonce);
      }
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

std::string tx_hex(const ledger::Transaction& tx) {
  const auto bytes = tx.encode();
  return crypto::to_hex(crypto::ByteSpan(bytes.data(), bytes.size()));
}

std::string send_request(const std::string& hex, std::uint64_t id) {
  std::string s;
  s.reserve(hex.size() + 90);
  s += R"({"jsonrpc":"2.0","id":)";
  s += std::to_string(id);
  s += R"(,"method":"sendrawtransaction","params":[")";
  s += hex;
  s += R"("]})";
  return s;
}

std::string send_batch(const std::vector<std::string>& hexes, std::size_t begin, std::size_t end) {
  std::string s = "[";
  for (std::size_t i = begin; i < end; ++i) {
    if (i != begin) s += ',';
    s += send_request(hexes[i], i);
  }
  s += ']';
  return s;
}

}  // namespace tally::macro

namespace tally::macro {

double raw_verify_rate(const std::vector<ledger::Transaction>& txs, unsigned threads) {
  constexpr std::size_t kSamples = 2000;
  const std::size_t n = std::min(kSamples, txs.size());
  if (n == 0 || threads == 0) return 0;
  std::vector<crypto::Hash256> msgs;
  for (std::size_t i = 0; i < n; ++i) msgs.push_back(txs[i].signature_hash());
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    std::atomic<std::size_t> ok{0};
    const auto t0 = std::chrono::steady_clock::now();
    {
      std::vector<std::jthread> workers;
      for (unsigned t = 0; t < threads; ++t)
        workers.emplace_back([&] {
          std::size_t mine = 0;
          for (std::size_t i = 0; i < n; ++i)
            mine += crypto::schnorr_verify(txs[i].sender, msgs[i].span(), txs[i].signature) ? 1 : 0;
          ok += mine;
        });
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ok != n * threads) throw BenchError("raw verify: a signature did not verify");
    best = std::max(best, static_cast<double>(n * threads) / s);
  }
  return best;
}

}  // namespace tally::macro
