// Proof-of-work arithmetic: compact targets, work, the PoW check and the ASERT target rule.
// Pure functions over 256-bit integers (Boost.Multiprecision); thread-safe.
#pragma once

#include <boost/multiprecision/cpp_int.hpp>
#include <cstdint>
#include <optional>

#include "crypto/bytes.h"

namespace tally::ledger {

using Uint256 = boost::multiprecision::uint256_t;

// Bitcoin's "nBits" form: exponent byte, 23-bit mantissa, sign bit. Returns nullopt for a
// negative, zero or overflowing encoding.
std::optional<Uint256> target_from_compact(std::uint32_t bits);
// Shortest compact form of a (positive) target, rounding down like Bitcoin's GetCompact.
std::uint32_t compact_from_target(const Uint256& target);

// The block hash read as a big-endian 256-bit number.
Uint256 hash_to_uint(const crypto::Hash256& hash);
// hash <= target, with target decoded from bits and at most pow_limit.
bool check_proof_of_work(const crypto::Hash256& hash, std::uint32_t bits, const Uint256& pow_limit);
// Expected number of hashes to find a block at this target: 2^256 / (target + 1).
Uint256 work_from_compact(std::uint32_t bits);

struct AsertParams {
  std::uint32_t anchor_bits;    // target of the anchor (genesis) block
  std::int64_t anchor_time;     // time of the anchor block
  std::uint32_t anchor_height;  // height of the anchor block
  std::int64_t interval_s;      // ideal block interval
  std::int64_t half_life_s;     // target doubles/halves per half-life of schedule drift
  Uint256 pow_limit;            // easiest allowed target
};

// Target for the child of a block at (parent_height, parent_time): the anchor's target
// scaled by 2^((parent_time - anchor_time - interval * (parent_height - anchor_height)) /
// half_life), with the fixed-point cubic approximation of BCH's aserti3-2d so every node
// computes the same bits.
std::uint32_t asert_next_bits(const AsertParams& p, std::uint32_t parent_height, std::int64_t parent_time);

}  // namespace tally::ledger
