// Chain benchmarks: connecting blocks of 2,000 signed transfers with 1 and 2 signature
// verification threads (and with every signature already checked, as for relayed blocks), next to the raw BIP340 verify rate of 1 and 2 threads measured in
// the same run, and the RocksDB commit of a block-sized write batch.
//
// Target: a block connect on 2 threads reaches at least 80% of two cores' raw verify rate.
// Each connect benchmark reports that ratio as the counter `vs_raw_verify` (against the
// raw rate of the same thread count; measured here if the raw benchmark was filtered out).
// Rates are items/s of wall-clock time: one item = one transaction (or one verification,
// or one key written).
#include <benchmark/benchmark.h>

#include <optional>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/parsed_key_cache.h"
#include "crypto/sha256.h"
#include "ledger/block_assembler.h"
#include "ledger/chain.h"
#include "ledger/chain_records.h"
#include "ledger/rocksdb_store.h"
#include "support/temp_dir.h"

namespace tally::ledger {
namespace {

constexpr std::size_t kTxsPerBlock = 2000;
constexpr std::size_t kBlocks = 3;  // connected in order onto a fresh chain, then again
constexpr Amount kBalance = 1'000'000'000;
constexpr std::int64_t kGenesisTime = 1'700'000'000;

crypto::SecretKey bench_key(std::size_t i) {
  const std::string seed = "tally bench key " + std::to_string(i);
  const auto h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  return *crypto::SecretKey::from_bytes(h.span());
}

// Recipients are addresses nobody holds a key for: each transfer changes two accounts.
Address recipient(std::size_t i) {
  const std::string seed = "tally bench recipient " + std::to_string(i);
  const auto h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  return Address::from_span(h.span().first(Address::kSize));
}

// A regtest-like spec (every other hash meets the target) with 2,000 funded senders.
struct Workload {
  ChainSpec spec;
  std::vector<crypto::SecretKey> keys;
  std::vector<Block> blocks;  // kBlocks blocks of kTxsPerBlock transfers, each on the last
  std::string error;          // set when building failed
};

const Workload& workload() {
  static const Workload w = [] {
    Workload out;
    ChainSpec& s = out.spec;
    s.name = "tally-bench";
    s.chain_id = 98;
    s.address_prefix = "tlb";
    s.network_magic = 0x42454e43;
    s.genesis_time = static_cast<std::uint32_t>(kGenesisTime);
    s.genesis_bits = 0x207fffff;
    s.pow_limit_bits = 0x207fffff;
    s.block_interval_s = 10;
    s.asert_half_life_s = 3600;
    s.subsidy = 5000;
    s.max_block_txs = 4096;
    s.min_fee = 10;
    s.max_future_drift_s = 60;
    s.default_p2p_port = 18100;
    s.default_rpc_port = 18101;
    for (std::size_t i = 0; i < kTxsPerBlock; ++i) {
      out.keys.push_back(bench_key(i));
      s.accounts.push_back(GenesisAccount{crypto::address_of(out.keys.back().public_key()), kBalance});
    }
    std::vector<PublicKey> public_keys;
    for (const auto& k : out.keys) public_keys.push_back(k.public_key());

    // Build the blocks on a chain of their own, so each one's state root is right.
    auto dir = support::TempDir::create("tally-bench");
    if (!dir) return out.error = dir.error(), out;
    auto store = RocksDbStore::open((*dir / "builder").string(), RocksDbOptions{});
    if (!store) return out.error = store.error().message, out;
    auto chain = Chain::open(s, **store, ChainOptions{.verify_threads = 2});
    if (!chain) return out.error = chain.error().message, out;
    for (std::size_t b = 0; b < kBlocks; ++b) {
      std::vector<Transaction> txs;
      txs.reserve(kTxsPerBlock);
      for (std::size_t i = 0; i < kTxsPerBlock; ++i) {
        Transaction tx;
        tx.chain_id = s.chain_id;
        tx.sender = public_keys[i];
        tx.recipient = recipient(i + b * kTxsPerBlock);
        tx.amount = 1000 + i;
        tx.fee = s.min_fee + i % 7;
        tx.nonce = b;
        tx.signature = out.keys[i].sign(tx.signature_hash().span());
        txs.push_back(tx);
      }
      const std::int64_t t = static_cast<std::int64_t>((*chain)->tip().header.time) + s.block_interval_s;
      auto block = assemble_block(**chain, std::move(txs), recipient(1'000'000), t);
      if (!block) return out.error = "assemble_block: " + block.error().message(), out;
      while (!check_proof_of_work(block->header.hash(), block->header.bits, s.pow_limit())) ++block->header.nonce;
      auto r = (*chain)->accept_block(*block, t + 3600);
      if (!r || (*chain)->tip().hash != block->hash()) return out.error = "builder chain refused a block", out;
      out.blocks.push_back(std::move(*block));
    }
    return out;
  }();
  return w;
}

// ---------------------------------------------------------------------------------------
// Raw BIP340 verification of the same signatures, 1 and 2 threads.

struct SignedItem {
  PublicKey key;
  Hash256 message;
  Signature signature;
};

const std::vector<SignedItem>& signed_items() {
  static const std::vector<SignedItem> items = [] {
    std::vector<SignedItem> out;
    const Workload& w = workload();
    if (w.blocks.empty()) return out;
    for (std::size_t i = 1; i < w.blocks[0].txs.size(); ++i) {
      const Transaction& tx = w.blocks[0].txs[i];
      out.push_back(SignedItem{tx.sender, tx.signature_hash(), tx.signature});
    }
    return out;
  }();
  return items;
}

bool verify_range(const std::vector<SignedItem>& items, std::size_t begin, std::size_t end) {
  bool ok = true;
  for (std::size_t i = begin; i < end; ++i)
    ok &= crypto::schnorr_verify(items[i].key, items[i].message.span(), items[i].signature);
  return ok;
}

// Verifies every item on `threads` threads (the caller is one), in disjoint contiguous parts.
bool verify_all(const std::vector<SignedItem>& items, unsigned threads) {
  std::vector<std::thread> helpers;
  std::vector<char> ok(threads, 1);
  const std::size_t part = (items.size() + threads - 1) / threads;
  for (unsigned t = 1; t < threads; ++t)
    helpers.emplace_back([&, t] {
      ok[t] = verify_range(items, t * part, std::min(items.size(), (t + 1) * part));
    });
  ok[0] = verify_range(items, 0, std::min(items.size(), part));
  for (auto& h : helpers) h.join();
  return std::all_of(ok.begin(), ok.end(), [](char c) { return c != 0; });
}

// Raw verify rate (per second, wall clock) by thread count, as measured in this run.
std::map<unsigned, double>& raw_verify_rates() {
  static std::map<unsigned, double> rates;
  return rates;
}

double measured_rate(unsigned threads) {
  auto& rates = raw_verify_rates();
  if (auto it = rates.find(threads); it != rates.end()) return it->second;
  // The raw benchmark did not run (filtered out): best of three passes here.
  const auto& items = signed_items();
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(verify_all(items, threads));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best = std::max(best, static_cast<double>(items.size()) / took.count());
  }
  return rates[threads] = best;
}

void raw_verify(benchmark::State& state, unsigned threads) {
  const Workload& w = workload();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  const auto& items = signed_items();
  if (!verify_all(items, threads)) return state.SkipWithError("a signature does not verify");
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) benchmark::DoNotOptimize(verify_all(items, threads));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  const auto n = static_cast<std::int64_t>(items.size());
  state.SetItemsProcessed(state.iterations() * n);
  // Kept for the connect benchmarks' ratio (the last repetition wins).
  raw_verify_rates()[threads] = static_cast<double>(state.iterations() * n) / took.count();
}

void BM_RawSchnorrVerify_1Thread(benchmark::State& state) { raw_verify(state, 1); }
BENCHMARK(BM_RawSchnorrVerify_1Thread)->Unit(benchmark::kMillisecond)->UseRealTime();
void BM_RawSchnorrVerify_2Threads(benchmark::State& state) { raw_verify(state, 2); }
BENCHMARK(BM_RawSchnorrVerify_2Threads)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------------------
// Connecting blocks: Chain::accept_block of each prebuilt block in turn onto a fresh chain.

// A chain on a RocksDB store of its own in a temporary directory.
struct FreshChain {
  std::optional<support::TempDir> dir;  // members are destroyed chain first, directory last
  std::unique_ptr<RocksDbStore> store;
  std::unique_ptr<Chain> chain;
  std::string error;

  // Closes the current chain and opens a new one at genesis; false (and error) on failure.
  bool reset(const ChainSpec& spec, const ChainOptions& options) {
    chain.reset();
    store.reset();
    dir.reset();
    auto made = support::TempDir::create("tally-bench");
    if (!made) return error = made.error(), false;
    dir = std::move(*made);
    auto s = RocksDbStore::open((*dir / "chain").string(), RocksDbOptions{});
    if (!s) return error = s.error().message, false;
    store = std::move(*s);
    auto c = Chain::open(spec, *store, options);
    if (!c) return error = c.error().message, false;
    chain = std::move(*c);
    return true;
  }
};

void BM_Chain_Connect_Block2000(benchmark::State& state) {
  const Workload& w = workload();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  const auto threads = static_cast<unsigned>(state.range(0));
  const ChainOptions options{.tx_index = state.range(1) != 0, .address_index = state.range(1) != 0,
                             .verify_threads = threads};
  FreshChain fresh;
  std::size_t next = kBlocks;
  std::chrono::duration<double> connecting{0};  // the timed part, for the ratio
  for (auto _ : state) {
    if (next == kBlocks) {
      state.PauseTiming();
      if (!fresh.reset(w.spec, options)) return state.SkipWithError(fresh.error.c_str());
      // A fresh node has parsed none of the senders' keys: the first block starts cold.
      crypto::ParsedKeyCache::shared().clear();
      next = 0;
      state.ResumeTiming();
    }
    const Block& block = w.blocks[next++];
    const auto start = std::chrono::steady_clock::now();
    auto r = fresh.chain->accept_block(block, static_cast<std::int64_t>(block.header.time) + 3600);
    connecting += std::chrono::steady_clock::now() - start;
    if (!r || fresh.chain->tip().hash != block.hash()) return state.SkipWithError("a block did not connect");
  }
  const double txs = static_cast<double>(state.iterations()) * static_cast<double>(kTxsPerBlock);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kTxsPerBlock));
  const double raw = measured_rate(threads);
  state.counters["raw_verify_per_s"] = raw;
  state.counters["vs_raw_verify"] = txs / connecting.count() / raw;
}
BENCHMARK(BM_Chain_Connect_Block2000)
    ->ArgNames({"threads", "indexes"})
    ->Args({1, 1})
    ->Args({2, 1})
    ->Args({2, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same blocks when every signature was already checked (note_verified, as the mempool
// does for the transactions it accepted): what a relayed block costs a node besides
// verification, indexes on.
void BM_Chain_Connect_Block2000_SignaturesKnown(benchmark::State& state) {
  const Workload& w = workload();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  FreshChain fresh;
  std::size_t next = kBlocks;
  for (auto _ : state) {
    if (next == kBlocks) {
      state.PauseTiming();
      if (!fresh.reset(w.spec, ChainOptions{.verify_threads = 2})) return state.SkipWithError(fresh.error.c_str());
      for (const Block& b : w.blocks)
        for (std::size_t i = 1; i < b.txs.size(); ++i) fresh.chain->note_verified(b.txs[i].txid());
      next = 0;
      state.ResumeTiming();
    }
    const Block& block = w.blocks[next++];
    auto r = fresh.chain->accept_block(block, static_cast<std::int64_t>(block.header.time) + 3600);
    if (!r || fresh.chain->tip().hash != block.hash()) return state.SkipWithError("a block did not connect");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kTxsPerBlock));
}
BENCHMARK(BM_Chain_Connect_Block2000_SignaturesKnown)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---------------------------------------------------------------------------------------
// RocksDB commit of a write batch shaped like a 2,000-transfer block's connect: 4,000
// account puts, the undo record, 2,000 tx index and 4,000 address history records, the
// block index record, the tip and the state lanes.

WriteBatch block_batch(std::size_t block_number) {
  WriteBatch batch;
  std::vector<UndoEntry> undo;
  const BlockHash block = crypto::sha256d(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(&block_number),
                                                          sizeof block_number));
  const Workload& w = workload();
  for (std::size_t i = 0; i < kTxsPerBlock; ++i) {
    const Address sender = w.spec.accounts[i].address;
    const Address to = recipient(i);
    batch.put(Column::kState, sender.span(), encode_account(Account{kBalance - 1000 * block_number, block_number}));
    batch.put(Column::kState, to.span(), encode_account(Account{1000 * block_number, 0}));
    undo.push_back(UndoEntry{sender, Account{kBalance, block_number}});
    undo.push_back(UndoEntry{to, Account{}});
  }
  batch.put(Column::kUndo, block.span(), encode_undo(undo));
  for (std::uint32_t i = 0; i < kTxsPerBlock; ++i) {
    std::uint64_t seed[2] = {block_number, i};
    const TxId txid = crypto::sha256d(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed), sizeof seed));
    const auto height = static_cast<std::uint32_t>(block_number + 1);
    batch.put(Column::kTxIndex, txid.span(), encode_tx_location(TxLocation{block, i + 1}));
    batch.put(Column::kAddressHistory, address_history_key(w.spec.accounts[i].address, height, i + 1), txid.span());
    batch.put(Column::kAddressHistory, address_history_key(recipient(i), height, i + 1), txid.span());
  }
  IndexRecord rec;
  rec.header.height = static_cast<std::uint32_t>(block_number + 1);
  rec.status = kStatusHaveData | kStatusValid;
  batch.put(Column::kBlockIndex, block.span(), encode_index_record(rec));
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kTip), block.span());
  const std::vector<std::uint8_t> lanes(StateHash::kLanes * 2, static_cast<std::uint8_t>(block_number));
  batch.put(Column::kMeta, meta_key::bytes(meta_key::kStateLanes), lanes);
  return batch;
}

void BM_RocksDb_WriteBatch_Block(benchmark::State& state) {
  const Workload& w = workload();
  if (!w.error.empty()) return state.SkipWithError(w.error.c_str());
  constexpr std::size_t kBatches = 8;  // new tx keys for 8 blocks, then overwrites
  std::vector<WriteBatch> batches;
  for (std::size_t b = 0; b < kBatches; ++b) batches.push_back(block_batch(b));
  auto dir = support::TempDir::create("tally-bench");
  if (!dir) return state.SkipWithError(dir.error().c_str());
  auto store = RocksDbStore::open((*dir / "chain").string(), RocksDbOptions{});
  if (!store) return state.SkipWithError(store.error().message.c_str());
  std::size_t next = 0;
  for (auto _ : state) {
    if (!(*store)->write(batches[next++ % kBatches])) return state.SkipWithError("write failed");
  }
  const auto keys = static_cast<std::int64_t>(batches[0].ops().size());
  state.SetItemsProcessed(state.iterations() * keys);
  state.counters["keys_per_batch"] = static_cast<double>(keys);
}
BENCHMARK(BM_RocksDb_WriteBatch_Block)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tally::ledger
