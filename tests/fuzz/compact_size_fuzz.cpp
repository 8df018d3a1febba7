// Fuzz target: a run of compact-sizes read with Reader::compact_size.
// Invariants: a decoded value re-encodes to exactly the bytes consumed (only minimal forms
// are accepted); values above the limit are refused; on error nothing is consumed beyond
// the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "fuzz_check.h"
#include "ledger/encoding.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ledger::ByteSpan in(data, size);
  // First pass without a limit: every value must round-trip byte for byte.
  ledger::Reader r(in);
  while (r.remaining() > 0) {
    const std::size_t start = r.position();
    auto v = r.compact_size(std::numeric_limits<std::uint64_t>::max());
    if (!v) {
      FUZZ_CHECK(v.error() == ledger::DecodeError::kTruncated || v.error() == ledger::DecodeError::kNonMinimalSize);
      break;
    }
    ledger::Writer w;
    w.compact_size(*v);
    const std::size_t used = r.position() - start;
    FUZZ_CHECK(w.data().size() == used);
    FUZZ_CHECK(std::equal(w.data().begin(), w.data().end(), data + start));

    // The same bytes under the default limit: accepted exactly when within it.
    ledger::Reader limited(in.subspan(start, used));
    auto lv = limited.compact_size();
    if (*v <= ledger::kMaxCompactSize) {
      FUZZ_CHECK(lv && *lv == *v);
    } else {
      FUZZ_CHECK(!lv && lv.error() == ledger::DecodeError::kSizeTooLarge);
    }
  }
  FUZZ_CHECK(r.position() <= size);

  // var_bytes never allocates more than the input holds.
  ledger::Reader vr(in);
  auto vb = vr.var_bytes(ledger::kMaxCompactSize);
  if (vb) FUZZ_CHECK(vb->size() <= size && vr.position() <= size);
  return 0;
}
