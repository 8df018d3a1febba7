// Fuzz target: BlockHeader::decode on arbitrary bytes.
// Invariants: succeeds exactly on 116-byte inputs; re-encodes to the input; hash() is
// SHA-256d of the input and agrees with the miner's midstate shortcut.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "crypto/header_hasher.h"
#include "crypto/sha256.h"
#include "fuzz_check.h"
#include "ledger/block.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using ledger::BlockHeader;
  const ledger::ByteSpan in(data, size);
  auto h = BlockHeader::decode(in);
  FUZZ_CHECK(h.has_value() == (size == BlockHeader::kSize));
  if (!h) {
    FUZZ_CHECK(h.error() == (size < BlockHeader::kSize ? ledger::DecodeError::kTruncated
                                                       : ledger::DecodeError::kTrailingBytes));
    return 0;
  }
  const auto enc = h->encode();
  FUZZ_CHECK(std::equal(enc.begin(), enc.end(), data));
  const crypto::Hash256 hash = h->hash();
  FUZZ_CHECK(hash == crypto::sha256d(in));
  const crypto::Sha256dMidstate mid(in.first(BlockHeader::kMidstatePrefix));
  FUZZ_CHECK(mid.hash(in.subspan(BlockHeader::kMidstatePrefix)) == hash);
  return 0;
}
