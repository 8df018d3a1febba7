// Block headers and blocks, their canonical encoding and hashes.
//
// Header, 116 bytes:
//   version u32 | height u32 | prev_hash 32 | tx_root 32 | state_root 32 | time u32 |
//   bits u32 | nonce u32
// Block hash = SHA-256d(header). The first 64 bytes (version .. tx_root[0..24)) do not change
// while mining, so a miner hashes them once (crypto::Sha256dMidstate) and then only the
// 52-byte tail per nonce.
// Block: header | compact-size transaction count | transactions (144 bytes each).
#pragma once

#include <cstdint>
#include <expected>
#include <vector>

#include "ledger/transaction.h"

namespace tally::ledger {

using BlockHash = crypto::Hash256;

struct BlockHeader {
  static constexpr std::size_t kSize = 116;
  static constexpr std::size_t kMidstatePrefix = 64;

  std::uint32_t version = 1;
  std::uint32_t height = 0;
  BlockHash prev_hash;
  Hash256 tx_root;
  Hash256 state_root;
  std::uint32_t time = 0;  // seconds since the Unix epoch
  std::uint32_t bits = 0;  // compact target, see pow.h
  std::uint32_t nonce = 0;

  void encode(Writer& w) const;
  std::array<std::uint8_t, kSize> encode() const;
  [[nodiscard]] static std::expected<BlockHeader, DecodeError> decode(Reader& r);
  [[nodiscard]] static std::expected<BlockHeader, DecodeError> decode(ByteSpan in);

  BlockHash hash() const;

  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

struct Block {
  BlockHeader header;
  std::vector<Transaction> txs;  // txs[0] is the coinbase

  void encode(Writer& w) const;
  Bytes encode() const;
  std::size_t encoded_size() const;
  // Rejects more than max_txs transactions before allocating for them.
  [[nodiscard]] static std::expected<Block, DecodeError> decode(ByteSpan in, std::size_t max_txs);

  BlockHash hash() const { return header.hash(); }
  std::vector<TxId> txids() const;
  // Merkle root over txids(); equals header.tx_root in a valid block.
  Hash256 compute_tx_root() const;

  friend bool operator==(const Block&, const Block&) = default;
};

// Hard ceiling for decoding a block whatever the chain spec says (64k transactions, 9 MiB).
inline constexpr std::size_t kMaxBlockTxsDecode = 65536;

}  // namespace tally::ledger
