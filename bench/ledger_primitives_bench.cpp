// Ledger primitive micro benchmarks: transaction encode/decode/txid, the Merkle root of a
// block's worth of txids, decoding a full 2,000-transaction block, and the state hash
// update of one changed account (one entry out, one in).
// Rates are items/s: one item = one transaction (or one Merkle leaf); bytes/s where the
// work is proportional to the encoding's size. Inputs come from a fixed seed.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ledger/block.h"
#include "ledger/merkle.h"
#include "ledger/state_hash.h"

namespace tally::ledger {
namespace {

constexpr std::uint64_t kSeed = 0xbe7c4'0001;

template <class Fixed>
Fixed random_fixed(std::mt19937_64& rng) {
  Fixed out;
  for (auto& b : out.bytes) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Field values are random; the signature is random bytes (nothing here verifies it).
Transaction random_tx(std::mt19937_64& rng) {
  Transaction tx;
  tx.chain_id = static_cast<std::uint32_t>(rng());
  tx.sender = random_fixed<PublicKey>(rng);
  tx.recipient = random_fixed<Address>(rng);
  tx.amount = rng();
  tx.fee = rng() % 1000;
  tx.nonce = rng() % 100000;
  tx.signature = random_fixed<Signature>(rng);
  return tx;
}

std::vector<Transaction> random_txs(std::size_t n) {
  std::mt19937_64 rng(kSeed);
  std::vector<Transaction> txs;
  txs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) txs.push_back(random_tx(rng));
  return txs;
}

// Cycling through a pool keeps every iteration on fresh-looking data without timing the
// generation.
constexpr std::size_t kPool = 1024;

void BM_Tx_Encode(benchmark::State& state) {
  const auto txs = random_txs(kPool);
  std::size_t i = 0;
  for (auto _ : state) {
    Bytes enc = txs[i++ % kPool].encode();
    benchmark::DoNotOptimize(enc.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(Transaction::kSize));
}
BENCHMARK(BM_Tx_Encode);

void BM_Tx_Decode(benchmark::State& state) {
  std::vector<Bytes> encoded;
  for (const Transaction& tx : random_txs(kPool)) encoded.push_back(tx.encode());
  std::size_t i = 0;
  for (auto _ : state) {
    auto tx = Transaction::decode(ByteSpan(encoded[i++ % kPool]));
    benchmark::DoNotOptimize(tx);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(Transaction::kSize));
}
BENCHMARK(BM_Tx_Decode);

void BM_Tx_Txid(benchmark::State& state) {
  const auto txs = random_txs(kPool);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(txs[i++ % kPool].txid());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(Transaction::kSize));
}
BENCHMARK(BM_Tx_Txid);

void BM_Merkle_Root_1000(benchmark::State& state) {
  constexpr std::size_t kLeaves = 1000;
  std::mt19937_64 rng(kSeed);
  std::vector<TxId> ids(kLeaves);
  for (auto& id : ids) id = random_fixed<TxId>(rng);
  for (auto _ : state) benchmark::DoNotOptimize(merkle_root(ids));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLeaves));
}
BENCHMARK(BM_Merkle_Root_1000);

void BM_Block_Decode_2000(benchmark::State& state) {
  constexpr std::size_t kTxs = 2000;
  Block block;
  block.header.height = 1;
  block.txs = random_txs(kTxs);
  block.header.tx_root = block.compute_tx_root();
  const Bytes enc = block.encode();
  for (auto _ : state) {
    auto decoded = Block::decode(enc, kMaxBlockTxsDecode);
    if (!decoded || decoded->txs.size() != kTxs) {
      state.SkipWithError("block failed to decode");
      break;
    }
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kTxs));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(enc.size()));
}
BENCHMARK(BM_Block_Decode_2000);

void BM_StateHash_Update(benchmark::State& state) {
  std::mt19937_64 rng(kSeed);
  std::vector<Address> addresses;
  for (std::size_t i = 0; i < kPool; ++i) addresses.push_back(random_fixed<Address>(rng));
  StateHash lanes;
  std::uint64_t n = 0;
  for (auto _ : state) {
    const Address& a = addresses[n % kPool];
    lanes.update(a, Account{1'000'000 - n, n}, Account{999'000 - n, n + 1});
    ++n;
  }
  benchmark::DoNotOptimize(lanes);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StateHash_Update);

}  // namespace
}  // namespace tally::ledger
