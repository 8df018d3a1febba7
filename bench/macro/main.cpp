// tally-macro: macro benchmarks over real tallyd processes. See docs/BENCHMARKS.md.
//
//   tally-macro <startup|idle-rss|rpc-read|rpc-send|propagation|sync|devnet-rss|all>
//               [--tallyd PATH] [--source-dir DIR] [--keep-tmp] [--no-wrk] [--verbose]
#include <unistd.h>

#include <iostream>
#include <map>
#include <thread>

#include "bench/macro/benches.h"
#include "bench/macro/harness.h"

namespace {

using namespace tally::macro;

struct Bench {
  const char* name;
  void (*run)();
  const char* what;
};

const std::vector<Bench>& benches() {
  static const std::vector<Bench> all = {
      {"startup", bench_startup, "spawn -> first RPC answer (10 runs), then idle-rss"},
      {"idle-rss", bench_idle_rss, "RSS of one idle node 3 s after start"},
      {"rpc-read", bench_rpc_read, "getblockcount/s over 1 and 8 keep-alive connections (wrk)"},
      {"rpc-send", bench_rpc_send, "sendrawtransaction tx/s: 1 per request and batches of 100"},
      {"propagation", bench_propagation, "block propagation along 8 nodes, empty and 1,000-tx blocks"},
      {"sync", bench_sync, "fresh node syncs 1,000 blocks x 200 transactions"},
      {"devnet-rss", bench_devnet_rss, "RSS of each node of an 8-node mining devnet after 20 s"},
  };
  return all;
}

int usage(int code) {
  std::cerr << "usage: tally-macro <benchmark|all> [--tallyd PATH] [--source-dir DIR] [--keep-tmp] [--no-wrk] [--verbose]\n\n"
               "  --tallyd PATH      the daemon (default: the one built with this harness)\n"
               "  --source-dir DIR   the source tree, for genesis/devnet.json\n"
               "  --keep-tmp         keep the temp datadirs (logs, event logs) for inspection\n"
               "  --no-wrk           rpc-read with C++ client threads even if wrk is installed\n"
               "  --verbose          progress on stderr\n\nbenchmarks:\n";
  for (const auto& b : benches()) std::cerr << "  " << b.name << std::string(14 - std::string(b.name).size(), ' ') << b.what << "\n";
  std::cerr << "  all           every benchmark above (startup includes idle-rss)\n";
  return code;
}

// Runs one benchmark with a watchdog deadline; true on success.
bool run_one(const Bench& b, std::vector<std::pair<std::string, std::string>>& summary) {
  std::cout << "\n### " << b.name << " — " << b.what << "  (load average " << load_average() << ")\n" << std::flush;
  set_bench_deadline(Clock::now() + 8min);
  const auto t0 = Clock::now();
  std::string status;
  try {
    b.run();
    status = "ok";
  } catch (const BenchError& e) {
    status = std::string("FAILED: ") + e.what();
  } catch (const std::exception& e) {
    status = std::string("FAILED (unexpected): ") + e.what();
  }
  set_bench_deadline({});
  const std::string took = fmt(ms_since(t0) / 1000.0, 1) + " s";
  if (status != "ok") std::cout << "\n!! " << b.name << " " << status << "\n";
  std::cout << "  (" << b.name << " took " << took << ")\n" << std::flush;
  summary.emplace_back(b.name, (status == "ok" ? "ok" : "FAILED") + std::string(", ") + took);
  return status == "ok";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(2);
  const std::string command = argv[1];
  Options opt;
#ifdef TALLYD_PATH
  opt.tallyd = TALLYD_PATH;
#endif
#ifdef TALLY_SOURCE_DIR
  opt.source_dir = TALLY_SOURCE_DIR;
#endif
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--tallyd" && i + 1 < argc) opt.tallyd = argv[++i];
    else if (a == "--source-dir" && i + 1 < argc) opt.source_dir = argv[++i];
    else if (a == "--keep-tmp") opt.keep_tmp = true;
    else if (a == "--verbose" || a == "-v") opt.verbose = true;
    else if (a == "--no-wrk") opt.no_wrk = true;
    else if (a == "--help" || a == "-h") return usage(0);
    else {
      std::cerr << "unknown argument: " << a << "\n";
      return usage(2);
    }
  }
  if (command == "--help" || command == "-h" || command == "help") return usage(0);
  if (opt.tallyd.empty() || ::access(opt.tallyd.c_str(), X_OK) != 0) {
    std::cerr << "tallyd not found or not executable: '" << opt.tallyd.string() << "' (use --tallyd PATH)\n";
    return 2;
  }
  if (!fs::exists(opt.source_dir / "genesis" / "devnet.json")) {
    std::cerr << "genesis/devnet.json not found under '" << opt.source_dir.string() << "' (use --source-dir DIR)\n";
    return 2;
  }
  set_options(opt);
  install_signal_handlers();

  std::vector<const Bench*> selected;
  for (const auto& b : benches()) {
    if (command == "all" ? std::string(b.name) != "idle-rss" : command == b.name) selected.push_back(&b);
  }
  if (selected.empty()) {
    std::cerr << "unknown benchmark: " << command << "\n";
    return usage(2);
  }
  std::cout << "tally-macro: tallyd " << opt.tallyd.string() << "; " << std::thread::hardware_concurrency()
            << " CPUs; load average " << load_average() << "\n";

  std::vector<std::pair<std::string, std::string>> summary;
  bool ok = true;
  for (const Bench* b : selected) {
    ok = run_one(*b, summary) && ok;
    try {
      check_interrupt();
    } catch (const BenchError&) {
      std::cout << "interrupted\n";
      return 130;
    }
  }
  if (selected.size() > 1) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, s] : summary) rows.push_back({name, s});
    print_table("summary", {"benchmark", "status"}, rows);
  }
  return ok ? 0 : 1;
}
