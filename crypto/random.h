// Cryptographically secure randomness from the operating system (getrandom(2)).
// Only edges use this: sans-I/O cores take an injected seed instead.
#pragma once

#include <cstdint>

#include "crypto/bytes.h"

namespace tally::crypto {

// Fills `out` with OS randomness. Aborts the process if the OS cannot supply it:
// continuing with weak keys would be worse than stopping.
void random_bytes(std::span<std::uint8_t> out);
std::uint64_t random_u64();

}  // namespace tally::crypto
