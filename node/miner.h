// Background miner: builds a block template on the core thread, searches nonces on a pool of
// threads - 1 workers of its own plus the miner's thread (ledger::NonceSearcher, midstate
// hashing, lowest nonce of each range), and hands a found block back to the core. A new tip interrupts the search at once; a template older than refresh_ms is rebuilt
// so new transactions and the current time get in.
//
// Thread-safety: set_enabled, on_new_tip, status and stop may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "ledger/nonce_search.h"

namespace tally::node {

class Miner {
 public:
  // Builds a template on the current tip (nullopt when it cannot, e.g. shutting down).
  using TemplateFn = std::function<std::optional<ledger::Block>()>;
  // Submits a solved block.
  using SubmitFn = std::function<void(const ledger::Block&)>;

  Miner(TemplateFn make_template, SubmitFn submit, ledger::Uint256 pow_limit);
  ~Miner();
  Miner(const Miner&) = delete;
  Miner& operator=(const Miner&) = delete;

  void set_enabled(bool on, unsigned threads);
  void on_new_tip();
  void stop();

  bool enabled() const { return enabled_.load(); }
  unsigned threads() const { return threads_.load(); }
  std::uint64_t blocks_mined() const { return blocks_mined_.load(); }
  std::uint64_t hashes() const;
  double hashes_per_second() const;

  static constexpr std::int64_t kRefreshMs = 2000;

 private:
  void loop();

  TemplateFn make_template_;
  SubmitFn submit_;
  ledger::Uint256 pow_limit_;
  std::atomic<bool> enabled_{false};
  std::atomic<unsigned> threads_{1};
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> blocks_mined_{0};
  std::atomic<std::uint64_t> hashes_done_{0};
  std::atomic<std::int64_t> started_ms_{0};
  std::atomic<std::uint64_t> epoch_{0};  // bumped by every new tip or settings change
  std::mutex mu_;
  std::condition_variable cv_;
  std::unique_ptr<ledger::NonceSearcher> searcher_;  // guarded by mu_ for replacement
  std::thread thread_;
};

}  // namespace tally::node
