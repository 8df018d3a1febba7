// Test support for chain tests: a chain spec with a trivial proof-of-work target and
// funded test keys, a fresh store (RocksDB in a temporary directory, or in memory), and
// helpers that assemble and mine blocks. Header-only so every ledger test can use it.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "crypto/sha256.h"
#include "ledger/block_assembler.h"
#include "ledger/chain.h"
#include "ledger/memory_store.h"
#include "ledger/rocksdb_store.h"
#include "support/temp_dir.h"

namespace tally::ledger::testing {

inline crypto::SecretKey test_key(int i) {
  const std::string seed = "tally test key " + std::to_string(i);
  const auto h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  return *crypto::SecretKey::from_bytes(h.span());
}
inline crypto::Address test_address(int i) { return crypto::address_of(test_key(i).public_key()); }

inline constexpr int kFundedKeys = 8;
inline constexpr Amount kInitialBalance = 1'000'000'000;
inline constexpr std::int64_t kGenesisTime = 1'700'000'000;

// Regtest-like: every other hash meets the target, so blocks are mined in microseconds.
inline ChainSpec test_spec() {
  ChainSpec s;
  s.name = "tally-test";
  s.chain_id = 99;
  s.address_prefix = "tlt";
  s.network_magic = 0x54455354;
  s.genesis_time = static_cast<std::uint32_t>(kGenesisTime);
  s.genesis_bits = 0x207fffff;
  s.pow_limit_bits = 0x207fffff;
  s.block_interval_s = 10;
  s.asert_half_life_s = 3600;
  s.subsidy = 5000;
  s.max_block_txs = 1000;
  s.min_fee = 10;
  s.max_future_drift_s = 60;
  s.default_p2p_port = 18000;
  s.default_rpc_port = 18001;
  for (int i = 0; i < kFundedKeys; ++i) s.accounts.push_back(GenesisAccount{test_address(i), kInitialBalance});
  return s;
}

// Increments the nonce until the header meets its target. REQUIRES: an easy target.
inline void mine(Block& block, const ChainSpec& spec) {
  while (!check_proof_of_work(block.header.hash(), block.header.bits, spec.pow_limit())) ++block.header.nonce;
}

using support::TempDir;

enum class StoreKind { kRocksDb, kMemory };
inline const char* store_kind_name(StoreKind kind) { return kind == StoreKind::kRocksDb ? "RocksDb" : "Memory"; }
// For INSTANTIATE_TEST_SUITE_P over StoreKind.
inline std::string store_kind_param_name(const ::testing::TestParamInfo<StoreKind>& info) {
  return store_kind_name(info.param);
}

// A chain on a real RocksDB store in a temporary directory, or on a MemoryStore.
struct ChainHarness {
  explicit ChainHarness(ChainSpec s = test_spec(), ChainOptions options = {}, StoreKind kind = StoreKind::kRocksDb)
      : spec(std::move(s)) {
    if (kind == StoreKind::kRocksDb) {
      store = *RocksDbStore::open((dir.path() / "chain").string(), RocksDbOptions{});
    } else {
      store = std::make_unique<MemoryStore>();
    }
    auto c = Chain::open(spec, *store, options);
    if (!c) ADD_FAILURE() << c.error().message;
    chain = std::move(*c);
  }

  // Next block on the current tip with these transfers, mined; time advances one interval.
  Block make_block(std::vector<Transaction> txs, int miner = 0) {
    const std::int64_t t = static_cast<std::int64_t>(chain->tip().header.time) + spec.block_interval_s;
    auto b = assemble_block(*chain, std::move(txs), test_address(miner), t);
    if (!b) ADD_FAILURE() << "assemble_block: " << b.error().message();
    mine(*b, spec);
    return *b;
  }
  // A block on an arbitrary parent (for forks), assembled without a state root check.
  BlockAcceptResult add(const Block& b) {
    auto r = chain->accept_block(b, now());
    if (!r) ADD_FAILURE() << "accept_block: " << r.error().message;
    return r ? std::move(*r) : BlockAcceptResult{};
  }
  std::int64_t now() const { return static_cast<std::int64_t>(chain->tip().header.time) + 3600; }
  Transaction transfer(int from, int to, Amount amount, Amount fee, std::uint64_t nonce) const {
    return make_transfer(test_key(from), spec.chain_id, test_address(to), amount, fee, nonce);
  }
  Account account(int i) const { return *chain->account(test_address(i)); }

  ChainSpec spec;
  TempDir dir;  // holds the RocksDB store's files (empty for a MemoryStore)
  std::unique_ptr<Store> store;
  std::unique_ptr<Chain> chain;
};

}  // namespace tally::ledger::testing
