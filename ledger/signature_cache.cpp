#include "ledger/signature_cache.h"

namespace tally::ledger {

SignatureCache& SignatureCache::process() {
  static SignatureCache cache(std::size_t{4} << 20);  // 4 Mi txids, about 200 MiB when full
  return cache;
}

bool SignatureCache::contains(const TxId& txid) const {
  std::lock_guard lock(mu_);
  return verified_.contains(txid);
}

void SignatureCache::insert(const TxId& txid) {
  std::lock_guard lock(mu_);
  if (verified_.size() >= capacity_) verified_.clear();
  verified_.insert(txid);
}

std::size_t SignatureCache::size() const {
  std::lock_guard lock(mu_);
  return verified_.size();
}

void SignatureCache::clear() {
  std::lock_guard lock(mu_);
  verified_.clear();
}

}  // namespace tally::ledger
