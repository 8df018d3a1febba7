// Salted hashes for hash tables keyed by values a peer chooses (block hashes, txids,
// endpoints): SipHash-2-4 (crypto/siphash.h, Crypto++) under one process-wide key. A peer
// that does not know the key cannot choose keys that land in one bucket (a hash flood).
// tallyd draws the key from the OS at first use. A simulator, whose peers are all its own
// honest cores, may turn the salt off (use_unsalted_hash): the first 8 bytes of a hash, as
// before salting, deterministic and far cheaper than SipHash.
//
// Threading: salted_hash may be called from any thread. set_hash_salt must be called before
// any other thread runs and before any table hashed with the old key exists.
#pragma once

#include <cstdint>

#include "crypto/bytes.h"
#include "crypto/siphash.h"

namespace tally::crypto {

// The 64-bit SipHash-2-4 of data under the process-wide key (declared in crypto/bytes.h for
// std::hash of hashes).
// std::uint64_t salted_hash(ByteSpan data) noexcept;

// From now on, hashes (inputs of 20 or 32 bytes) hash to their first 8 bytes and other
// inputs to boost::hash_range of their bytes: no salt, no defence against crafted keys, for
// processes that hold no connection to anyone (tally-sim).
void use_unsalted_hash();

// Replaces the process-wide key.
void set_hash_salt(const SipHashKey& key);

// A key derived from a seed (SHA-256 of a tag and the seed): for simulators and tests.
SipHashKey hash_salt_from_seed(std::uint64_t seed);

}  // namespace tally::crypto
