#include "devnet/calibrate.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "ledger/nonce_search.h"
#include "ledger/pow.h"

namespace tally::devnet {

double measure_hash_rate_per_thread(std::chrono::milliseconds duration) {
  ledger::BlockHeader header;  // any header: every attempt costs the same
  header.bits = 0x1d00ffff;
  const ledger::Uint256 impossible = 0;  // no hash is <= 0 in practice: every nonce is tried
  const std::atomic<bool> stop{false};
  constexpr std::uint64_t kBatch = 1 << 14;
  constexpr int kWindows = 8;
  const auto window = std::max(duration / kWindows, std::chrono::milliseconds(1));
  std::uint32_t first = 0;
  double best = 0;
  for (int w = 0; w < kWindows; ++w) {
    std::uint64_t hashes = 0;
    const auto start = std::chrono::steady_clock::now();
    auto elapsed = std::chrono::steady_clock::duration::zero();
    do {
      hashes += ledger::search_nonce_counted(header, first, kBatch, impossible, stop).hashes;
      first += static_cast<std::uint32_t>(kBatch);
      elapsed = std::chrono::steady_clock::now() - start;
    } while (elapsed < window);
    best = std::max(best, static_cast<double>(hashes) / std::chrono::duration<double>(elapsed).count());
  }
  return best;
}

std::int64_t calibrated_half_life_s(std::int64_t spec_half_life_s, std::int64_t interval_s) {
  return std::min(spec_half_life_s, std::max<std::int64_t>(10, 10 * interval_s));
}

double effective_mining_threads(unsigned miner_threads, unsigned cores) {
  return static_cast<double>(std::min(miner_threads, std::max(cores, 1u)));
}

std::uint32_t bits_for_interval(double hashes_per_s, double interval_s, std::uint32_t pow_limit_bits) {
  const auto limit = ledger::target_from_compact(pow_limit_bits);
  const double work = hashes_per_s * interval_s;
  if (!limit || !(work > 1)) return pow_limit_bits;
  // Expected attempts at target t are 2^256 / (t + 1).
  const ledger::Uint256 attempts = static_cast<std::uint64_t>(std::min(work, 1.8e19));
  const ledger::Uint256 target = (ledger::Uint256(~ledger::Uint256(0)) / attempts);
  return target >= *limit ? pow_limit_bits : ledger::compact_from_target(target);
}

}  // namespace tally::devnet
