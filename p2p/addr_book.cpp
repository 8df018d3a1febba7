#include "p2p/addr_book.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string_view>
#include <unordered_set>

#include "crypto/sha256.h"

namespace tally::p2p {
namespace {

// A bucket is allocated on its first write (most of a small book's buckets stay empty); an
// empty slot holds port 0 (never routable).
using Table = std::vector<std::vector<NetAddress>>;

// How many groups of addresses one source group can spread over, as in Bitcoin Core's
// addrman (64 of 1024 buckets there): a single source can fill at most this many buckets.
constexpr std::uint64_t kNewBucketsPerSourceGroup = 8;
constexpr int kRandomPicks = 200;
constexpr std::int64_t kBackoffBaseMs = 2'000;
constexpr std::int64_t kBackoffMaxMs = 10 * 60 * 1'000;
// Version 2 adds the node key; version 1 files (no keys) still load.
constexpr std::uint8_t kSerialVersion = 2;
// ip 16 | port 2 | source ip 16 | source port 2 | last_seen 4 | last_success 8 | attempts 4 | tried 1
constexpr std::size_t kSerializedEntrySizeV1 = 53;
// v2: v1 | key flags 1 (bit 0 key present, bit 1 verified) | node key 33 when present
constexpr std::size_t kSerializedEntrySize = kSerializedEntrySizeV1 + 1;
constexpr std::uint8_t kKeyPresent = 1;
constexpr std::uint8_t kKeyVerified = 2;
constexpr std::size_t kCapacity = (AddrBook::kNewBuckets + AddrBook::kTriedBuckets) * AddrBook::kBucketSize;

// Keyed hash: the first 8 bytes (little-endian) of SHA-256(key || tag || fields). Fields are
// length-prefixed by the callers' encoding, so different inputs never concatenate alike.
class KeyedHash {
 public:
  KeyedHash(std::uint64_t key, char tag) {
    w_.u64(key);
    w_.u8(static_cast<std::uint8_t>(tag));
  }
  KeyedHash& str(std::string_view s) {
    w_.var_bytes(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    return *this;
  }
  KeyedHash& num(std::uint64_t v) {
    w_.u64(v);
    return *this;
  }
  KeyedHash& addr(const NetAddress& a) {
    w_.bytes(a.ip);
    w_.u16(a.port);
    return *this;
  }
  std::uint64_t value() const {
    const crypto::Hash256 h = crypto::sha256(w_.data());
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | h.bytes[static_cast<std::size_t>(i)];
    return v;
  }

 private:
  ledger::Writer w_;
};

struct Slot {
  std::size_t bucket;
  std::size_t slot;
};

// The slot `s` of `table`, allocating its bucket if this is its first entry.
NetAddress& cell_of(Table& table, Slot s) {
  auto& bucket = table[s.bucket];
  if (bucket.empty()) bucket.resize(AddrBook::kBucketSize);
  return bucket[s.slot];
}

Slot new_slot(std::uint64_t key, const AddrInfo& info) {
  const std::uint64_t addr_group_bucket =
      KeyedHash(key, 'g').str(address_group(info.address)).value() % kNewBucketsPerSourceGroup;
  const std::size_t bucket =
      KeyedHash(key, 'n').str(address_group(info.source)).num(addr_group_bucket).value() % AddrBook::kNewBuckets;
  const std::size_t slot = KeyedHash(key, 's').num(bucket).addr(info.address).value() % AddrBook::kBucketSize;
  return {bucket, slot};
}

Slot tried_slot(std::uint64_t key, const NetAddress& address) {
  const std::size_t bucket = KeyedHash(key, 't').addr(address).value() % AddrBook::kTriedBuckets;
  const std::size_t slot = KeyedHash(key, 'u').num(bucket).addr(address).value() % AddrBook::kBucketSize;
  return {bucket, slot};
}

// Port 0, the all-zero address and 0.0.0.0 name no peer.
bool routable(const NetAddress& a) {
  auto nonzero = [](std::uint8_t b) { return b != 0; };
  const auto host = a.is_ipv4() ? a.ip.begin() + 12 : a.ip.begin();
  return a.port != 0 && std::any_of(host, a.ip.end(), nonzero);
}

// An incumbent of a new slot stays when it has ever worked for us or is at least as fresh.
bool keeps_slot(const AddrInfo& incumbent, const AddrInfo& challenger) {
  return incumbent.tried || incumbent.last_success_ms > 0 || incumbent.last_seen_s >= challenger.last_seen_s;
}

// The private state of an AddrBook, passed to the helpers below (the header is fixed, so
// they cannot be members).
struct Tables {
  std::uint64_t key;
  AddrBook::Entries& entries;
  Table& new_table;
  Table& tried_table;

  // Puts the entry `id` (already in `entries`) into its new slot. An incumbent that keeps its
  // slot wins unless `force`; the loser is erased from the book. False when `id` lost.
  bool place_new(const NetAddress& id, bool force) {
    const AddrInfo& info = entries.at(id);
    const Slot s = new_slot(key, info);
    NetAddress& cell = cell_of(new_table, s);
    if (cell.port != 0 && cell != id) {
      if (!force && keeps_slot(entries.at(cell), info)) {
        entries.erase(id);
        return false;
      }
      entries.erase(cell);
    }
    cell = id;
    return true;
  }

  void remove_from_new(const NetAddress& id, const AddrInfo& info) {
    const Slot s = new_slot(key, info);
    auto& bucket = new_table[s.bucket];
    if (!bucket.empty() && bucket[s.slot] == id) bucket[s.slot] = NetAddress{};
  }

  // Moves the entry `id` (in `entries`, not yet in the tried table) into its tried slot; the
  // incumbent of that slot goes back to the new table, as in Bitcoin Core.
  void place_tried(const NetAddress& id) {
    AddrInfo& info = entries.at(id);
    if (!info.tried) remove_from_new(id, info);
    info.tried = true;
    const Slot s = tried_slot(key, info.address);
    NetAddress& cell = cell_of(tried_table, s);
    if (cell.port != 0 && cell != id) {
      const NetAddress evicted = cell;
      entries.at(evicted).tried = false;
      cell = id;
      place_new(evicted, /*force=*/true);
    }
    cell = id;
  }
};

}  // namespace

std::string address_group(const NetAddress& a) {
  const auto& ip = a.ip;
  const bool v4 = a.is_ipv4();
  const bool v6_loopback =
      !v4 && std::all_of(ip.begin(), ip.begin() + 15, [](std::uint8_t b) { return b == 0; }) && ip[15] == 1;
  if ((v4 && ip[12] == 127) || v6_loopback) return a.to_string();
  char buf[32];
  if (v4) {
    std::snprintf(buf, sizeof buf, "4:%u.%u", static_cast<unsigned>(ip[12]), static_cast<unsigned>(ip[13]));
  } else {
    std::snprintf(buf, sizeof buf, "6:%02x%02x:%02x%02x", static_cast<unsigned>(ip[0]), static_cast<unsigned>(ip[1]),
                  static_cast<unsigned>(ip[2]), static_cast<unsigned>(ip[3]));
  }
  return buf;
}

AddrBook::AddrBook(std::uint64_t key)
    : key_(key),
      new_table_(kNewBuckets),
      tried_table_(kTriedBuckets) {}

bool AddrBook::add(const NetAddress& address, const NetAddress& source, std::uint32_t last_seen_s,
                   const std::optional<crypto::CompressedPublicKey>& node_key) {
  if (!routable(address)) return false;
  const NetAddress& id = address;
  if (auto it = entries_.find(id); it != entries_.end()) {
    // Already known: refresh only. It keeps its first source, so its slot does not move, and
    // its key.
    it->second.last_seen_s = std::max(it->second.last_seen_s, last_seen_s);
    if (!it->second.node_key) it->second.node_key = node_key;
    return true;
  }
  AddrInfo info;
  info.address = address;
  info.source = source;
  info.last_seen_s = last_seen_s;
  info.node_key = node_key;
  entries_.emplace(id, info);
  return Tables{key_, entries_, new_table_, tried_table_}.place_new(id, /*force=*/false);
}

void AddrBook::mark_good(const NetAddress& address, std::int64_t now_ms,
                         const std::optional<crypto::CompressedPublicKey>& node_key) {
  const NetAddress& id = address;
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (node_key) {
    it->second.node_key = node_key;
    it->second.key_verified = true;
  }
  it->second.last_try_ms = now_ms;
  it->second.last_success_ms = now_ms;
  it->second.attempts = 0;
  if (!it->second.tried) Tables{key_, entries_, new_table_, tried_table_}.place_tried(id);
}

void AddrBook::mark_attempt(const NetAddress& address, std::int64_t now_ms) {
  if (auto it = entries_.find(address); it != entries_.end()) it->second.last_try_ms = now_ms;
}

void AddrBook::mark_failed(const NetAddress& address, std::int64_t now_ms) {
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  it->second.last_try_ms = now_ms;
  if (it->second.attempts < std::numeric_limits<std::uint32_t>::max()) ++it->second.attempts;
  if (!it->second.key_verified) it->second.node_key.reset();
}

std::int64_t AddrBook::backoff_ms(std::uint32_t attempts) {
  if (attempts == 0) return 0;
  // 2 s * 2^9 > 10 min already: larger shifts are capped before they could overflow.
  if (attempts > 10) return kBackoffMaxMs;
  return std::min(kBackoffBaseMs << (attempts - 1), kBackoffMaxMs);
}

std::size_t AddrBook::tried_count() const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) { return kv.second.tried; }));
}

const AddrInfo* AddrBook::find(const NetAddress& address) const {
  auto it = entries_.find(address);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<NetAddress> AddrBook::select(std::int64_t now_ms, std::mt19937_64& rng,
                                           const std::vector<NetAddress>& exclude) const {
  if (entries_.empty()) return std::nullopt;
  std::vector<NetAddress> excluded = exclude;
  std::sort(excluded.begin(), excluded.end());
  auto eligible = [&](const AddrInfo& info) {
    return !std::binary_search(excluded.begin(), excluded.end(), info.address) &&
           now_ms - info.last_try_ms >= backoff_ms(info.attempts);
  };

  // Random slots first (cheap when the table is well filled), then an exact scan so that a
  // sparse table or one mostly excluded still yields whatever is eligible, uniformly.
  auto pick = [&](const Table& table) -> std::optional<NetAddress> {
    std::uniform_int_distribution<std::size_t> bucket_dist(0, table.size() - 1);
    std::uniform_int_distribution<std::size_t> slot_dist(0, kBucketSize - 1);
    for (int i = 0; i < kRandomPicks; ++i) {
      const std::size_t b = bucket_dist(rng);
      const std::size_t slot = slot_dist(rng);
      if (table[b].empty()) continue;
      const NetAddress& id = table[b][slot];
      if (id.port == 0) continue;
      const AddrInfo& info = entries_.at(id);
      if (eligible(info)) return info.address;
    }
    std::vector<const AddrInfo*> candidates;
    for (const auto& bucket : table) {
      for (const NetAddress& id : bucket) {
        if (id.port == 0) continue;
        const AddrInfo& info = entries_.at(id);
        if (eligible(info)) candidates.push_back(&info);
      }
    }
    if (candidates.empty()) return std::nullopt;
    return candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)]->address;
  };

  const std::size_t tried = tried_count();
  const std::size_t fresh = entries_.size() - tried;
  bool use_tried = tried > 0 && (fresh == 0 || (rng() & 1) != 0);
  for (int pass = 0; pass < 2; ++pass, use_tried = !use_tried) {
    if ((use_tried ? tried : fresh) == 0) continue;
    if (auto a = pick(use_tried ? tried_table_ : new_table_)) return a;
  }
  return std::nullopt;
}

std::vector<AddrEntry> AddrBook::sample(std::size_t max, std::mt19937_64& rng) const {
  std::vector<const AddrInfo*> all;
  all.reserve(entries_.size());
  for (const auto& kv : entries_) all.push_back(&kv.second);
  const std::size_t n = std::min(max, all.size());
  std::vector<AddrEntry> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {  // partial Fisher-Yates
    std::swap(all[i], all[std::uniform_int_distribution<std::size_t>(i, all.size() - 1)(rng)]);
    out.push_back(AddrEntry{all[i]->address, all[i]->last_seen_s, all[i]->node_key});
  }
  return out;
}

crypto::Bytes AddrBook::serialize() const {
  ledger::Writer w(1 + 8 + 9 + entries_.size() * kSerializedEntrySize);
  w.u8(kSerialVersion);
  w.u64(key_);
  w.compact_size(entries_.size());
  // Table order (tried first) makes the bytes a function of the book's contents only.
  for (const Table* table : {&tried_table_, &new_table_}) {
    for (const auto& bucket : *table) {
      for (const NetAddress& id : bucket) {
        if (id.port == 0) continue;
        const AddrInfo& e = entries_.at(id);
        w.bytes(e.address.ip);
        w.u16(e.address.port);
        w.bytes(e.source.ip);
        w.u16(e.source.port);
        w.u32(e.last_seen_s);
        w.u64(static_cast<std::uint64_t>(e.last_success_ms));
        w.u32(e.attempts);
        w.u8(e.tried ? 1 : 0);
        w.u8(static_cast<std::uint8_t>((e.node_key ? kKeyPresent : 0) | (e.key_verified ? kKeyVerified : 0)));
        if (e.node_key) w.fixed(*e.node_key);
      }
    }
  }
  return w.take();
}

std::expected<AddrBook, std::string> AddrBook::deserialize(crypto::ByteSpan bytes) {
  auto fail = [](std::string what) { return std::unexpected("address book: " + std::move(what)); };
  auto decode_fail = [&](const char* field, ledger::DecodeError e) {
    return fail(std::string(field) + ": " + ledger::to_string(e));
  };
  ledger::Reader r(bytes);
  auto version = r.u8();
  if (!version) return decode_fail("version", version.error());
  if (*version != 1 && *version != kSerialVersion) return fail("unsupported version " + std::to_string(*version));
  const bool has_keys = *version >= 2;
  const std::size_t min_entry_size = has_keys ? kSerializedEntrySize : kSerializedEntrySizeV1;
  auto key = r.u64();
  if (!key) return decode_fail("key", key.error());
  auto count = r.compact_size();
  if (!count) return decode_fail("entry count", count.error());
  if (*count > kCapacity) {
    return fail("entry count " + std::to_string(*count) + " exceeds the capacity " + std::to_string(kCapacity));
  }
  if (*count > r.remaining() / min_entry_size) {
    return fail("entry count " + std::to_string(*count) + " exceeds the remaining " +
                std::to_string(r.remaining()) + " bytes");
  }

  AddrBook book(*key);
  Tables tables{book.key_, book.entries_, book.new_table_, book.tried_table_};
  std::unordered_set<NetAddress, NetAddressHash> seen;
  auto read_address = [&](NetAddress& a) -> std::expected<void, ledger::DecodeError> {
    TALLY_TRY(ip, r.bytes(16));
    std::copy(ip.begin(), ip.end(), a.ip.begin());
    TALLY_TRY(port, r.u16());
    a.port = port;
    return {};
  };
  auto read_entry = [&](AddrInfo& e) -> std::expected<void, ledger::DecodeError> {
    TALLY_CHECK(read_address(e.address));
    TALLY_CHECK(read_address(e.source));
    TALLY_TRY(last_seen, r.u32());
    TALLY_TRY(last_success, r.u64());
    TALLY_TRY(attempts, r.u32());
    TALLY_TRY(tried, r.u8());
    if (tried > 1) return std::unexpected(ledger::DecodeError::kInvalidValue);
    e.last_seen_s = last_seen;
    e.last_success_ms = static_cast<std::int64_t>(last_success);
    e.attempts = attempts;
    e.tried = tried == 1;
    if (!has_keys) return {};
    TALLY_TRY(key_flags, r.u8());
    if ((key_flags & ~(kKeyPresent | kKeyVerified)) != 0 || key_flags == kKeyVerified)
      return std::unexpected(ledger::DecodeError::kInvalidValue);
    if (key_flags & kKeyPresent) {
      TALLY_TRY(key, r.fixed<crypto::CompressedPublicKey>());
      if (key.bytes[0] != 2 && key.bytes[0] != 3) return std::unexpected(ledger::DecodeError::kInvalidValue);
      e.node_key = key;
      e.key_verified = (key_flags & kKeyVerified) != 0;
    }
    return {};
  };
  for (std::uint64_t i = 0; i < *count; ++i) {
    AddrInfo e;
    if (auto ok = read_entry(e); !ok) return decode_fail(("entry " + std::to_string(i)).c_str(), ok.error());
    if (!routable(e.address)) return fail("entry " + std::to_string(i) + ": unroutable address");
    const NetAddress id = e.address;
    if (!seen.insert(id).second) return fail("entry " + std::to_string(i) + ": duplicate address " + id.to_string());
    // Re-inserted through the ordinary placement: a file written with other table sizes
    // loses collisions instead of corrupting the tables.
    const bool tried = e.tried;
    e.tried = false;
    book.entries_.emplace(id, e);
    if (tried) {
      tables.place_tried(id);
    } else {
      tables.place_new(id, /*force=*/false);
    }
  }
  if (auto end = r.expect_end(); !end) return decode_fail("after the entries", end.error());
  return book;
}

}  // namespace tally::p2p
