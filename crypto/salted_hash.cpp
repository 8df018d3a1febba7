#include "crypto/salted_hash.h"

#include <cryptopp/siphash.h>

#include <boost/container_hash/hash.hpp>

#include <array>
#include <atomic>
#include <cstring>
#include <string>

#include "crypto/random.h"
#include "crypto/sha256.h"

namespace tally::crypto {

namespace {

// The process-wide key and its version; each thread keeps a keyed SipHash object of its own
// (re-keyed when the version moves), so a hash costs no set-up and no lock.
struct Salt {
  Salt() { random_bytes(key); }
  SipHashKey key{};
  std::atomic<std::uint64_t> version{1};
  std::atomic<bool> unsalted{false};
};

Salt& salt() {
  static Salt s;
  return s;
}

struct ThreadMac {
  std::uint64_t version = 0;
  CryptoPP::SipHash<2, 4, false> mac;
  // The last 32-byte input and its hash: relay asks for the hash of one txid once per peer
  // in a row (known-inventory sets, in-flight maps), and a compare costs far less than SipHash.
  std::array<std::uint8_t, 32> last_input{};
  std::uint64_t last_value = 0;
  bool have_last = false;
};

}  // namespace

std::uint64_t salted_hash(ByteSpan data) noexcept {
  Salt& s = salt();
  if (s.unsalted.load(std::memory_order_relaxed)) {
    // Hashes (32 and 20 bytes) are uniform already; other keys (endpoints) get every byte mixed.
    if (data.size() == 32 || data.size() == 20) {
      std::uint64_t v;
      std::memcpy(&v, data.data(), sizeof v);
      return v;
    }
    return boost::hash_range(data.begin(), data.end());
  }
  thread_local ThreadMac t;
  const std::uint64_t version = s.version.load(std::memory_order_acquire);
  if (t.version != version) {
    t.mac.SetKey(s.key.data(), s.key.size());
    t.version = version;
    t.have_last = false;
  }
  const bool memo = data.size() == t.last_input.size();
  if (memo && t.have_last && std::memcmp(data.data(), t.last_input.data(), t.last_input.size()) == 0)
    return t.last_value;
  t.mac.Update(data.data(), data.size());
  std::uint8_t out[8];
  t.mac.Final(out);  // and restarts under the same key
  std::uint64_t v;
  std::memcpy(&v, out, sizeof v);  // the byte order does not matter for a table
  if (memo) {
    std::memcpy(t.last_input.data(), data.data(), t.last_input.size());
    t.last_value = v;
    t.have_last = true;
  }
  return v;
}

void set_hash_salt(const SipHashKey& key) {
  Salt& s = salt();
  s.key = key;
  s.version.fetch_add(1, std::memory_order_release);
}

void use_unsalted_hash() { salt().unsalted.store(true, std::memory_order_relaxed); }

SipHashKey hash_salt_from_seed(std::uint64_t seed) {
  const std::string text = "tally hash salt " + std::to_string(seed);
  const Hash256 h = sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  SipHashKey key{};
  std::memcpy(key.data(), h.data(), key.size());
  return key;
}

}  // namespace tally::crypto
