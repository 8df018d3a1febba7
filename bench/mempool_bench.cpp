// Mempool and miner micro benchmarks.
//   BM_Mempool_Accept          accept() of pre-signed transfers from many senders, signature
//                              verification included (items/s = transactions). Reports
//                              vs_raw_verify: that rate over one core's raw BIP340 verify rate
//                              of the same signatures, measured in the same run (target 0.80).
//   BM_Mempool_Accept_SigChecked  the same without the signature: the pool's own cost.
//   BM_Template_Select         select_for_block of 4,000 from a pool of 20,000 (items/s = txs).
//   BM_NonceSearch_Hashrate    search_nonce over a fixed range with an impossible target, one
//                              thread (items/s = hashes).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "crypto/address.h"
#include "crypto/parsed_key_cache.h"
#include "crypto/sha256.h"
#include "ledger/mempool.h"
#include "ledger/nonce_search.h"

namespace tally::ledger {
namespace {

constexpr std::uint32_t kChainId = 1;
constexpr std::size_t kSenders = 2000;
constexpr std::size_t kTxsPerSender = 10;

ChainSpec bench_spec() {
  ChainSpec spec;
  spec.name = "bench";
  spec.chain_id = kChainId;
  spec.address_prefix = "tly";
  spec.min_fee = 10;
  spec.max_block_txs = 4001;
  return spec;
}

// 20,000 signed transfers: kTxsPerSender consecutive nonces from each of kSenders funded
// senders, with random fees; built once (signing takes a second or so).
struct Workload {
  std::vector<Transaction> txs;  // sender-major, nonce order within a sender
  MapStateView state;
};

const Workload& workload() {
  static const Workload w = [] {
    Workload out;
    std::mt19937_64 rng(42);
    const Address sink = crypto::address_of(crypto::SecretKey::from_bytes(crypto::sha256(Bytes{1, 2, 3}).span())
                                                 ->public_key());
    out.txs.reserve(kSenders * kTxsPerSender);
    for (std::size_t s = 0; s < kSenders; ++s) {
      const std::string seed = "bench-sender-" + std::to_string(s);
      const auto key = crypto::SecretKey::from_bytes(
                           crypto::sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()))
                               .span())
                           .value();
      out.state.accounts[crypto::address_of(key.public_key())] = Account{1'000'000'000, 0};
      for (std::size_t n = 0; n < kTxsPerSender; ++n) {
        out.txs.push_back(make_transfer(key, kChainId, sink, 1000 + rng() % 1000, 10 + rng() % 10'000, n));
      }
    }
    return out;
  }();
  return w;
}

// One core's raw verify rate (per second) over the first `count` transactions' signatures,
// messages hashed beforehand: the best of three passes.
double raw_verify_rate(std::size_t count) {
  const Workload& w = workload();
  std::vector<Hash256> messages;
  for (std::size_t i = 0; i < count; ++i) messages.push_back(w.txs[i].signature_hash());
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    bool ok = true;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i)
      ok &= crypto::schnorr_verify(w.txs[i].sender, messages[i].span(), w.txs[i].signature);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    benchmark::DoNotOptimize(ok);
    best = std::max(best, static_cast<double>(count) / took.count());
  }
  return best;
}

void accept_all(benchmark::State& state, bool signature_checked) {
  const Workload& w = workload();
  const auto count = static_cast<std::size_t>(state.range(0));
  std::chrono::duration<double> accepting{0};
  for (auto _ : state) {
    state.PauseTiming();
    crypto::ParsedKeyCache::shared().clear();  // each pass meets its senders for the first time
    state.ResumeTiming();
    Mempool pool(bench_spec());
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      auto r = pool.accept(w.txs[i], w.state, 0, signature_checked);
      benchmark::DoNotOptimize(r);
    }
    accepting += std::chrono::steady_clock::now() - start;
    if (pool.size() != count) state.SkipWithError("a transaction was rejected");
    state.PauseTiming();
    {
      Mempool drop = std::move(pool);  // destruction is not part of accept
    }
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(count));
  if (!signature_checked) {
    const double raw = raw_verify_rate(count);
    state.counters["raw_verify_per_s"] = raw;
    state.counters["vs_raw_verify"] =
        static_cast<double>(state.iterations()) * static_cast<double>(count) / accepting.count() / raw;
  }
}

void BM_Mempool_Accept(benchmark::State& state) { accept_all(state, false); }
BENCHMARK(BM_Mempool_Accept)->Arg(4000)->Unit(benchmark::kMillisecond);

void BM_Mempool_Accept_SigChecked(benchmark::State& state) { accept_all(state, true); }
BENCHMARK(BM_Mempool_Accept_SigChecked)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_Template_Select(benchmark::State& state) {
  const Workload& w = workload();
  Mempool pool(bench_spec());
  for (const Transaction& tx : w.txs) {
    if (!pool.accept(tx, w.state, 0, true)) {
      state.SkipWithError("a transaction was rejected");
      return;
    }
  }
  const auto max_txs = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto txs = pool.select_for_block(w.state, max_txs);
    if (txs.size() != max_txs) state.SkipWithError("short template");
    benchmark::DoNotOptimize(txs);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(max_txs));
  state.counters["pool_size"] = static_cast<double>(pool.size());
}
BENCHMARK(BM_Template_Select)->Arg(4000)->Unit(benchmark::kMillisecond);

void BM_NonceSearch_Hashrate(benchmark::State& state) {
  BlockHeader header;
  header.height = 12345;
  header.time = 1'700'000'000;
  header.bits = 0x03000001;
  for (std::size_t i = 0; i < 32; ++i) header.prev_hash.bytes[i] = static_cast<std::uint8_t>(i * 7);
  const Uint256 impossible = 0;  // no hash is <= 0 in practice
  const std::atomic<bool> stop{false};
  constexpr std::uint64_t kCount = 1 << 20;
  std::uint32_t first = 0;
  for (auto _ : state) {
    const NonceSearchStats stats = search_nonce_counted(header, first, kCount, impossible, stop);
    benchmark::DoNotOptimize(stats);
    first += static_cast<std::uint32_t>(kCount);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kCount));
}
BENCHMARK(BM_NonceSearch_Hashrate)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tally::ledger
