// Compact blocks (after BIP152, docs/PROTOCOL.md): the per-block short ids of transactions,
// the compact form of a block, and rebuilding a block from one and the transactions a node
// already holds. Pure functions and a value type; not thread-safe per object.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "crypto/siphash.h"
#include "ledger/block.h"
#include "p2p/messages.h"

namespace tally::p2p {

// SHA-256(header || nonce as u64 little-endian); its first 16 bytes key SipHash.
crypto::SipHashKey short_id_key(const ledger::BlockHeader& header, std::uint64_t nonce);
// The low 48 bits of SipHash-2-4(key, txid).
std::uint64_t short_id(const crypto::SipHashKey& key, const ledger::TxId& txid);

// The compact form of a block: the coinbase prefilled, every other transaction by short id.
CmpctBlockMsg make_compact_block(const ledger::Block& block, std::uint64_t nonce);

// A block being rebuilt from a cmpctblock: slots filled from prefilled transactions, then
// from candidates the node holds (offer), then from a blocktxn answer (fill).
class PartialBlock {
 public:
  // Why a cmpctblock cannot start a rebuild: no coinbase in slot 0 (the sender broke the
  // protocol), or two slots with the same short id (a collision the sender could not avoid;
  // BIP152 asks for the full block then).
  enum class StartError { kNoCoinbase, kShortIdCollision };
  static std::expected<PartialBlock, StartError> start(const CmpctBlockMsg& m);

  // A transaction the node holds. It fills the slot with its short id, if any. Two different
  // candidates for one slot make that slot missing again (it will be asked for).
  void offer(const ledger::TxId& txid, const ledger::Transaction& tx);
  // Slots still empty, in increasing order.
  std::vector<std::uint32_t> missing() const;
  // The answer to a getblocktxn for missing(): one transaction per missing slot, in order.
  // False when the count does not match (the partial block is unchanged then).
  bool fill(const std::vector<ledger::Transaction>& txs);
  bool complete() const { return filled_ == slots_.size(); }
  // The block. REQUIRES: complete(). Its merkle root may still differ from the header's when
  // a short id matched the wrong transaction: the caller checks and falls back.
  ledger::Block block() const;

  const ledger::BlockHeader& header() const { return header_; }
  std::size_t tx_count() const { return slots_.size(); }
  std::size_t prefilled_count() const { return prefilled_; }
  std::size_t from_pool_count() const { return from_pool_; }

 private:
  ledger::BlockHeader header_;
  crypto::SipHashKey key_{};
  std::vector<std::optional<ledger::Transaction>> slots_;
  std::vector<bool> ambiguous_;  // two candidates matched: leave it to getblocktxn
  boost::unordered_flat_map<std::uint64_t, std::uint32_t> slot_by_short_id_;
  std::size_t filled_ = 0;
  std::size_t prefilled_ = 0;
  std::size_t from_pool_ = 0;
};

const char* to_string(PartialBlock::StartError e);

}  // namespace tally::p2p
