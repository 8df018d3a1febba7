// Transactions for the benchmarks: the ten devnet keys, transfers signed up front (in
// parallel, before any timing), and JSON-RPC request bodies for sendrawtransaction.
// Thread-safety: the functions are reentrant; DevnetKeys is immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/keys.h"
#include "ledger/transaction.h"

namespace tally::macro {

inline constexpr std::size_t kDevnetKeys = 10;
inline constexpr std::uint32_t kDevnetChainId = 7077;
inline constexpr ledger::Amount kFee = 1000;

struct DevnetKeys {
  DevnetKeys();  // secret_key[i] = SHA-256("Tally devnet key " + i); checks key 0's address
  std::vector<crypto::SecretKey> secret;
  std::vector<crypto::PublicKey> pub;
  std::vector<crypto::Address> address;
  std::vector<std::string> address_text;  // "tly1..."
};
const DevnetKeys& devnet_keys();

// Signs, for each key k in 0..9 and each nonce in [first_nonce, first_nonce + per_key), a
// transfer of a small amount to a pseudo-random devnet address (seeded: reproducible), fee
// kFee. The result is ordered by (nonce, key): round-robin over the senders, each sender's
// nonces ascending. Uses every core.
std::vector<ledger::Transaction> sign_transfers(std::size_t per_key, std::uint64_t first_nonce = 0,
                                                std::uint32_t seed = 1);

// crypto::schnorr_verify rate of `threads` threads over the first 2,000 of `txs` (message
// hashes computed beforehand; each thread checks all of them), signatures per wall second,
// the best of three passes: the ceiling that signature checking puts on a workload, measured
// in the same run as the workload.
double raw_verify_rate(const std::vector<ledger::Transaction>& txs, unsigned threads);

// 288 hex digits of the encoding.
std::string tx_hex(const ledger::Transaction& tx);
// {"jsonrpc":"2.0","id":id,"method":"sendrawtransaction","params":["hex"]}
std::string send_request(const std::string& hex, std::uint64_t id);
// A JSON-RPC batch of sendrawtransaction calls for txs[begin, end).
std::string send_batch(const std::vector<std::string>& hexes, std::size_t begin, std::size_t end);

}  // namespace tally::macro
