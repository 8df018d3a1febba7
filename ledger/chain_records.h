// Encodings of the records the chain keeps in its Store: block index entries, accounts,
// undo data, transaction index entries and metadata keys. Decoders are strict and report
// corruption as errors. Pure functions.
#pragma once

#include <expected>
#include <string_view>
#include <vector>

#include "ledger/block_index.h"
#include "ledger/block_rules.h"
#include "ledger/encoding.h"

namespace tally::ledger {

inline constexpr std::uint32_t kSchemaVersion = 1;

namespace meta_key {
inline constexpr std::string_view kSchema = "schema";
inline constexpr std::string_view kGenesis = "genesis";
inline constexpr std::string_view kTip = "tip";
inline constexpr std::string_view kStateLanes = "state_lanes";
// Hash of a tip written before its signatures finished verifying (see Chain::connect_tip);
// present only between that write and the end of the check.
inline constexpr std::string_view kUnverifiedTip = "unverified_tip";
inline crypto::ByteSpan bytes(std::string_view k) {
  return crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(k.data()), k.size());
}
}  // namespace meta_key

struct IndexRecord {
  BlockHeader header;
  std::uint8_t status = 0;
  std::uint64_t sequence = 0;
};
Bytes encode_index_record(const IndexRecord& r);
[[nodiscard]] std::expected<IndexRecord, DecodeError> decode_index_record(ByteSpan in);

Bytes encode_account(const Account& a);
[[nodiscard]] std::expected<Account, DecodeError> decode_account(ByteSpan in);

// Undo data: the accounts a block changed, as they were before it.
struct UndoEntry {
  crypto::Address address;
  Account before;
};
Bytes encode_undo(const std::vector<UndoEntry>& undo);
[[nodiscard]] std::expected<std::vector<UndoEntry>, DecodeError> decode_undo(ByteSpan in);

struct TxLocation {
  BlockHash block;
  std::uint32_t position = 0;
};
Bytes encode_tx_location(const TxLocation& loc);
[[nodiscard]] std::expected<TxLocation, DecodeError> decode_tx_location(ByteSpan in);

// address | height (big-endian, so keys sort by height) | position (big-endian)
Bytes address_history_key(const crypto::Address& a, std::uint32_t height, std::uint32_t position);

}  // namespace tally::ledger
