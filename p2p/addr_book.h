// The address book: peers this node may connect to, in a "new" table (heard of) and a
// "tried" table (connected to successfully). New addresses land in buckets chosen by a keyed
// hash of the source's group and the address's group, so one source can only fill a few
// buckets; tried ones by a keyed hash of the address. Failing addresses back off
// exponentially. Sans-I/O: time and randomness come from the caller. Not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <expected>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "p2p/messages.h"

namespace tally::p2p {

struct AddrInfo {
  NetAddress address;
  NetAddress source;
  std::uint32_t last_seen_s = 0;     // as gossiped
  std::int64_t last_try_ms = 0;      // our last connection attempt
  std::int64_t last_success_ms = 0;  // our last successful handshake
  std::uint32_t attempts = 0;        // failures since the last success
  bool tried = false;
  // The listener's node key, when known: dials then authenticate it (Noise XK). Verified: it
  // came from a completed handshake of our own dial there; otherwise it was heard (gossip, or
  // an inbound peer's claim about its own listen port) and is dropped when a dial fails.
  std::optional<crypto::CompressedPublicKey> node_key;
  bool key_verified = false;
};

// Hash of an endpoint for unordered containers: salted (crypto/salted_hash.h), as peers
// choose the endpoints they gossip.
struct NetAddressHash {
  std::size_t operator()(const NetAddress& a) const noexcept {
    std::uint8_t bytes[18];
    std::memcpy(bytes, a.ip.data(), 16);
    bytes[16] = static_cast<std::uint8_t>(a.port >> 8);
    bytes[17] = static_cast<std::uint8_t>(a.port);
    return static_cast<std::size_t>(crypto::salted_hash(crypto::ByteSpan(bytes, sizeof bytes)));
  }
};

class AddrBook {
 public:
  using Entries = std::unordered_map<NetAddress, AddrInfo, NetAddressHash>;
  static constexpr std::size_t kNewBuckets = 64;
  static constexpr std::size_t kTriedBuckets = 32;
  static constexpr std::size_t kBucketSize = 64;

  // key: secret bucketing key (random per node, persisted with the book).
  explicit AddrBook(std::uint64_t key);

  // Adds (or refreshes) an address heard from `source`, with the node key heard with it. A
  // known entry keeps its key: a heard key only fills an empty one, so gossip cannot replace
  // a key. False when it was not added (unroutable port 0, bucket slot taken by a better
  // entry, ...).
  bool add(const NetAddress& address, const NetAddress& source, std::uint32_t last_seen_s,
           const std::optional<crypto::CompressedPublicKey>& node_key = std::nullopt);
  // Handshake succeeded: moves the address to the tried table. `node_key`: the key the
  // listener proved in the handshake of our dial, which replaces any heard one.
  void mark_good(const NetAddress& address, std::int64_t now_ms,
                 const std::optional<crypto::CompressedPublicKey>& node_key = std::nullopt);
  // Connection attempt started / failed. A failed dial also drops a key that was only heard
  // (a wrong one would make every authenticated dial fail); the next dial learns the key.
  void mark_attempt(const NetAddress& address, std::int64_t now_ms);
  void mark_failed(const NetAddress& address, std::int64_t now_ms);

  // An address to connect to that is not in `exclude` and not backing off, or nullopt.
  std::optional<NetAddress> select(std::int64_t now_ms, std::mt19937_64& rng,
                                   const std::vector<NetAddress>& exclude) const;
  // Up to max random addresses for a getaddr answer, with their keys (freshest first is not
  // required).
  std::vector<AddrEntry> sample(std::size_t max, std::mt19937_64& rng) const;

  std::size_t size() const { return entries_.size(); }
  std::size_t tried_count() const;
  const AddrInfo* find(const NetAddress& address) const;

  // Persistence (the node writes these bytes to peers.dat in the datadir).
  crypto::Bytes serialize() const;
  [[nodiscard]] static std::expected<AddrBook, std::string> deserialize(crypto::ByteSpan bytes);

  // Backoff before retrying an address after `attempts` failures.
  static std::int64_t backoff_ms(std::uint32_t attempts);

 private:
  std::uint64_t key_;
  Entries entries_;
  // bucket -> slot -> address (port 0 when empty)
  std::vector<std::vector<NetAddress>> new_table_;
  std::vector<std::vector<NetAddress>> tried_table_;
};

// Group used for bucketing: /16 for IPv4, /32 for IPv6, and the whole endpoint for loopback
// (on one machine every port is a different node).
std::string address_group(const NetAddress& a);

}  // namespace tally::p2p
