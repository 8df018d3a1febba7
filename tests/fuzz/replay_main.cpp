// Driver that runs a libFuzzer-style target without libFuzzer, so every build (GCC
// included) exercises the fuzz targets under ctest:
//
//   <name>_replay <corpus dir or file>...
//
// 1. Runs every file of the corpus (directories are read one level deep, in name order).
// 2. Runs TALLY_FUZZ_ITERATIONS (default 20,000) deterministic pseudo-random inputs: random
//    byte strings and mutations of corpus entries (bit flips, interesting bytes, inserts,
//    erases, truncations, splices, bytes borrowed from other entries so text alphabets
//    survive). Everything derives from TALLY_SEED (default fixed), printed at start.
//    A wall-clock cap (TALLY_FUZZ_SECONDS, default 20) bounds slow builds.
//
// On a crash or violated invariant (abort), the input is printed in hex with its seed and
// iteration, so `TALLY_SEED=<seed>` reproduces it; save it to a file and pass that file to
// replay it alone.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// Optional, as in libFuzzer: a target that defines it is set up by it before the first input.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

using Input = std::vector<std::uint8_t>;

constexpr std::uint64_t kDefaultSeed = 0x7a11'f022'0000'0001;
constexpr std::uint64_t kDefaultIterations = 20'000;
constexpr std::uint64_t kDefaultSeconds = 20;
constexpr std::size_t kMaxInputSize = 4096;  // libFuzzer's default -max_len

// What the crash handler prints. Written before each run; read only in the handler.
const Input* g_current = nullptr;
const char* g_current_label = "";
std::uint64_t g_seed = 0;
std::uint64_t g_iteration = 0;

void write_str(const char* s) {
  const std::size_t n = std::char_traits<char>::length(s);
  if (::write(STDERR_FILENO, s, n) < 0) return;
}
void write_u64(std::uint64_t v) {
  char buf[24];
  int i = 23;
  buf[i] = '\0';
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  write_str(buf + i);
}

// Async-signal-safe: only write(2).
extern "C" void on_crash(int sig) {
  write_str("\n==== fuzz replay: crash (signal ");
  write_u64(static_cast<std::uint64_t>(sig));
  write_str(") on ");
  write_str(g_current_label);
  write_str(", TALLY_SEED=");
  write_u64(g_seed);
  write_str(" iteration ");
  write_u64(g_iteration);
  write_str("\ninput (");
  if (g_current != nullptr) {
    write_u64(g_current->size());
    write_str(" bytes, hex):\n");
    static constexpr char kDigits[] = "0123456789abcdef";
    char pair[2];
    for (std::uint8_t b : *g_current) {
      pair[0] = kDigits[b >> 4];
      pair[1] = kDigits[b & 0x0f];
      if (::write(STDERR_FILENO, pair, 2) < 0) break;
    }
  } else {
    write_str("unknown)");
  }
  write_str("\n");
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::uint64_t env_u64(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 0);
}

// Reads at most kMaxInputSize bytes, as libFuzzer does with -max_len.
bool read_file(const std::filesystem::path& p, Input& out) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) return false;
  out.resize(kMaxInputSize);
  const std::size_t n = std::fread(out.data(), 1, out.size(), f);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  out.resize(n);
  return ok;
}

void run_one(const Input& in, const char* label) {
  g_current = &in;
  g_current_label = label;
  // A distinct heap copy, so reads past the end are caught by sanitizers as with libFuzzer.
  std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[in.size() == 0 ? 1 : in.size()]);
  std::copy(in.begin(), in.end(), copy.get());
  LLVMFuzzerTestOneInput(copy.get(), in.size());
  g_current = nullptr;
}

class Mutator {
 public:
  Mutator(std::uint64_t seed, const std::vector<Input>& corpus) : rng_(seed), corpus_(corpus) {}

  Input next() {
    if (corpus_.empty() || rng_() % 8 == 0) return random_input();
    Input in = corpus_[rng_() % corpus_.size()];
    const int rounds = 1 + static_cast<int>(rng_() % 4);
    for (int i = 0; i < rounds; ++i) mutate(in);
    if (in.size() > kMaxInputSize) in.resize(kMaxInputSize);
    return in;
  }

 private:
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n); }

  Input random_input() {
    // Mostly short inputs, sometimes up to the maximum.
    const std::size_t len = rng_() % 4 == 0 ? below(kMaxInputSize + 1) : below(300);
    Input in(len);
    for (auto& b : in) b = static_cast<std::uint8_t>(rng_());
    return in;
  }

  // Lengths of typical fields and records (ints, keys, hashes, a transaction), so erasing
  // or repeating a chunk often keeps a structured input well-formed; else 1..16.
  std::size_t chunk_length() {
    static constexpr std::size_t kLengths[] = {1, 2, 4, 8, 20, 32, 64, 144};
    return rng_() % 2 ? kLengths[below(std::size(kLengths))] : 1 + below(16);
  }

  // A byte taken from a random corpus entry (keeps text targets inside their alphabet).
  std::uint8_t borrowed_byte() {
    const Input& src = corpus_[below(corpus_.size())];
    return src.empty() ? static_cast<std::uint8_t>(rng_()) : src[below(src.size())];
  }

  void mutate(Input& in) {
    static constexpr std::uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xfc, 0xfd, 0xfe, 0xff};
    switch (rng_() % 10) {
      case 0:  // flip a bit
        if (!in.empty()) in[below(in.size())] ^= static_cast<std::uint8_t>(1u << (rng_() % 8));
        break;
      case 1:  // an interesting byte
        if (!in.empty()) in[below(in.size())] = kInteresting[below(std::size(kInteresting))];
        break;
      case 2:  // a random byte, or a small step up or down (counts, lengths)
        if (in.empty()) break;
        if (rng_() % 2) {
          in[below(in.size())] = static_cast<std::uint8_t>(rng_());
        } else {
          in[below(in.size())] += static_cast<std::uint8_t>(rng_() % 2 ? 1 + below(4) : 256 - 1 - below(4));
        }
        break;
      case 3:  // a byte from the corpus
        if (!in.empty()) in[below(in.size())] = borrowed_byte();
        break;
      case 4:  // insert bytes
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(below(in.size() + 1)), 1 + below(8), borrowed_byte());
        break;
      case 5: {  // erase a range
        if (in.empty()) break;
        const std::size_t at = below(in.size());
        const std::size_t n = std::min(in.size() - at, chunk_length());
        in.erase(in.begin() + static_cast<std::ptrdiff_t>(at), in.begin() + static_cast<std::ptrdiff_t>(at + n));
        break;
      }
      case 6:  // truncate
        in.resize(below(in.size() + 1));
        break;
      case 7: {  // append or splice in part of another entry
        const Input& other = corpus_[below(corpus_.size())];
        if (other.empty()) break;
        const std::size_t from = below(other.size());
        const std::size_t n = 1 + below(other.size() - from);
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(below(in.size() + 1)),
                  other.begin() + static_cast<std::ptrdiff_t>(from),
                  other.begin() + static_cast<std::ptrdiff_t>(from + n));
        break;
      }
      case 8: {  // copy a chunk of itself to the end or back in place (repeated records)
        if (in.empty()) break;
        const std::size_t from = below(in.size());
        const std::size_t n = std::min(in.size() - from, chunk_length());
        const Input chunk(in.begin() + static_cast<std::ptrdiff_t>(from),
                          in.begin() + static_cast<std::ptrdiff_t>(from + n));
        const std::size_t to = rng_() % 2 ? in.size() : from;
        in.insert(in.begin() + static_cast<std::ptrdiff_t>(to), chunk.begin(), chunk.end());
        break;
      }
      default: {  // overwrite a little-endian word with a boundary value
        if (in.size() < 4) break;
        const std::size_t at = below(in.size() - 3);
        const std::uint32_t v = rng_() % 2 ? static_cast<std::uint32_t>(rng_() % 0x20000) : ~0u >> (rng_() % 32);
        for (int i = 0; i < 4; ++i) in[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  const std::vector<Input>& corpus_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, on_crash);
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);

  g_seed = env_u64("TALLY_SEED", kDefaultSeed);
  const std::uint64_t iterations = env_u64("TALLY_FUZZ_ITERATIONS", kDefaultIterations);
  const auto budget = std::chrono::seconds(env_u64("TALLY_FUZZ_SECONDS", kDefaultSeconds));
  std::printf("fuzz replay: TALLY_SEED=%llu, %llu generated inputs\n", static_cast<unsigned long long>(g_seed),
              static_cast<unsigned long long>(iterations));

  std::vector<Input> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());
    } else {
      files.push_back(arg);
    }
    if (ec) {
      std::fprintf(stderr, "cannot read %s: %s\n", argv[i], ec.message().c_str());
      return 2;
    }
    for (const auto& f : files) {
      Input in;
      if (!read_file(f, in)) {
        std::fprintf(stderr, "cannot read %s\n", f.c_str());
        return 2;
      }
      corpus.push_back(std::move(in));
      run_one(corpus.back(), f.c_str());
    }
  }
  std::printf("replayed %zu corpus files\n", corpus.size());

  Mutator mutator(g_seed, corpus);
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t done = 0;
  for (; done < iterations; ++done) {
    // Checking the clock every 256 inputs keeps its cost out of the loop.
    if (done % 256 == 0 && std::chrono::steady_clock::now() - start > budget) {
      std::printf("time budget reached\n");
      break;
    }
    g_iteration = done;
    const Input in = mutator.next();
    run_one(in, "generated input");
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ran %llu generated inputs in %.2f s: no crash\n", static_cast<unsigned long long>(done), secs);
  return 0;
}
