#include "ledger/block.h"

#include "crypto/sha256.h"
#include "ledger/merkle.h"

namespace tally::ledger {

void BlockHeader::encode(Writer& w) const {
  w.u32(version);
  w.u32(height);
  w.fixed(prev_hash);
  w.fixed(tx_root);
  w.fixed(state_root);
  w.u32(time);
  w.u32(bits);
  w.u32(nonce);
}

std::array<std::uint8_t, BlockHeader::kSize> BlockHeader::encode() const {
  Writer w(kSize);
  encode(w);
  std::array<std::uint8_t, kSize> out;
  std::memcpy(out.data(), w.data().data(), kSize);
  return out;
}

std::expected<BlockHeader, DecodeError> BlockHeader::decode(Reader& r) {
  if (r.remaining() < kSize) return std::unexpected(DecodeError::kTruncated);
  BlockHeader h;
  TALLY_TRY(version, r.u32());
  TALLY_TRY(height, r.u32());
  TALLY_TRY(prev, r.fixed<BlockHash>());
  TALLY_TRY(tx_root, r.fixed<Hash256>());
  TALLY_TRY(state_root, r.fixed<Hash256>());
  TALLY_TRY(time, r.u32());
  TALLY_TRY(bits, r.u32());
  TALLY_TRY(nonce, r.u32());
  h.version = version;
  h.height = height;
  h.prev_hash = prev;
  h.tx_root = tx_root;
  h.state_root = state_root;
  h.time = time;
  h.bits = bits;
  h.nonce = nonce;
  return h;
}

std::expected<BlockHeader, DecodeError> BlockHeader::decode(ByteSpan in) {
  Reader r(in);
  TALLY_TRY(h, decode(r));
  TALLY_CHECK(r.expect_end());
  return h;
}

BlockHash BlockHeader::hash() const {
  const auto bytes = encode();
  return crypto::sha256d(bytes);
}

void Block::encode(Writer& w) const {
  header.encode(w);
  w.compact_size(txs.size());
  for (const Transaction& tx : txs) tx.encode(w);
}

std::size_t Block::encoded_size() const {
  const std::size_t n = txs.size();
  const std::size_t count_size = n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9;
  return BlockHeader::kSize + count_size + n * Transaction::kSize;
}

Bytes Block::encode() const {
  Writer w(encoded_size());
  encode(w);
  return w.take();
}

std::expected<Block, DecodeError> Block::decode(ByteSpan in, std::size_t max_txs) {
  Reader r(in);
  Block b;
  TALLY_TRY(header, BlockHeader::decode(r));
  b.header = header;
  TALLY_TRY(count, r.compact_size(std::min<std::size_t>(max_txs, kMaxBlockTxsDecode)));
  // Never reserve more than the remaining input could hold.
  if (count > r.remaining() / Transaction::kSize) return std::unexpected(DecodeError::kTruncated);
  b.txs.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    TALLY_TRY(tx, Transaction::decode(r));
    b.txs.push_back(tx);
  }
  TALLY_CHECK(r.expect_end());
  return b;
}

std::vector<TxId> Block::txids() const {
  std::vector<TxId> ids;
  ids.reserve(txs.size());
  for (const Transaction& tx : txs) ids.push_back(tx.txid());
  return ids;
}

Hash256 Block::compute_tx_root() const {
  const auto ids = txids();
  return merkle_root(ids);
}

}  // namespace tally::ledger
