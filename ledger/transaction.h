// A transfer between accounts, and the block's coinbase. Fixed 144-byte encoding:
//   chain_id u32 | sender 32 | recipient 20 | amount u64 | fee u64 | nonce u64 | signature 64
// The signature is BIP340 over tagged_hash("Tally/TxSig", the first 80 bytes).
// The txid is SHA-256d of all 144 bytes. Plain value type.
#pragma once

#include <cstdint>
#include <expected>

#include "crypto/address.h"
#include "crypto/keys.h"
#include "ledger/encoding.h"

namespace tally::ledger {

using crypto::Address;
using crypto::Hash256;
using crypto::PublicKey;
using crypto::Signature;
using Amount = std::uint64_t;
using TxId = crypto::Hash256;

struct Transaction {
  static constexpr std::size_t kUnsignedSize = 80;
  static constexpr std::size_t kSize = kUnsignedSize + 64;

  std::uint32_t chain_id = 0;
  PublicKey sender;  // all zero for a coinbase
  Address recipient;
  Amount amount = 0;
  Amount fee = 0;
  std::uint64_t nonce = 0;  // sender's account nonce; the block height for a coinbase
  Signature signature;      // all zero for a coinbase

  // A coinbase has no sender (an all-zero key is not a point on the curve, so no real
  // sender can have it) and no signature.
  bool is_coinbase() const { return sender.is_zero() && signature.is_zero(); }

  void encode(Writer& w) const;
  Bytes encode() const;
  [[nodiscard]] static std::expected<Transaction, DecodeError> decode(Reader& r);
  // Exactly one transaction, no trailing bytes.
  [[nodiscard]] static std::expected<Transaction, DecodeError> decode(ByteSpan in);

  TxId txid() const;
  // What the sender signs: tagged_hash("Tally/TxSig", unsigned encoding).
  Hash256 signature_hash() const;
  // True when the signature verifies against the sender key (no other rule checked).
  bool has_valid_signature() const;

  friend bool operator==(const Transaction&, const Transaction&) = default;
};

// Builds and signs a transfer. The sender key is derived from `key`.
Transaction make_transfer(const crypto::SecretKey& key, std::uint32_t chain_id, const Address& to, Amount amount,
                          Amount fee, std::uint64_t nonce);
Transaction make_coinbase(std::uint32_t chain_id, std::uint32_t height, const Address& miner, Amount amount);

}  // namespace tally::ledger
