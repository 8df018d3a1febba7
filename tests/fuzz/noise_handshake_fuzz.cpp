// Fuzz target: the encrypted transport's handshake (crypto/noise.h) as a listener sees it:
// arbitrary bytes, cut at an arbitrary point (the first byte of the input says where), fed to
// a responder with BOLT 8's test keys. Invariants: it never consumes more than it is given,
// an error is final, it only completes with a valid remote key, and only a completed
// handshake yields a session.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "crypto/noise.h"
#include "fuzz_check.h"
#include "fuzz_keys.h"

using namespace tally;
using namespace tally::crypto;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const Bytes prologue = {'l', 'i', 'g', 'h', 't', 'n', 'i', 'n', 'g'};
  static const SecretKey local = fuzz_key(0x21);
  static const SecretKey ephemeral = fuzz_key(0x22);
  noise::Handshake hs = noise::Handshake::responder(local, prologue, ephemeral);
  const ByteSpan in(data + 1, size - 1);
  const std::size_t cut = std::min<std::size_t>(data[0], in.size());
  bool failed = false;
  for (const ByteSpan part : {in.first(cut), in.subspan(cut)}) {
    auto used = hs.feed(part);
    if (!used) {
      failed = true;
      break;
    }
    FUZZ_CHECK(*used <= part.size());
    if (hs.done()) break;
  }
  if (failed) {
    FUZZ_CHECK(!hs.done());
    FUZZ_CHECK(!hs.feed(in.first(std::min<std::size_t>(1, in.size()))).has_value() || in.empty());  // final
  }
  if (hs.done()) {
    FUZZ_CHECK(is_valid_compressed_key(hs.remote_static()));
    FUZZ_CHECK(hs.take_session().has_value());
  } else {
    FUZZ_CHECK(!hs.take_session().has_value());
  }
  return 0;
}
