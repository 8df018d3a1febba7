#include "ledger/sig_verifier.h"

namespace tally::ledger {

namespace {
constexpr std::size_t kChunk = 16;
}

SignatureVerifier::SignatureVerifier(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

SignatureVerifier::~SignatureVerifier() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void SignatureVerifier::run_chunks() {
  for (;;) {
    const std::size_t start = next_.fetch_add(kChunk, std::memory_order_relaxed);
    if (start >= job_.size() || failed_.load(std::memory_order_relaxed) != SIZE_MAX) return;
    const std::size_t end = std::min(job_.size(), start + kChunk);
    for (std::size_t i = start; i < end; ++i) {
      const Transaction& tx = job_[i];
      if (tx.is_coinbase()) continue;
      if (!tx.has_valid_signature()) {
        std::size_t expected = SIZE_MAX;
        failed_.compare_exchange_strong(expected, i);
        return;
      }
    }
  }
}

void SignatureVerifier::worker_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    run_chunks();
    {
      std::lock_guard lock(mu_);
      ++finished_;
    }
    done_cv_.notify_one();
  }
}

void SignatureVerifier::start(std::span<const Transaction> txs) {
  job_ = txs;
  next_.store(0);
  failed_.store(SIZE_MAX);
  started_workers_ = !workers_.empty() && txs.size() > kChunk;
  if (!started_workers_) return;
  {
    std::lock_guard lock(mu_);
    finished_ = 0;
    ++generation_;
  }
  work_cv_.notify_all();
}

std::optional<std::size_t> SignatureVerifier::finish() {
  run_chunks();
  if (started_workers_) {
    // Every worker takes part in every generation (possibly finding no chunk left), so the
    // job is never replaced while a worker still reads it.
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [&] { return finished_ == workers_.size(); });
  }
  started_workers_ = false;
  const std::size_t f = failed_.load();
  job_ = {};
  if (f == SIZE_MAX) return std::nullopt;
  return f;
}

std::optional<std::size_t> SignatureVerifier::verify(std::span<const Transaction> txs) {
  start(txs);
  return finish();
}

}  // namespace tally::ledger
