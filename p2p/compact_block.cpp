#include "p2p/compact_block.h"

#include <cstring>

#include "crypto/sha256.h"

namespace tally::p2p {

crypto::SipHashKey short_id_key(const ledger::BlockHeader& header, std::uint64_t nonce) {
  std::array<std::uint8_t, ledger::BlockHeader::kSize + 8> buf{};
  const auto h = header.encode();
  std::memcpy(buf.data(), h.data(), h.size());
  for (int i = 0; i < 8; ++i) buf[h.size() + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(nonce >> (8 * i));
  const crypto::Hash256 digest = crypto::sha256(buf);
  crypto::SipHashKey key{};
  std::memcpy(key.data(), digest.data(), key.size());
  return key;
}

std::uint64_t short_id(const crypto::SipHashKey& key, const ledger::TxId& txid) {
  return crypto::siphash24(key, txid.span()) & 0xffff'ffff'ffffULL;
}

CmpctBlockMsg make_compact_block(const ledger::Block& block, std::uint64_t nonce) {
  CmpctBlockMsg m;
  m.header = block.header;
  m.nonce = nonce;
  const crypto::SipHashKey key = short_id_key(block.header, nonce);
  if (!block.txs.empty()) m.prefilled.push_back(PrefilledTx{0, block.txs[0]});
  m.short_ids.reserve(block.txs.size());
  for (std::size_t i = 1; i < block.txs.size(); ++i) m.short_ids.push_back(short_id(key, block.txs[i].txid()));
  return m;
}

const char* to_string(PartialBlock::StartError e) {
  switch (e) {
    case PartialBlock::StartError::kNoCoinbase: return "the coinbase (slot 0) is not prefilled";
    case PartialBlock::StartError::kShortIdCollision: return "two transactions share a short id";
  }
  return "unknown";
}

std::expected<PartialBlock, PartialBlock::StartError> PartialBlock::start(const CmpctBlockMsg& m) {
  if (m.prefilled.empty() || m.prefilled.front().index != 0) return std::unexpected(StartError::kNoCoinbase);
  PartialBlock b;
  b.header_ = m.header;
  b.key_ = short_id_key(m.header, m.nonce);
  b.slots_.resize(m.tx_count());
  b.ambiguous_.resize(m.tx_count());
  for (const PrefilledTx& p : m.prefilled) b.slots_[p.index] = p.tx;  // decode checked the indexes
  b.filled_ = b.prefilled_ = m.prefilled.size();
  b.slot_by_short_id_.reserve(m.short_ids.size());
  std::size_t next_id = 0;
  for (std::uint32_t slot = 0; slot < b.slots_.size(); ++slot) {
    if (b.slots_[slot]) continue;
    if (!b.slot_by_short_id_.emplace(m.short_ids[next_id++], slot).second)
      return std::unexpected(StartError::kShortIdCollision);
  }
  return b;
}

void PartialBlock::offer(const ledger::TxId& txid, const ledger::Transaction& tx) {
  if (slot_by_short_id_.empty()) return;
  auto it = slot_by_short_id_.find(short_id(key_, txid));
  if (it == slot_by_short_id_.end()) return;
  const std::uint32_t slot = it->second;
  if (ambiguous_[slot]) return;
  if (slots_[slot]) {
    if (*slots_[slot] == tx) return;
    slots_[slot].reset();  // two candidates: ask the peer which
    ambiguous_[slot] = true;
    --filled_;
    --from_pool_;
    return;
  }
  slots_[slot] = tx;
  ++filled_;
  ++from_pool_;
}

std::vector<std::uint32_t> PartialBlock::missing() const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < slots_.size(); ++i)
    if (!slots_[i]) out.push_back(i);
  return out;
}

bool PartialBlock::fill(const std::vector<ledger::Transaction>& txs) {
  const auto holes = missing();
  if (holes.size() != txs.size()) return false;
  for (std::size_t i = 0; i < holes.size(); ++i) slots_[holes[i]] = txs[i];
  filled_ = slots_.size();
  return true;
}

ledger::Block PartialBlock::block() const {
  ledger::Block b;
  b.header = header_;
  b.txs.reserve(slots_.size());
  for (const auto& s : slots_) b.txs.push_back(*s);
  return b;
}

}  // namespace tally::p2p
