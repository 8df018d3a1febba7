// Honest block intervals from the first block: the devnet's starting target chosen from this
// machine's measured hash rate, so that a devnet asked for T-second blocks gets them at once
// instead of racing at the spec's easy genesis target until ASERT (half-life 120 s on the
// devnet spec) catches up.
//
// Pure functions apart from measure_hash_rate_per_thread, which hashes on the caller's
// thread for the given time. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace tally::devnet {

// Hashes per second of one thread of the node's own nonce search (ledger::search_nonce_counted,
// the code tallyd's miner runs), measured on the calling thread for about `duration`: the best
// of eight short windows, as a miner that runs for minutes gets a core more often than a
// single short window on a busy machine shows.
double measure_hash_rate_per_thread(std::chrono::milliseconds duration);

// ASERT half-life for a calibrated devnet: the spec's, but at most 10 block intervals (at
// least 10 s). What calibration misses (a 2-core machine's rate changes twofold with its
// load) ASERT corrects, but its chain settles half_life * log2(error) seconds ahead of
// schedule: 10 intervals keep a twofold error to 10 blocks early, not the 120 s half-life's
// 120.
std::int64_t calibrated_half_life_s(std::int64_t spec_half_life_s, std::int64_t interval_s);

// Mining threads that actually run at once: the devnet's miner threads, at most one per core.
double effective_mining_threads(unsigned miner_threads, unsigned cores);

// The compact target at which `hashes_per_s` finds a block every `interval_s` seconds on
// average (2^256 / (hashes_per_s * interval_s) - 1), never easier than `pow_limit_bits`.
std::uint32_t bits_for_interval(double hashes_per_s, double interval_s, std::uint32_t pow_limit_bits);

}  // namespace tally::devnet
