#include "ledger/transaction.h"

#include "crypto/parsed_key_cache.h"
#include "crypto/sha256.h"
#include "ledger/signature_cache.h"

namespace tally::ledger {

namespace {
void encode_unsigned(const Transaction& tx, Writer& w) {
  w.u32(tx.chain_id);
  w.fixed(tx.sender);
  w.fixed(tx.recipient);
  w.u64(tx.amount);
  w.u64(tx.fee);
  w.u64(tx.nonce);
}
}  // namespace

void Transaction::encode(Writer& w) const {
  encode_unsigned(*this, w);
  w.fixed(signature);
}

Bytes Transaction::encode() const {
  Writer w(kSize);
  encode(w);
  return w.take();
}

std::expected<Transaction, DecodeError> Transaction::decode(Reader& r) {
  if (r.remaining() < kSize) return std::unexpected(DecodeError::kTruncated);
  Transaction tx;
  TALLY_TRY(chain_id, r.u32());
  TALLY_TRY(sender, r.fixed<PublicKey>());
  TALLY_TRY(recipient, r.fixed<Address>());
  TALLY_TRY(amount, r.u64());
  TALLY_TRY(fee, r.u64());
  TALLY_TRY(nonce, r.u64());
  TALLY_TRY(signature, r.fixed<Signature>());
  tx.chain_id = chain_id;
  tx.sender = sender;
  tx.recipient = recipient;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.signature = signature;
  return tx;
}

std::expected<Transaction, DecodeError> Transaction::decode(ByteSpan in) {
  Reader r(in);
  TALLY_TRY(tx, decode(r));
  TALLY_CHECK(r.expect_end());
  return tx;
}

TxId Transaction::txid() const {
  Writer w(kSize);
  encode(w);
  return crypto::sha256d(w.data());
}

Hash256 Transaction::signature_hash() const {
  static const crypto::TaggedHasher hasher("Tally/TxSig");
  Writer w(kUnsignedSize);
  encode_unsigned(*this, w);
  return hasher.hash(w.data());
}

bool Transaction::has_valid_signature() const {
  // The simulator's process-wide record (off in tallyd): each signature verified once.
  SignatureCache& cache = SignatureCache::process();
  if (cache.enabled()) {
    const TxId id = txid();
    if (cache.contains(id)) return true;
    const bool ok = crypto::ParsedKeyCache::shared().verify(sender, signature_hash().span(), signature);
    if (ok) cache.insert(id);
    return ok;
  }
  // Senders sign again and again: their parsed keys are kept (see ParsedKeyCache).
  return crypto::ParsedKeyCache::shared().verify(sender, signature_hash().span(), signature);
}

Transaction make_transfer(const crypto::SecretKey& key, std::uint32_t chain_id, const Address& to, Amount amount,
                          Amount fee, std::uint64_t nonce) {
  Transaction tx;
  tx.chain_id = chain_id;
  tx.sender = key.public_key();
  tx.recipient = to;
  tx.amount = amount;
  tx.fee = fee;
  tx.nonce = nonce;
  tx.signature = key.sign(tx.signature_hash().span());
  return tx;
}

Transaction make_coinbase(std::uint32_t chain_id, std::uint32_t height, const Address& miner, Amount amount) {
  Transaction tx;
  tx.chain_id = chain_id;
  tx.recipient = miner;
  tx.amount = amount;
  tx.nonce = height;
  return tx;
}

}  // namespace tally::ledger
