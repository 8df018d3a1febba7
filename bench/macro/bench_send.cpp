// rpc-send: sendrawtransaction throughput of one node, against the raw verify rate of one
// core and of two, measured in the same run.
#include <atomic>
#include <cmath>
#include <iostream>
#include <latch>
#include <mutex>
#include <thread>

#include "bench/macro/benches.h"
#include "bench/macro/harness.h"
#include "bench/macro/txgen.h"
#include "crypto/keys.h"

namespace tally::macro {

namespace json = boost::json;

namespace {

constexpr std::size_t kPerKey = 2000;  // 20,000 transactions
constexpr int kClientThreads = 4;
constexpr std::size_t kBatch = 100;
struct SendOutcome {
  std::uint64_t accepted = 0;
  std::uint64_t rejected = 0;
  std::string first_error;
  double seconds = 0;
  double node_cpu_s = 0;    // the node's CPU while the clients sent
  double client_cpu_s = 0;  // this process's (the four clients')
  std::int64_t mempool_size = -1;
  std::int64_t mempool_ready = -1;
};

// Counts "result" and "error" entries of one response object.
void tally_response(const json::value& v, std::uint64_t& ok, std::uint64_t& bad, std::string& first_error) {
  if (!v.is_object()) {
    ++bad;
    if (first_error.empty()) first_error = "not a JSON-RPC response: " + json::serialize(v);
    return;
  }
  const auto& o = v.as_object();
  if (o.contains("result")) {
    ++ok;
    return;
  }
  ++bad;
  if (first_error.empty()) first_error = o.contains("error") ? json::serialize(o.at("error")) : json::serialize(v);
}

// One fresh node; each client thread posts its own bodies (in order) on one keep-alive connection.
SendOutcome run_mode(const std::string& label, const std::vector<std::vector<std::string>>& bodies_per_thread) {
  const auto dir = temp_dir("tally-macro-send");
  const fs::path spec = write_bench_chain_spec(dir / "chain.json");
  Tallyd node(dir.path(), node_options("send", spec));
  node.start();

  std::vector<SendOutcome> per(bodies_per_thread.size());
  std::atomic<bool> abort{false};
  std::latch ready(static_cast<std::ptrdiff_t>(bodies_per_thread.size()));
  std::latch go(1);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < bodies_per_thread.size(); ++t) {
    threads.emplace_back([&, t] {
      rpc::RpcClient c = node.client(60s);
      SendOutcome& out = per[t];
      ready.count_down();
      go.wait();
      for (const auto& body : bodies_per_thread[t]) {
        if (abort.load(std::memory_order_relaxed)) break;
        auto r = c.post(body);
        if (!r || r->first != 200) {
          out.first_error = !r ? "transport: " + r.error().message
                               : "HTTP " + std::to_string(r->first) + ": " + r->second.substr(0, 300);
          abort = true;
          break;
        }
        boost::system::error_code ec;
        auto v = json::parse(r->second, ec);
        if (ec) {
          out.first_error = "unparsable response: " + r->second.substr(0, 300);
          abort = true;
          break;
        }
        if (v.is_array())
          for (const auto& one : v.as_array()) tally_response(one, out.accepted, out.rejected, out.first_error);
        else
          tally_response(v, out.accepted, out.rejected, out.first_error);
      }
    });
  }
  ready.wait();
  const auto node_cpu0 = proc_cpu_seconds(node.pid());
  const auto client_cpu0 = proc_cpu_seconds(0);
  const auto t0 = Clock::now();
  go.count_down();
  for (auto& th : threads) th.join();
  SendOutcome total;
  total.seconds = ms_since(t0) / 1000.0;
  total.node_cpu_s = proc_cpu_seconds_since(node.pid(), node_cpu0);  // -1: unreadable
  total.client_cpu_s = proc_cpu_seconds_since(0, client_cpu0);
  for (const auto& o : per) {
    total.accepted += o.accepted;
    total.rejected += o.rejected;
    if (total.first_error.empty()) total.first_error = o.first_error;
  }
  if (abort) throw BenchError("rpc-send (" + label + "): " + total.first_error);
  const auto info = node.call("getmempoolinfo");
  if (info.is_object()) {
    const auto& o = info.as_object();
    if (const auto* s = o.if_contains("size"); s && s->is_int64()) total.mempool_size = s->as_int64();
    if (const auto* r = o.if_contains("ready"); r && r->is_int64()) total.mempool_ready = r->as_int64();
  }
  return total;
}

}  // namespace

void bench_rpc_send() {
  std::cout << "  signing " << kPerKey * kDevnetKeys << " transactions ..." << std::flush;
  const auto t_sign = Clock::now();
  const auto txs = sign_transfers(kPerKey);
  std::cout << " " << fmt(ms_since(t_sign) / 1000.0, 1) << " s\n";
  const double verify_rate = raw_verify_rate(txs, 1);
  const double verify_rate2 = raw_verify_rate(txs, 2);

  // Thread t sends the transactions of the keys k with k % 4 == t, in (nonce, key) order, so
  // every sender's nonces arrive in order. Keys 0..9 over 4 threads: 3, 3, 2 and 2 senders.
  std::vector<std::vector<std::string>> hexes(kClientThreads);
  for (std::size_t i = 0; i < txs.size(); ++i) hexes[(i % kDevnetKeys) % kClientThreads].push_back(tx_hex(txs[i]));
  std::vector<std::vector<std::string>> single(kClientThreads), batched(kClientThreads);
  for (int t = 0; t < kClientThreads; ++t) {
    for (std::size_t i = 0; i < hexes[t].size(); ++i) single[t].push_back(send_request(hexes[t][i], i));
    for (std::size_t i = 0; i < hexes[t].size(); i += kBatch)
      batched[t].push_back(send_batch(hexes[t], i, std::min(i + kBatch, hexes[t].size())));
  }

  struct Row {
    std::string mode;
    SendOutcome o;
  };
  std::vector<Row> rows;
  rows.push_back({"1 tx per request", run_mode("single", single)});
  rows.push_back({"batches of 100", run_mode("batch", batched)});

  std::vector<std::vector<std::string>> table;
  json::array runs;
  for (const auto& r : rows) {
    const double rate = static_cast<double>(r.o.accepted) / r.o.seconds;
    table.push_back({r.mode, std::to_string(r.o.accepted), std::to_string(r.o.rejected), fmt(r.o.seconds, 2),
                     fmt(rate, 0), fmt(rate / verify_rate, 2), fmt(rate / verify_rate2, 2), std::to_string(r.o.mempool_size),
                     fmt(r.o.node_cpu_s, 2), fmt(r.o.client_cpu_s, 2),
                     r.o.node_cpu_s < 0 || r.o.client_cpu_s < 0
                         ? "?"
                         : fmt((r.o.node_cpu_s + r.o.client_cpu_s) / r.o.seconds, 2)});
    runs.push_back(json::object{{"mode", r.mode},
                                {"sent", txs.size()},
                                {"accepted", r.o.accepted},
                                {"rejected", r.o.rejected},
                                {"seconds", r.o.seconds},
                                {"accepted_tx_per_s", std::round(rate)},
                                {"vs_one_core_verify", rate / verify_rate},
                                {"vs_two_core_verify", rate / verify_rate2},
                                {"mempool_size", r.o.mempool_size},
                                {"mempool_ready", r.o.mempool_ready},
                                {"node_cpu_s", r.o.node_cpu_s},
                                {"client_cpu_s", r.o.client_cpu_s},
                                {"first_error", r.o.first_error}});
  }
  print_table("rpc-send: " + std::to_string(txs.size()) + " pre-signed transfers, " + std::to_string(kClientThreads) +
                  " client threads, keep-alive (raw Schnorr verify, 1 thread: " + fmt(verify_rate, 0) + "/s, 2 threads: " +
                  fmt(verify_rate2, 0) + "/s)",
              {"mode", "accepted", "rejected", "seconds", "accepted tx/s", "x 1-core verify", "x 2-core verify",
               "mempool size", "node CPU s", "clients CPU s", "cores busy"},
              table);
  print_json_line("rpc-send", {{"raw_verify_per_s_one_core", std::round(verify_rate)},
                               {"raw_verify_per_s_two_cores", std::round(verify_rate2)},
                               {"runs", runs}});
  for (const auto& r : rows) {
    if (r.o.rejected > 0) throw BenchError("rpc-send (" + r.mode + "): " + std::to_string(r.o.rejected) +
                                           " rejected, first: " + r.o.first_error);
    if (r.o.mempool_size != static_cast<std::int64_t>(r.o.accepted))
      throw BenchError("rpc-send (" + r.mode + "): getmempoolinfo size " + std::to_string(r.o.mempool_size) +
                       " != accepted " + std::to_string(r.o.accepted));
  }
}

}  // namespace tally::macro
