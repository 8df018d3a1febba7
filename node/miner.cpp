#include "node/miner.h"

#include <chrono>

namespace tally::node {

namespace {
std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Miner::Miner(TemplateFn make_template, SubmitFn submit, ledger::Uint256 pow_limit)
    : make_template_(std::move(make_template)), submit_(std::move(submit)), pow_limit_(pow_limit) {
  searcher_ = std::make_unique<ledger::NonceSearcher>(1);
  thread_ = std::thread([this] { loop(); });
}

Miner::~Miner() { stop(); }

void Miner::stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(mu_);
    if (searcher_) searcher_->interrupt();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Miner::set_enabled(bool on, unsigned threads) {
  std::lock_guard lock(mu_);
  if (threads > 0) threads_ = threads;
  if (on && !enabled_) started_ms_ = steady_ms();
  enabled_ = on;
  ++epoch_;
  if (searcher_) searcher_->interrupt();
  cv_.notify_all();
}

void Miner::on_new_tip() {
  std::lock_guard lock(mu_);
  ++epoch_;
  if (searcher_ && enabled_) searcher_->interrupt();
}

std::uint64_t Miner::hashes() const { return hashes_done_.load(); }

double Miner::hashes_per_second() const {
  if (!enabled_) return 0;
  const std::int64_t elapsed = steady_ms() - started_ms_.load();
  return elapsed > 0 ? static_cast<double>(hashes_done_.load()) * 1000.0 / static_cast<double>(elapsed) : 0;
}

void Miner::loop() {
  std::uint64_t counted = 0;  // hashes of the current searcher already added to hashes_done_
  while (!stopping_) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || enabled_; });
      if (stopping_) return;
      if (searcher_->threads() != threads_) {
        hashes_done_ += searcher_->hashes() - counted;
        counted = 0;
        searcher_ = std::make_unique<ledger::NonceSearcher>(threads_);
      }
    }
    const std::uint64_t epoch_before = epoch_.load();
    std::optional<ledger::Block> block = make_template_();
    if (block && epoch_.load() != epoch_before) continue;  // tip moved while building
    if (!block) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping_.load(); });
      continue;
    }
    const std::int64_t built = steady_ms();
    const std::uint64_t epoch = epoch_.load();
    std::uint32_t next_nonce = 0;
    bool done = false;
    while (!done && !stopping_ && enabled_) {
      // Chunks of 2^22 nonces per thread keep the template fresh without many restarts.
      const std::uint64_t chunk = (std::uint64_t{1} << 22) * searcher_->threads();
      auto found = searcher_->search(block->header, pow_limit_, next_nonce, chunk);
      hashes_done_ += searcher_->hashes() - counted;
      counted = searcher_->hashes();
      if (found) {
        block->header = *found;
        submit_(*block);
        ++blocks_mined_;
        done = true;
      } else if (std::uint64_t{next_nonce} + chunk >= ledger::NonceSearcher::kNonceSpace ||
                 steady_ms() - built > kRefreshMs) {
        done = true;  // exhausted or stale: build a new template
      } else if (epoch_.load() != epoch) {
        done = true;  // interrupted by a new tip or new settings
      } else {
        next_nonce += static_cast<std::uint32_t>(chunk);
      }
    }
  }
}

}  // namespace tally::node
