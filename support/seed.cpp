#include "support/seed.h"

#include <cerrno>
#include <cstdlib>
#include <random>

namespace tally::support {

std::expected<Seed, std::string> test_seed() {
  Seed s;
  if (const char* env = std::getenv(kSeedVariable); env != nullptr && *env != '\0') {
    char* end = nullptr;
    errno = 0;
    s.value = std::strtoull(env, &end, 0);
    if (errno != 0 || end == env || *end != '\0' || *env == '-')
      return std::unexpected(std::string(kSeedVariable) + "='" + env + "' is not an unsigned 64-bit number");
  } else {
    std::random_device rd;
    s.value = (std::uint64_t{rd()} << 32) ^ rd();
  }
  s.trace = std::string(kSeedVariable) + "=" + std::to_string(s.value);
  return s;
}

}  // namespace tally::support
