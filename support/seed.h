// The seed of a randomized test or benchmark: TALLY_SEED when set (so a printed failure can
// be replayed), else fresh randomness. Print `trace` with the result (SCOPED_TRACE) so every
// failure says how to reproduce it. Thread-safe (reads the environment only).
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace tally::support {

inline constexpr const char* kSeedVariable = "TALLY_SEED";

struct Seed {
  std::uint64_t value = 0;
  std::string trace;  // "TALLY_SEED=<value>", what to set to replay the run
};

// TALLY_SEED (decimal, or hex with 0x) when set and non-empty, else 64 bits from
// std::random_device. A TALLY_SEED that is not a number is an error naming it.
[[nodiscard]] std::expected<Seed, std::string> test_seed();

}  // namespace tally::support
