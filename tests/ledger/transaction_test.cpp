#include "ledger/transaction.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <set>

#include "crypto/sha256.h"
#include "ledger_test_util.h"

namespace tally::ledger {
namespace {

using test_util::load_le;

crypto::SecretKey test_key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> bytes;
  bytes.fill(fill);
  return *crypto::SecretKey::from_bytes(bytes);
}

Address test_address(std::uint8_t fill) {
  Address a;
  a.bytes.fill(fill);
  return a;
}

// Every field distinct and with every byte distinct, so an offset error cannot go unseen.
Transaction distinctive_tx() {
  Transaction tx;
  tx.chain_id = 0x04030201;
  for (std::size_t i = 0; i < 32; ++i) tx.sender.bytes[i] = static_cast<std::uint8_t>(0x10 + i);
  for (std::size_t i = 0; i < 20; ++i) tx.recipient.bytes[i] = static_cast<std::uint8_t>(0x40 + i);
  tx.amount = 0x5857565554535251;
  tx.fee = 0x6867666564636261;
  tx.nonce = 0x7877767574737271;
  for (std::size_t i = 0; i < 64; ++i) tx.signature.bytes[i] = static_cast<std::uint8_t>(0x80 + i);
  return tx;
}

TEST(Tx, EncodesTo144BytesWithFieldsAtDocumentedOffsets) {
  const Transaction tx = distinctive_tx();
  const Bytes enc = tx.encode();
  ASSERT_EQ(enc.size(), Transaction::kSize);
  ASSERT_EQ(Transaction::kSize, 144u);
  ASSERT_EQ(Transaction::kUnsignedSize, 80u);

  EXPECT_EQ(load_le(enc, 0, 4), tx.chain_id);
  EXPECT_EQ(Bytes(enc.begin() + 4, enc.begin() + 36), crypto::to_bytes(tx.sender.span()));
  EXPECT_EQ(Bytes(enc.begin() + 36, enc.begin() + 56), crypto::to_bytes(tx.recipient.span()));
  EXPECT_EQ(load_le(enc, 56, 8), tx.amount);
  EXPECT_EQ(load_le(enc, 64, 8), tx.fee);
  EXPECT_EQ(load_le(enc, 72, 8), tx.nonce);
  EXPECT_EQ(Bytes(enc.begin() + 80, enc.end()), crypto::to_bytes(tx.signature.span()));
  // Little-endian: the least significant byte first.
  EXPECT_EQ(enc[0], 0x01);
  EXPECT_EQ(enc[56], 0x51);
  EXPECT_EQ(enc[63], 0x58);

  // The Writer overload appends the same bytes.
  Writer w;
  w.u8(0xee);
  tx.encode(w);
  ASSERT_EQ(w.data().size(), 1 + Transaction::kSize);
  EXPECT_EQ(Bytes(w.data().begin() + 1, w.data().end()), enc);
}

TEST(Tx, DecodeRoundTrip) {
  const Transaction tx = distinctive_tx();
  auto dec = Transaction::decode(ByteSpan(tx.encode()));
  ASSERT_TRUE(dec.has_value()) << to_string(dec.error());
  EXPECT_EQ(*dec, tx);
}

TEST(Tx, DecodeRejectsEveryTruncation) {
  const Bytes enc = distinctive_tx().encode();
  for (std::size_t len = 0; len < Transaction::kSize; ++len) {
    auto dec = Transaction::decode(ByteSpan(enc).first(len));
    ASSERT_FALSE(dec.has_value()) << "length " << len;
    EXPECT_EQ(dec.error(), DecodeError::kTruncated) << "length " << len;
  }
}

TEST(Tx, DecodeRejectsTrailingBytes) {
  Bytes enc = distinctive_tx().encode();
  for (std::size_t extra : {1u, 2u, 143u, 144u, 145u}) {
    Bytes longer = enc;
    longer.resize(enc.size() + extra, 0x00);
    auto dec = Transaction::decode(ByteSpan(longer));
    ASSERT_FALSE(dec.has_value()) << extra;
    EXPECT_EQ(dec.error(), DecodeError::kTrailingBytes) << extra;
  }
}

TEST(Tx, ReaderDecodeConsumesExactlyOneTransaction) {
  const Transaction a = distinctive_tx();
  Transaction b = a;
  b.nonce += 1;
  Writer w;
  a.encode(w);
  b.encode(w);
  Reader r(w.data());
  EXPECT_EQ(Transaction::decode(r), a);
  EXPECT_EQ(r.position(), Transaction::kSize);
  EXPECT_EQ(Transaction::decode(r), b);
  EXPECT_EQ(Transaction::decode(r).error(), DecodeError::kTruncated);
}

TEST(Tx, TxidIsSha256dOfTheEncoding) {
  const Transaction tx = distinctive_tx();
  EXPECT_EQ(tx.txid(), crypto::sha256d(tx.encode()));
}

TEST(Tx, SignatureHashIsTaggedHashOfTheUnsignedPart) {
  const Transaction tx = distinctive_tx();
  const Bytes enc = tx.encode();
  EXPECT_EQ(tx.signature_hash(), crypto::tagged_hash("Tally/TxSig", ByteSpan(enc).first(Transaction::kUnsignedSize)));
  // The signature itself is not committed to.
  Transaction other = tx;
  other.signature.bytes[0] ^= 1;
  EXPECT_EQ(other.signature_hash(), tx.signature_hash());
}

TEST(Tx, MakeTransferProducesAValidSignature) {
  const auto key = test_key(0x11);
  const Transaction tx = make_transfer(key, 7, test_address(0x22), 1000, 10, 3);
  EXPECT_EQ(tx.chain_id, 7u);
  EXPECT_EQ(tx.sender, key.public_key());
  EXPECT_EQ(tx.recipient, test_address(0x22));
  EXPECT_EQ(tx.amount, 1000u);
  EXPECT_EQ(tx.fee, 10u);
  EXPECT_EQ(tx.nonce, 3u);
  EXPECT_TRUE(tx.has_valid_signature());
  EXPECT_FALSE(tx.is_coinbase());
  // Survives the wire.
  auto dec = Transaction::decode(ByteSpan(tx.encode()));
  ASSERT_TRUE(dec.has_value());
  EXPECT_TRUE(dec->has_valid_signature());
}

TEST(Tx, ChangingAnySignedFieldInvalidatesTheSignature) {
  const Transaction tx = make_transfer(test_key(0x11), 7, test_address(0x22), 1000, 10, 3);
  ASSERT_TRUE(tx.has_valid_signature());
  const std::pair<const char*, std::function<void(Transaction&)>> mutations[] = {
      {"chain_id", [](Transaction& t) { t.chain_id ^= 1; }},
      {"sender", [](Transaction& t) { t.sender = test_key(0x33).public_key(); }},
      {"recipient", [](Transaction& t) { t.recipient.bytes[19] ^= 0x80; }},
      {"amount", [](Transaction& t) { t.amount += 1; }},
      {"fee", [](Transaction& t) { t.fee -= 1; }},
      {"nonce", [](Transaction& t) { t.nonce += 1; }},
      {"signature r", [](Transaction& t) { t.signature.bytes[0] ^= 1; }},
      {"signature s", [](Transaction& t) { t.signature.bytes[63] ^= 1; }},
  };
  for (const auto& [name, mutate] : mutations) {
    Transaction bad = tx;
    mutate(bad);
    EXPECT_FALSE(bad.has_valid_signature()) << name;
  }
}

TEST(Tx, EveryBitOfTheEncodingIsCoveredByTheSignature) {
  const Bytes enc = make_transfer(test_key(0x11), 7, test_address(0x22), 1000, 10, 3).encode();
  for (std::size_t byte = 0; byte < Transaction::kSize; ++byte) {
    Bytes flipped = enc;
    flipped[byte] ^= static_cast<std::uint8_t>(1u << (byte % 8));
    auto dec = Transaction::decode(ByteSpan(flipped));
    ASSERT_TRUE(dec.has_value());
    EXPECT_FALSE(dec->has_valid_signature()) << "byte " << byte;
  }
}

TEST(Tx, TxidCommitsToTheSignature) {
  const auto key = test_key(0x11);
  Transaction a = make_transfer(key, 7, test_address(0x22), 1000, 10, 3);
  Transaction b = a;
  std::array<std::uint8_t, 32> aux{};
  aux[0] = 1;
  b.signature = key.sign(b.signature_hash().span(), aux);
  ASSERT_NE(a.signature, b.signature);
  // Both are valid signatures of the same transfer, yet the txids differ.
  EXPECT_TRUE(a.has_valid_signature());
  EXPECT_TRUE(b.has_valid_signature());
  EXPECT_EQ(a.signature_hash(), b.signature_hash());
  EXPECT_NE(a.txid(), b.txid());
}

TEST(Tx, TxidChangesWithEveryField) {
  const Transaction base = distinctive_tx();
  std::set<TxId> ids = {base.txid()};
  Transaction t = base;
  t.chain_id += 1;
  ids.insert(t.txid());
  t = base;
  t.sender.bytes[5] ^= 1;
  ids.insert(t.txid());
  t = base;
  t.recipient.bytes[5] ^= 1;
  ids.insert(t.txid());
  t = base;
  t.amount += 1;
  ids.insert(t.txid());
  t = base;
  t.fee += 1;
  ids.insert(t.txid());
  t = base;
  t.nonce += 1;
  ids.insert(t.txid());
  t = base;
  t.signature.bytes[5] ^= 1;
  ids.insert(t.txid());
  EXPECT_EQ(ids.size(), 8u);
}

TEST(Tx, CoinbaseDetection) {
  const Transaction cb = make_coinbase(7, 42, test_address(0x22), 50);
  EXPECT_TRUE(cb.is_coinbase());
  EXPECT_EQ(cb.chain_id, 7u);
  EXPECT_EQ(cb.nonce, 42u);
  EXPECT_EQ(cb.amount, 50u);
  EXPECT_EQ(cb.fee, 0u);
  EXPECT_EQ(cb.recipient, test_address(0x22));
  EXPECT_TRUE(cb.sender.is_zero());
  EXPECT_TRUE(cb.signature.is_zero());
  EXPECT_FALSE(cb.has_valid_signature());
  EXPECT_FALSE(crypto::is_valid_public_key(cb.sender));

  // Coinbases of different heights have different txids (no BIP30-style duplicates).
  EXPECT_NE(cb.txid(), make_coinbase(7, 43, test_address(0x22), 50).txid());

  auto dec = Transaction::decode(ByteSpan(cb.encode()));
  ASSERT_TRUE(dec.has_value());
  EXPECT_TRUE(dec->is_coinbase());

  // Either a sender or a signature makes it an ordinary transaction.
  Transaction with_sig = cb;
  with_sig.signature.bytes[10] = 1;
  EXPECT_FALSE(with_sig.is_coinbase());
  Transaction with_sender = cb;
  with_sender.sender.bytes[31] = 1;
  EXPECT_FALSE(with_sender.is_coinbase());
  EXPECT_FALSE(make_transfer(test_key(0x11), 7, test_address(0x22), 1, 0, 0).is_coinbase());
}

TEST(Tx, RandomTransactionsRoundTripCanonically) {
  const std::uint64_t seed = test_util::testing_seed();
  SCOPED_TRACE(test_util::seed_trace(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000; ++i) {
    const Transaction tx = test_util::random_tx(rng);
    const Bytes enc = tx.encode();
    ASSERT_EQ(enc.size(), Transaction::kSize);
    auto dec = Transaction::decode(ByteSpan(enc));
    ASSERT_TRUE(dec.has_value()) << "iteration " << i << ": " << to_string(dec.error());
    ASSERT_EQ(*dec, tx) << "iteration " << i;
    ASSERT_EQ(dec->encode(), enc) << "iteration " << i;
    ASSERT_EQ(dec->txid(), tx.txid()) << "iteration " << i;
  }
}

}  // namespace
}  // namespace tally::ledger
