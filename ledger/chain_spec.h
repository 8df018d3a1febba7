// A chain specification: every consensus parameter of a chain and its prefunded accounts,
// loaded from JSON (genesis/*.json) with strict validation, plus the genesis block it
// defines. Immutable after loading; safe to share between threads.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/account.h"
#include "ledger/block.h"
#include "ledger/pow.h"

namespace tally::ledger {

struct GenesisAccount {
  crypto::Address address;
  Amount balance = 0;
};

struct ChainSpec {
  std::string name;
  std::uint32_t chain_id = 0;
  std::string address_prefix;          // bech32m human-readable part, e.g. "tly"
  std::uint32_t network_magic = 0;     // first 4 bytes of every P2P frame
  std::uint32_t genesis_time = 0;      // seconds since the Unix epoch
  std::uint32_t genesis_bits = 0;      // compact target of the genesis (ASERT anchor)
  std::uint32_t pow_limit_bits = 0;    // easiest target any block may have
  std::int64_t block_interval_s = 0;   // ASERT's ideal spacing
  std::int64_t asert_half_life_s = 0;  // ASERT's half-life
  Amount subsidy = 0;                  // new coins per block
  std::uint32_t max_block_txs = 0;     // including the coinbase
  Amount min_fee = 0;                  // per transaction
  std::int64_t max_future_drift_s = 0; // header time may lead the node's clock by this much
  std::uint16_t default_p2p_port = 0;
  std::uint16_t default_rpc_port = 0;
  std::vector<GenesisAccount> accounts;

  Uint256 pow_limit() const;
  // ASERT is anchored at block 1 (its target is genesis_bits), so a devnet started long after
  // genesis_time does not begin at the easiest target. Height >= 2 uses these params.
  AsertParams asert_params(std::int64_t block1_time) const;
  // Hash of every consensus parameter; the genesis header's prev_hash, so that two specs
  // that differ in any rule have different genesis hashes.
  crypto::Hash256 params_hash() const;
  Block genesis_block() const;
  BlockHash genesis_hash() const { return genesis_block().hash(); }
  Amount total_supply_at_genesis() const;
};

// Parses and validates a chain spec. Errors name the offending field, e.g.
// "accounts[3].address: address checksum does not match (typo?)".
[[nodiscard]] std::expected<ChainSpec, std::string> parse_chain_spec(std::string_view json);
[[nodiscard]] std::expected<ChainSpec, std::string> load_chain_spec_file(const std::string& path);

}  // namespace tally::ledger
