// Fuzz target: Block::decode on arbitrary bytes.
// Invariants: never crashes or over-allocates; a decoded block re-encodes to the input
// bytes, with encoded_size() equal to the input size; the transaction limit is enforced;
// the header is the one BlockHeader::decode reads from the first 116 bytes. Conversely a
// block built from the input's bytes round-trips and refuses every truncation.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "ledger/block.h"
#include "ledger/merkle.h"

using namespace tally;

namespace {

// The other direction: read the input as a header followed by whole transactions, build
// that block, and check that its encoding decodes back to it and that every cut of the
// encoding is refused as truncated. Blind mutation rarely keeps a block's count and body
// in step; this reaches every transaction count the input length allows.
void check_built_block(ledger::ByteSpan in) {
  using ledger::Block;
  if (in.size() < ledger::BlockHeader::kSize) return;
  Block built;
  built.header = *ledger::BlockHeader::decode(in.first(ledger::BlockHeader::kSize));
  ledger::Reader r(in.subspan(ledger::BlockHeader::kSize));
  while (r.remaining() >= ledger::Transaction::kSize) built.txs.push_back(*ledger::Transaction::decode(r));

  const ledger::Bytes enc = built.encode();
  FUZZ_CHECK(enc.size() == built.encoded_size());
  auto back = Block::decode(enc, built.txs.size());
  FUZZ_CHECK(back && *back == built);
  // A cut chosen by the leftover bytes (which the block did not use).
  const std::size_t cut = (r.remaining() > 0 ? in.back() * 131u + r.remaining() : 0) % enc.size();
  auto truncated = Block::decode(ledger::ByteSpan(enc).first(cut), ledger::kMaxBlockTxsDecode);
  FUZZ_CHECK(!truncated && truncated.error() == ledger::DecodeError::kTruncated);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ledger::Block;
  const ledger::ByteSpan in(data, size);
  check_built_block(in);

  auto block = Block::decode(in, ledger::kMaxBlockTxsDecode);
  if (!block) {
    FUZZ_CHECK(block.error() != ledger::DecodeError::kInvalidValue);
    return 0;
  }
  FUZZ_CHECK(block->txs.size() <= ledger::kMaxBlockTxsDecode);
  FUZZ_CHECK(block->encoded_size() == size);
  const ledger::Bytes enc = block->encode();
  FUZZ_CHECK(enc.size() == size && std::equal(enc.begin(), enc.end(), data));

  auto header = ledger::BlockHeader::decode(in.first(ledger::BlockHeader::kSize));
  FUZZ_CHECK(header.has_value() && *header == block->header);

  // A lower limit admits the block exactly when it is not exceeded.
  const std::size_t n = block->txs.size();
  if (n > 0) {
    auto tight = Block::decode(in, n - 1);
    FUZZ_CHECK(!tight && tight.error() == ledger::DecodeError::kSizeTooLarge);
  }
  auto exact = Block::decode(in, n);
  FUZZ_CHECK(exact && *exact == *block);

  const auto ids = block->txids();
  FUZZ_CHECK(ids.size() == n);
  FUZZ_CHECK(block->compute_tx_root() == ledger::merkle_root(ids));
  FUZZ_CHECK((n == 0) == block->compute_tx_root().is_zero());
  return 0;
}
