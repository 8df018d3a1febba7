#include "ledger/sig_verifier.h"

#include <algorithm>

namespace tally::ledger {

namespace {
constexpr std::size_t kChunk = 16;
}

SignatureVerifier::SignatureVerifier(Executor& executor) : executor_(executor), group_(executor) {}

void SignatureVerifier::check_chunk(std::size_t chunk) {
  const std::size_t begin = chunk * kChunk;
  // Chunks are taken in order, so a failure below this chunk settles the answer; a failure
  // above it does not (this chunk may hold a lower one).
  if (failed_.load(std::memory_order_relaxed) < begin) return;
  const std::size_t end = std::min(job_.size(), begin + kChunk);
  for (std::size_t i = begin; i < end; ++i) {
    const Transaction& tx = job_[i];
    if (tx.is_coinbase()) continue;
    if (!tx.has_valid_signature()) {
      std::size_t lowest = failed_.load(std::memory_order_relaxed);
      while (i < lowest && !failed_.compare_exchange_weak(lowest, i, std::memory_order_relaxed)) {
      }
      group_.skip_rest();  // the chunks after this one cannot change the answer
      return;
    }
  }
}

void SignatureVerifier::start(std::span<const Transaction> txs) {
  job_ = txs;
  failed_.store(SIZE_MAX, std::memory_order_relaxed);
  group_.run((txs.size() + kChunk - 1) / kChunk, [this](std::size_t chunk) { check_chunk(chunk); });
}

std::optional<std::size_t> SignatureVerifier::finish() {
  group_.wait();
  const std::size_t f = failed_.load(std::memory_order_relaxed);
  job_ = {};
  if (f == SIZE_MAX) return std::nullopt;
  return f;
}

std::optional<std::size_t> SignatureVerifier::verify(std::span<const Transaction> txs) {
  start(txs);
  return finish();
}

}  // namespace tally::ledger
