#include "crypto/random.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace tally::crypto {

void random_bytes(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::fputs("fatal: getrandom() failed; no secure randomness available\n", stderr);
      std::abort();
    }
    done += static_cast<std::size_t>(n);
  }
}

std::uint64_t random_u64() {
  std::uint64_t v;
  random_bytes(std::span(reinterpret_cast<std::uint8_t*>(&v), sizeof v));
  return v;
}

}  // namespace tally::crypto
