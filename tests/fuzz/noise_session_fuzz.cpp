// Fuzz target: the encrypted transport's records (crypto/noise.h) after BOLT 8's test
// handshake: arbitrary bytes opened as a record stream must never crash and, after the first
// bad tag, nothing more opens; whatever the input, sealing it and opening the records on the
// other side gives it back.
#include <algorithm>
#include <cstddef>
#include <utility>
#include <cstdint>

#include "crypto/noise.h"
#include "fuzz_check.h"
#include "fuzz_keys.h"

using namespace tally;
using namespace tally::crypto;

namespace {

// The two ends of BOLT 8's test handshake (initiator 0x11/0x12, responder 0x21/0x22).
std::pair<noise::Session, noise::Session> sessions() {
  const Bytes prologue = {'l', 'i', 'g', 'h', 't', 'n', 'i', 'n', 'g'};
  auto i = noise::Handshake::initiator(fuzz_key(0x11), fuzz_key(0x21).compressed_public_key(), prologue, fuzz_key(0x12)).value();
  auto r = noise::Handshake::responder(fuzz_key(0x21), prologue, fuzz_key(0x22));
  FUZZ_CHECK(r.feed(i.take_output()).has_value());
  FUZZ_CHECK(i.feed(r.take_output()).has_value());
  FUZZ_CHECK(r.feed(i.take_output()).has_value());
  FUZZ_CHECK(i.done() && r.done());
  return {i.take_session().value(), r.take_session().value()};
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::pair<noise::Session, noise::Session> fresh = sessions();  // copied for each input
  const ByteSpan in(data, size);
  {
    auto [sender, receiver] = fresh;
    Bytes out;
    const bool ok = receiver.open(in, out).has_value();
    if (!ok) FUZZ_CHECK(!receiver.open(sender.seal(Bytes{1, 2, 3}), out).has_value());
  }
  {
    auto [sender, receiver] = fresh;
    const Bytes sealed = sender.seal(in);
    Bytes out;
    FUZZ_CHECK(receiver.open(sealed, out).has_value());
    FUZZ_CHECK(out.size() == size && std::equal(out.begin(), out.end(), data));
  }
  return 0;
}
