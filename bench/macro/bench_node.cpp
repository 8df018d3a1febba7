// startup, idle-rss, rpc-read: one node of the embedded devnet spec.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <regex>
#include <thread>

#include "crypto/base64.h"
#include "bench/macro/benches.h"
#include "bench/macro/harness.h"

namespace tally::macro {

namespace json = boost::json;

namespace {

constexpr int kStartupRuns = 10;
const std::string kBlockCountBody = R"({"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[]})";

// Spawns a node and returns the milliseconds from fork to its first successful getblockcount,
// polling every 1 ms once the cookie exists. The RPC port is chosen here (free a moment ago)
// so the poll does not wait for node.json, which a node writes last.
double time_to_first_answer(const fs::path& dir, const std::string& name) {
  for (int attempt = 0;; ++attempt) {
    const std::uint16_t port = free_port();
    if (port == 0) throw BenchError("no free port");
    TallydOptions o = node_options(attempt == 0 ? name : name + "-" + std::to_string(attempt));
    o.rpc_port = port;
    Tallyd node(dir, o);
    node.spawn();
    const fs::path cookie = node.datadir() / ".cookie";
    std::unique_ptr<rpc::RpcClient> client;
    const auto deadline = node.spawned_at() + 30s;
    for (;;) {
      check_interrupt();
      if (!client && fs::exists(cookie)) {
        if (auto c = rpc::read_cookie(cookie)) client = std::make_unique<rpc::RpcClient>("127.0.0.1", port, *c, 1s);
      }
      if (client) {
        auto r = client->call("getblockcount", json::array{});
        if (r && r->is_int64()) {
          const double ms = ms_since(node.spawned_at());
          client.reset();
          node.stop();
          std::error_code ec;
          fs::remove_all(node.datadir(), ec);
          return ms;
        }
        if (!r && r.error().kind != rpc::RpcCallError::Kind::kTransport)
          throw BenchError(name + ": getblockcount failed: " + r.error().message);
      }
      if (!node.running()) {
        // Most likely the port was taken between free_port() and the bind: try another.
        if (attempt < 2) break;
        throw BenchError(name + ": tallyd exited; log:\n" + node.log_tail());
      }
      if (Clock::now() > deadline) throw BenchError(name + ": no RPC answer within 30 s; log:\n" + node.log_tail());
      std::this_thread::sleep_for(1ms);
    }
  }
}

struct WrkResult {
  double requests_per_s = 0;
  std::string latency_avg;
  std::uint64_t non_2xx = 0;
  std::string socket_errors;  // empty when none
};

std::optional<fs::path> find_wrk() {
  fs::path wrk = support::find_program("wrk");
  if (wrk.empty()) return std::nullopt;
  return wrk;
}

WrkResult run_wrk(const fs::path& wrk, const fs::path& dir, const fs::path& script, std::uint16_t port, int threads,
                  int connections) {
  const fs::path out = dir / ("wrk-c" + std::to_string(connections) + ".txt");
  support::Child p = spawn({wrk.string(), "-t" + std::to_string(threads), "-c" + std::to_string(connections), "-d5s",
                              "--timeout", "5s", "-s", script.string(), "http://127.0.0.1:" + std::to_string(port) + "/"},
                             out);
  std::optional<int> code;
  wait_until([&] { return !p.running(); }, 30s, 20ms);
  code = p.stop(1s);
  forget_child(p.pid());
  const std::string text = read_text(out);
  if (code.value_or(-1) != 0) throw BenchError("wrk failed (exit " + std::to_string(code.value_or(-1)) + "):\n" + text);
  WrkResult r;
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(R"(Requests/sec:\s*([0-9.]+))")))
    throw BenchError("cannot find Requests/sec in wrk's output:\n" + text);
  r.requests_per_s = std::stod(m[1]);
  if (std::regex_search(text, m, std::regex(R"(Latency\s+([0-9.]+[a-z]+))"))) r.latency_avg = m[1];
  if (std::regex_search(text, m, std::regex(R"(Non-2xx or 3xx responses:\s*([0-9]+))"))) r.non_2xx = std::stoull(m[1]);
  if (std::regex_search(text, m, std::regex(R"(Socket errors:([^\n]*))"))) r.socket_errors = m[1];
  return r;
}

// The fallback without wrk: `connections` threads, each with one keep-alive RpcClient.
double run_threads(const Tallyd& node, int connections, std::uint64_t& failures) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> ok{0}, bad{0};
  std::latch ready(connections + 1);
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&] {
      rpc::RpcClient c = node.client(5s);
      ready.arrive_and_wait();
      std::uint64_t mine = 0, wrong = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        auto r = c.post(kBlockCountBody);
        if (r && r->first == 200) ++mine;
        else ++wrong;
      }
      ok += mine;
      bad += wrong;
    });
  }
  ready.arrive_and_wait();
  const auto t0 = Clock::now();
  try {
    sleep_for(5s);
  } catch (...) {
    stop = true;
    for (auto& t : threads) t.join();
    throw;
  }
  stop = true;
  for (auto& t : threads) t.join();
  failures = bad.load();
  return static_cast<double>(ok.load()) / (ms_since(t0) / 1000.0);
}

// Posts getblockcount and insists on HTTP 200 with an integer "result".
void check_sample(const Tallyd& node) {
  rpc::RpcClient c = node.client(5s);
  auto r = c.post(kBlockCountBody);
  if (!r) throw BenchError("sample getblockcount: " + r.error().message);
  if (r->first != 200) throw BenchError("sample getblockcount: HTTP " + std::to_string(r->first) + ": " + r->second);
  boost::system::error_code ec;
  auto v = json::parse(r->second, ec);
  const json::value* res = !ec && v.is_object() ? v.as_object().if_contains("result") : nullptr;
  if (res == nullptr || !res->is_int64())
    throw BenchError("sample getblockcount: not a valid result: " + r->second);
}

}  // namespace

void bench_startup() {
  const auto dir = temp_dir("tally-macro-startup");
  std::vector<double> ms;
  for (int i = 0; i < kStartupRuns; ++i) {
    ms.push_back(time_to_first_answer(dir.path(), "start" + std::to_string(i)));
    if (options().verbose) std::cerr << "  run " << i << ": " << fmt(ms.back()) << " ms\n";
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"spawn -> first getblockcount", std::to_string(ms.size()), fmt(median(ms)), fmt(min_of(ms)),
                  fmt(max_of(ms))});
  print_table("startup (fresh datadir, devnet spec)", {"measure", "runs", "median ms", "min ms", "max ms"}, rows);
  json::array samples;
  for (double v : ms) samples.push_back(json::value(std::round(v * 100) / 100));
  print_json_line("startup", {{"runs", ms.size()},
                              {"median_ms", median(ms)},
                              {"min_ms", min_of(ms)},
                              {"max_ms", max_of(ms)},
                              {"samples_ms", samples}});
  bench_idle_rss();
}

void bench_idle_rss() {
  const auto dir = temp_dir("tally-macro-idle");
  Tallyd node(dir.path(), node_options("idle"));
  node.start();
  const auto at = node.spawned_at() + 3s;
  while (Clock::now() < at) sleep_for(10ms);
  const auto rss = proc_status_kib(node.pid(), "VmRSS");
  const auto hwm = proc_status_kib(node.pid(), "VmHWM");
  const auto threads = [&] {
    std::uint64_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(node.pid()) + "/task", ec);
         !ec && it != fs::directory_iterator(); ++it)
      ++n;
    return n;
  }();
  if (!rss || !hwm) throw BenchError("cannot read /proc/" + std::to_string(node.pid()) + "/status");
  print_table("idle-rss (one idle devnet node, 3 s after spawn)", {"measure", "MiB"},
              {{"VmRSS", fmt(kib_to_mib(*rss))}, {"VmHWM (peak)", fmt(kib_to_mib(*hwm))}});
  std::cout << "  threads: " << threads << "\n";
  print_json_line("idle-rss", {{"rss_mib", kib_to_mib(*rss)}, {"hwm_mib", kib_to_mib(*hwm)}, {"threads", threads}});
}

void bench_rpc_read() {
  const auto dir = temp_dir("tally-macro-rpcread");
  Tallyd node(dir.path(), node_options("rpc"));
  node.start();
  check_sample(node);
  const auto wrk = options().no_wrk ? std::nullopt : find_wrk();
  struct Row {
    int connections;
    int threads;
    double rps;
    std::string latency;
    std::uint64_t failures;
    std::string socket_errors;
  };
  std::vector<Row> rows;
  const std::string tool = wrk                ? "wrk"
                           : options().no_wrk ? "C++ client threads (--no-wrk)"
                                              : "C++ client threads (wrk not found)";
  if (!wrk && !options().no_wrk)
    std::cout << "  note: wrk not found (apt-get install wrk); falling back to C++ client threads\n";
  const fs::path script = dir / "post.lua";
  if (wrk) {
    const std::string auth = "Basic " + crypto::base64_encode(node.credentials().user + ":" + node.credentials().password);
    write_text(script, "wrk.method = \"POST\"\n"
                       "wrk.body = '" + kBlockCountBody + "'\n"
                       "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                       "wrk.headers[\"Authorization\"] = \"" + auth + "\"\n");
  }
  for (const int conns : {1, 8}) {
    check_interrupt();
    const int threads = conns == 1 ? 1 : 2;
    if (wrk) {
      const auto r = run_wrk(*wrk, dir.path(), script, node.rpc_port(), threads, conns);
      rows.push_back({conns, threads, r.requests_per_s, r.latency_avg, r.non_2xx, r.socket_errors});
    } else {
      std::uint64_t failures = 0;
      const double rps = run_threads(node, conns, failures);
      rows.push_back({conns, conns, rps, "", failures, ""});
    }
    check_sample(node);  // still answering correctly after the load
  }
  std::vector<std::vector<std::string>> table;
  json::array results;
  for (const auto& r : rows) {
    table.push_back({std::to_string(r.connections), std::to_string(r.threads), fmt(r.rps, 0),
                     r.latency.empty() ? "-" : r.latency, std::to_string(r.failures),
                     r.socket_errors.empty() ? "-" : r.socket_errors});
    results.push_back(json::object{{"connections", r.connections},
                                   {"client_threads", r.threads},
                                   {"requests_per_s", std::round(r.rps)},
                                   {"latency_avg", r.latency},
                                   {"failed_responses", r.failures}});
  }
  print_table("rpc-read: getblockcount over keep-alive connections, 5 s each (" + tool + ")",
              {"connections", "client threads", "requests/s", "avg latency", "non-2xx", "socket errors"}, table);
  print_json_line("rpc-read", {{"tool", tool}, {"runs", results}});
  for (const auto& r : rows)
    if (r.failures > 0) throw BenchError("rpc-read: " + std::to_string(r.failures) + " responses were not HTTP 200");
}

}  // namespace tally::macro
