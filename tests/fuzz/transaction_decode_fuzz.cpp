// Fuzz target: Transaction::decode on arbitrary bytes.
// Invariants: never crashes; succeeds exactly on 144-byte inputs; a decoded transaction
// re-encodes to the input bytes (the encoding is canonical); the Reader overload agrees.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "crypto/sha256.h"
#include "fuzz_check.h"
#include "ledger/transaction.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ledger::ByteSpan in(data, size);
  auto tx = ledger::Transaction::decode(in);
  FUZZ_CHECK(tx.has_value() == (size == ledger::Transaction::kSize));
  if (!tx) {
    FUZZ_CHECK(tx.error() == (size < ledger::Transaction::kSize ? ledger::DecodeError::kTruncated
                                                                : ledger::DecodeError::kTrailingBytes));
  }

  // The streaming overload reads one transaction from the front of any long-enough input.
  ledger::Reader r(in);
  auto first = ledger::Transaction::decode(r);
  FUZZ_CHECK(first.has_value() == (size >= ledger::Transaction::kSize));
  if (!first) return 0;
  FUZZ_CHECK(r.position() == ledger::Transaction::kSize);
  const ledger::Bytes enc = first->encode();
  FUZZ_CHECK(enc.size() == ledger::Transaction::kSize);
  FUZZ_CHECK(std::equal(enc.begin(), enc.end(), data));
  if (tx) FUZZ_CHECK(*tx == *first);

  FUZZ_CHECK(first->txid() == crypto::sha256d(in.first(ledger::Transaction::kSize)));
  // Arbitrary keys and signatures must be rejected cleanly, never crash libsecp256k1.
  const bool valid = first->has_valid_signature();
  if (first->is_coinbase()) FUZZ_CHECK(!valid);
  return 0;
}
