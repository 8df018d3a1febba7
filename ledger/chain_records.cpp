#include "ledger/chain_records.h"

namespace tally::ledger {

Bytes encode_index_record(const IndexRecord& r) {
  Writer w(BlockHeader::kSize + 9);
  r.header.encode(w);
  w.u8(r.status);
  w.u64(r.sequence);
  return w.take();
}

std::expected<IndexRecord, DecodeError> decode_index_record(ByteSpan in) {
  Reader r(in);
  IndexRecord rec;
  TALLY_TRY(header, BlockHeader::decode(r));
  TALLY_TRY(status, r.u8());
  TALLY_TRY(sequence, r.u64());
  TALLY_CHECK(r.expect_end());
  if (status & ~0x0f) return std::unexpected(DecodeError::kInvalidValue);
  rec.header = header;
  rec.status = status;
  rec.sequence = sequence;
  return rec;
}

Bytes encode_account(const Account& a) {
  Writer w(16);
  w.u64(a.balance);
  w.u64(a.nonce);
  return w.take();
}

std::expected<Account, DecodeError> decode_account(ByteSpan in) {
  Reader r(in);
  TALLY_TRY(balance, r.u64());
  TALLY_TRY(nonce, r.u64());
  TALLY_CHECK(r.expect_end());
  return Account{balance, nonce};
}

Bytes encode_undo(const std::vector<UndoEntry>& undo) {
  Writer w(9 + undo.size() * 36);
  w.compact_size(undo.size());
  for (const auto& u : undo) {
    w.fixed(u.address);
    w.u64(u.before.balance);
    w.u64(u.before.nonce);
  }
  return w.take();
}

std::expected<std::vector<UndoEntry>, DecodeError> decode_undo(ByteSpan in) {
  Reader r(in);
  TALLY_TRY(count, r.compact_size());
  if (count > r.remaining() / 36) return std::unexpected(DecodeError::kTruncated);
  std::vector<UndoEntry> out;
  out.reserve(static_cast<std::size_t>(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    TALLY_TRY(address, r.fixed<crypto::Address>());
    TALLY_TRY(balance, r.u64());
    TALLY_TRY(nonce, r.u64());
    out.push_back(UndoEntry{address, Account{balance, nonce}});
  }
  TALLY_CHECK(r.expect_end());
  return out;
}

Bytes encode_tx_location(const TxLocation& loc) {
  Writer w(36);
  w.fixed(loc.block);
  w.u32(loc.position);
  return w.take();
}

std::expected<TxLocation, DecodeError> decode_tx_location(ByteSpan in) {
  Reader r(in);
  TALLY_TRY(block, r.fixed<BlockHash>());
  TALLY_TRY(position, r.u32());
  TALLY_CHECK(r.expect_end());
  return TxLocation{block, position};
}

Bytes address_history_key(const crypto::Address& a, std::uint32_t height, std::uint32_t position) {
  Bytes k(a.begin(), a.end());
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<std::uint8_t>(height >> (8 * i)));
  for (int i = 3; i >= 0; --i) k.push_back(static_cast<std::uint8_t>(position >> (8 * i)));
  return k;
}

}  // namespace tally::ledger
