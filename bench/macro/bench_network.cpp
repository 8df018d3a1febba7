// propagation, sync, devnet-rss: several tallyd processes connected over loopback.
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_map>

#include "bench/macro/benches.h"
#include "bench/macro/harness.h"
#include "bench/macro/txgen.h"

namespace tally::macro {

namespace json = boost::json;

namespace {

constexpr std::size_t kLineNodes = 8;
constexpr int kPropagationRounds = 20;
constexpr std::size_t kTxsPerLoadedBlock = 1000;
constexpr std::size_t kSyncBlocks = 1000;
constexpr std::size_t kSyncTxsPerBlock = 200;
constexpr std::size_t kSendBatch = 100;

using Nodes = std::vector<std::unique_ptr<Tallyd>>;

// Starts `n` nodes in a line (node i --connect node i-1) and waits until every link is
// established on both ends (getpeerinfo: 1 peer at the ends, 2 inside).
Nodes start_line(const fs::path& dir, std::size_t n, TallydOptions base, const std::function<void(std::size_t, TallydOptions&)>& tweak = {}) {
  Nodes nodes;
  for (std::size_t i = 0; i < n; ++i) {
    TallydOptions o = base;
    o.name = "node" + std::to_string(i);
    if (i > 0) o.connect = {nodes[i - 1]->p2p_endpoint()};
    if (tweak) tweak(i, o);
    nodes.push_back(std::make_unique<Tallyd>(dir, std::move(o)));
    nodes.back()->start();
  }
  std::vector<std::size_t> have(n, 0);
  const bool ok = wait_until(
      [&] {
        bool all = true;
        for (std::size_t i = 0; i < n; ++i) {
          const std::size_t want = n == 1 ? 0 : (i == 0 || i + 1 == n) ? 1 : 2;
          have[i] = nodes[i]->established_peers();
          all = all && have[i] >= want;
        }
        return all;
      },
      60s, 50ms);
  if (!ok) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += " node" + std::to_string(i) + "=" + std::to_string(have[i]);
    throw BenchError("the line of " + std::to_string(n) + " nodes did not connect within 60 s; peers:" + s);
  }
  return nodes;
}

struct Sighting {
  std::int64_t ts_us = 0;
  std::int64_t peer = -1;
};
struct NodeEvents {
  std::unordered_map<std::string, Sighting> header_seen;  // first sighting of each hash
  std::unordered_map<std::string, std::int64_t> connected;
};

NodeEvents read_events(const fs::path& file) {
  NodeEvents out;
  std::ifstream in(file);
  if (!in) throw BenchError("cannot read " + file.string());
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;  // a line being written
    const auto& o = v.as_object();
    const auto* ev = o.if_contains("event");
    const auto* hash = o.if_contains("hash");
    const auto* ts = o.if_contains("ts_us");
    if (ev == nullptr || hash == nullptr || ts == nullptr || !ev->is_string() || !hash->is_string() || !ts->is_int64())
      continue;
    const std::string h(hash->as_string());
    if (ev->as_string() == "header_seen") {
      const auto* peer = o.if_contains("peer");
      out.header_seen.try_emplace(h, Sighting{ts->as_int64(), peer && peer->is_int64() ? peer->as_int64() : -1});
    } else if (ev->as_string() == "block_connected") {
      out.connected.try_emplace(h, ts->as_int64());
    }
  }
  return out;
}

// Sends `hexes[begin, end)` to `node` in batches; throws unless every one is accepted.
void submit(rpc::RpcClient& client, const std::string& who, const std::vector<std::string>& hexes, std::size_t begin,
            std::size_t end) {
  for (std::size_t i = begin; i < end; i += kSendBatch) {
    check_interrupt();
    const std::size_t stop = std::min(end, i + kSendBatch);
    auto r = client.post(send_batch(hexes, i, stop));
    if (!r) throw BenchError(who + ": sendrawtransaction batch: " + r.error().message);
    if (r->first != 200) throw BenchError(who + ": sendrawtransaction batch: HTTP " + std::to_string(r->first));
    boost::system::error_code ec;
    auto v = json::parse(r->second, ec);
    if (ec || !v.is_array() || v.as_array().size() != stop - i)
      throw BenchError(who + ": sendrawtransaction batch: unexpected answer " + r->second.substr(0, 300));
    for (const auto& one : v.as_array())
      if (!one.is_object() || !one.as_object().contains("result"))
        throw BenchError(who + ": a transaction was rejected: " + json::serialize(one));
  }
}

std::string generate_one(Tallyd& node, const std::string& address) {
  const auto v = node.call("generate", json::array{1, address});
  if (!v.is_array() || v.as_array().size() != 1 || !v.as_array()[0].is_string())
    throw BenchError(node.name() + ": generate: unexpected result " + json::serialize(v));
  return std::string(v.as_array()[0].as_string());
}

// P2P bytes the node has received from all its peers (getpeerinfo bytesrecv, whole frames).
std::uint64_t received_bytes(Tallyd& node) {
  const auto v = node.call("getpeerinfo");
  if (!v.is_array()) throw BenchError(node.name() + ": getpeerinfo: not an array");
  std::uint64_t total = 0;
  for (const auto& p : v.as_array()) {
    const auto* b = p.is_object() ? p.as_object().if_contains("bytesrecv") : nullptr;
    if (b != nullptr && b->is_number()) total += b->to_number<std::uint64_t>();
  }
  return total;
}

struct PhaseResult {
  std::string label;
  std::size_t txs_per_block = 0;
  std::vector<double> total_ms;                // per round: connected at node 7 - mined at node 0
  std::vector<std::vector<double>> hop_ms;     // [hop][round]
  std::size_t relay_waits_timed_out = 0;       // rounds where node 7 lacked the txs at generate
  std::size_t start_fallbacks = 0;             // rounds without a header_seen(peer 0) at node 0
  std::vector<double> wire_bytes_per_hop;      // per round: bytes received by nodes 1..7 / 7
  double block_bytes = 0;                      // encoded size of a block of the phase
};

PhaseResult propagation_phase(Nodes& nodes, const std::string& label, std::size_t txs_per_block,
                              const std::vector<std::string>& hexes, std::size_t& next_tx) {
  const std::string miner = devnet_keys().address_text[0];
  Tallyd& first = *nodes.front();
  Tallyd& last = *nodes.back();
  rpc::RpcClient sender = first.client(60s);
  PhaseResult res;
  res.label = label;
  res.txs_per_block = txs_per_block;
  std::vector<std::string> hashes;
  for (int round = 0; round < kPropagationRounds; ++round) {
    if (txs_per_block > 0) {
      submit(sender, first.name(), hexes, next_tx, next_tx + txs_per_block);
      next_tx += txs_per_block;
      if (first.mempool_size() < static_cast<std::int64_t>(txs_per_block))
        throw BenchError("node0's mempool does not hold the " + std::to_string(txs_per_block) + " transactions");
      // Let the transactions reach the end of the line first, so the block's trip is not
      // competing with their relay (bounded: relay has randomized per-peer delays).
      if (!wait_until([&] { return last.mempool_size() >= static_cast<std::int64_t>(txs_per_block); }, 20s, 20ms))
        ++res.relay_waits_timed_out;
      // And the announcements back up the line (each node's inv to its other neighbour, after
      // its randomized batch delay), so the bytes counted below are the block's.
      sleep_for(1000ms);
    }
    const std::int64_t height = first.block_count() + 1;
    std::uint64_t bytes_before = 0;
    for (std::size_t i = 1; i < nodes.size(); ++i) bytes_before += received_bytes(*nodes[i]);
    hashes.push_back(generate_one(first, miner));
    if (first.mempool_size() != 0) throw BenchError("node0: the generated block did not take every transaction");
    if (!wait_until([&] { return last.block_count() >= height; }, 30s, 2ms))
      throw BenchError("block " + std::to_string(height) + " did not reach " + last.name() + " within 30 s");
    sleep_for(20ms);  // let the line settle (the event logs flush per batch)
    std::uint64_t bytes_after = 0;
    for (std::size_t i = 1; i < nodes.size(); ++i) bytes_after += received_bytes(*nodes[i]);
    res.wire_bytes_per_hop.push_back(static_cast<double>(bytes_after - bytes_before) /
                                     static_cast<double>(nodes.size() - 1));
  }
  // The block's encoded size: header, count, transactions (coinbase included).
  res.block_bytes = 116.0 + (txs_per_block + 1 < 0xfd ? 1 : 3) + 144.0 * static_cast<double>(txs_per_block + 1);
  sleep_for(200ms);
  std::vector<NodeEvents> events;
  for (auto& n : nodes) events.push_back(read_events(n->datadir() / "events.jsonl"));
  res.hop_ms.assign(nodes.size() - 1, {});
  for (const auto& h : hashes) {
    std::int64_t start = 0;
    if (auto it = events[0].header_seen.find(h); it != events[0].header_seen.end() && it->second.peer == 0) {
      start = it->second.ts_us;
    } else if (auto c = events[0].connected.find(h); c != events[0].connected.end()) {
      start = c->second;
      ++res.start_fallbacks;
    } else {
      throw BenchError("node0's event log has no header_seen/block_connected for " + h);
    }
    std::int64_t prev = start;
    for (std::size_t i = 1; i < nodes.size(); ++i) {
      const auto it = events[i].connected.find(h);
      if (it == events[i].connected.end())
        throw BenchError(nodes[i]->name() + "'s event log has no block_connected for " + h);
      res.hop_ms[i - 1].push_back(static_cast<double>(it->second - prev) / 1000.0);
      prev = it->second;
    }
    res.total_ms.push_back(static_cast<double>(prev - start) / 1000.0);
  }
  return res;
}

}  // namespace

void bench_propagation() {
  const auto dir = temp_dir("tally-macro-prop");
  const fs::path spec = write_bench_chain_spec(dir / "chain.json");
  // 20 loaded blocks x 1,000 transactions: 100 per key per block, nonces consecutive.
  std::cout << "  signing " << kPropagationRounds * kTxsPerLoadedBlock << " transactions ..." << std::flush;
  std::vector<std::string> hexes;
  {
    const auto txs = sign_transfers(kPropagationRounds * kTxsPerLoadedBlock / kDevnetKeys);
    for (const auto& tx : txs) hexes.push_back(tx_hex(tx));
  }
  std::cout << " done\n  starting " << kLineNodes << " nodes in a line ...\n" << std::flush;
  TallydOptions base = node_options("", spec);
  base.eventlog = true;
  Nodes nodes = start_line(dir.path(), kLineNodes, base);
  std::size_t next_tx = 0;
  std::vector<PhaseResult> phases;
  phases.push_back(propagation_phase(nodes, "empty blocks", 0, hexes, next_tx));
  phases.push_back(propagation_phase(nodes, "1,000-tx blocks", kTxsPerLoadedBlock, hexes, next_tx));
  for (auto& n : nodes) n->stop();
  // The same loaded blocks on a fresh line with compact relay off: every hop carries the block.
  {
    std::cout << "  starting " << kLineNodes << " nodes in a line with --compactrelay 0 ...\n" << std::flush;
    TallydOptions off = base;
    off.extra.push_back("--compactrelay=0");
    Nodes whole = start_line(dir.path() / "whole", kLineNodes, off);
    fs::create_directories(dir.path() / "whole");
    next_tx = 0;  // a fresh chain: the same signed transactions are valid again
    phases.push_back(propagation_phase(whole, "1,000-tx blocks, compact relay off", kTxsPerLoadedBlock, hexes, next_tx));
    for (auto& n : whole) n->stop();
  }

  constexpr double kCoreTotalMs = 11.9, kCoreHopMs = 1.23;
  std::vector<std::vector<std::string>> table;
  json::array out;
  for (const auto& p : phases) {
    const double med = median(p.total_ms);
    std::vector<double> hop_medians;
    json::array hops;
    for (const auto& h : p.hop_ms) {
      hop_medians.push_back(median(h));
      hops.push_back(json::value(std::round(hop_medians.back() * 1000) / 1000));
    }
    std::string hop_text;
    for (double h : hop_medians) {
      if (!hop_text.empty()) hop_text += ' ';
      hop_text += fmt(h, 1);
    }
    const double wire = median(p.wire_bytes_per_hop);
    table.push_back({p.label, std::to_string(p.total_ms.size()), fmt(med), fmt(max_of(p.total_ms)),
                     fmt(med / static_cast<double>(kLineNodes - 1)), hop_text, fmt(med / kCoreTotalMs, 1) + "x",
                     fmt(wire, 0) + " (" + fmt(100.0 * wire / p.block_bytes, 1) + "%)"});
    out.push_back(json::object{{"blocks", p.label},
                               {"txs_per_block", p.txs_per_block},
                               {"rounds", p.total_ms.size()},
                               {"median_ms", med},
                               {"max_ms", max_of(p.total_ms)},
                               {"min_ms", min_of(p.total_ms)},
                               {"per_hop_ms", med / static_cast<double>(kLineNodes - 1)},
                               {"hop_medians_ms", hops},
                               {"vs_bitcoin_core", med / kCoreTotalMs},
                               {"wire_bytes_per_hop_median", wire},
                               {"block_bytes", p.block_bytes},
                               {"wire_share_of_block", wire / p.block_bytes},
                               {"relay_waits_timed_out", p.relay_waits_timed_out},
                               {"start_fallbacks", p.start_fallbacks}});
  }
  print_table("propagation: 8 nodes in a line, node0 generates, until node7 connects (event logs)",
              {"blocks", "rounds", "median ms", "max ms", "per hop ms", "hop medians 0>1 .. 6>7 (ms)", "vs Core",
               "bytes per hop (of block)"},
              table);
  std::cout << "  bar: Bitcoin Core " << kCoreTotalMs << " ms across 8 nodes (" << kCoreHopMs << " ms per hop)\n";
  for (const auto& p : phases) {
    if (p.relay_waits_timed_out > 0)
      std::cout << "  note (" << p.label << "): in " << p.relay_waits_timed_out
                << " rounds node7 did not hold the transactions within 20 s before generate\n";
    if (p.start_fallbacks > 0)
      std::cout << "  note (" << p.label << "): " << p.start_fallbacks
                << " rounds lacked header_seen(peer 0) at node0; measured from its block_connected\n";
  }
  print_json_line("propagation", {{"nodes", kLineNodes},
                                  {"bar_bitcoin_core_ms", kCoreTotalMs},
                                  {"bar_bitcoin_core_per_hop_ms", kCoreHopMs},
                                  {"phases", out}});
}

void bench_sync() {
  const auto dir = temp_dir("tally-macro-sync");
  const fs::path spec = write_bench_chain_spec(dir / "chain.json");
  const std::size_t total_txs = kSyncBlocks * kSyncTxsPerBlock;
  std::cout << "  signing " << total_txs << " transactions ..." << std::flush;
  const auto t_sign = Clock::now();
  // (nonce, key) order: block b takes [b*200, b*200+200) = nonces 20b..20b+19 of every key.
  std::vector<std::string> hexes;
  std::vector<ledger::Transaction> verify_sample;  // for the raw verify rate of this run
  {
    const auto txs = sign_transfers(total_txs / kDevnetKeys);
    hexes.reserve(txs.size());
    for (const auto& tx : txs) hexes.push_back(tx_hex(tx));
    verify_sample.assign(txs.begin(), txs.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(2000, txs.size())));
  }
  std::cout << " " << fmt(ms_since(t_sign) / 1000.0, 1) << " s\n" << std::flush;

  const std::string miner = devnet_keys().address_text[0];
  Tallyd a(dir.path(), node_options("source", spec));
  a.start();
  rpc::RpcClient sender = a.client(60s);
  const auto t_build = Clock::now();
  for (std::size_t b = 0; b < kSyncBlocks; ++b) {
    submit(sender, a.name(), hexes, b * kSyncTxsPerBlock, (b + 1) * kSyncTxsPerBlock);
    generate_one(a, miner);
    if (a.mempool_size() != 0)
      throw BenchError("source: block " + std::to_string(b + 1) + " did not take all " +
                       std::to_string(kSyncTxsPerBlock) + " transactions");
    if ((b + 1) % 100 == 0)
      std::cout << "  source built " << b + 1 << "/" << kSyncBlocks << " blocks (" << fmt(ms_since(t_build) / 1000.0, 1)
                << " s)\n" << std::flush;
  }
  const double build_s = ms_since(t_build) / 1000.0;
  hexes = {};
  if (a.block_count() != static_cast<std::int64_t>(kSyncBlocks))
    throw BenchError("source: height " + std::to_string(a.block_count()) + " after building");
  const auto tip = a.call("getbestblockhash");
  // The ceiling two cores' signature checks put on the sync, measured now (the machine's
  // speed changes from run to run).
  const double verify2 = raw_verify_rate(verify_sample, 2);

  TallydOptions syncer = node_options("syncer", spec);
  syncer.connect = {a.p2p_endpoint()};
  Tallyd b(dir.path(), syncer);
  const auto source_cpu0 = proc_cpu_seconds(a.pid());
  b.spawn();
  const auto t0 = b.spawned_at();
  b.wait_ready();
  std::int64_t height = 0;
  if (!wait_until([&] { return (height = b.block_count()) >= static_cast<std::int64_t>(kSyncBlocks); }, 150s, 10ms))
    throw BenchError("syncer reached height " + std::to_string(height) + " of " + std::to_string(kSyncBlocks) +
                     " within 150 s; log:\n" + b.log_tail());
  const double sync_s = ms_since(t0) / 1000.0;
  // Where the two cores went: the source's CPU while it served, the syncer's by thread.
  const double source_cpu = proc_cpu_seconds_since(a.pid(), source_cpu0);  // -1: unreadable
  const double syncer_cpu = proc_cpu_seconds(b.pid()).value_or(-1.0);
  std::string syncer_threads;
  for (const auto& t : proc_thread_cpu(b.pid())) {
    if (t.seconds < 0.05) continue;
    syncer_threads += (syncer_threads.empty() ? "" : ", ") + t.name + " " + fmt(t.seconds, 2);
  }
  const auto hwm = proc_status_kib(b.pid(), "VmHWM");
  const auto rss = proc_status_kib(b.pid(), "VmRSS");
  if (b.call("getbestblockhash") != tip) throw BenchError("syncer's tip differs from the source's");
  b.stop();
  a.stop();

  const double bps = static_cast<double>(kSyncBlocks) / sync_s;
  const double tps = static_cast<double>(total_txs) / sync_s;
  constexpr double kCoreTps = 33900;
  print_table("sync: fresh node --connect source, 1,000 blocks x 200 signed transfers, spawn -> height 1000",
              {"measure", "value"},
              {{"sync time s", fmt(sync_s, 2)},
               {"blocks/s", fmt(bps, 1)},
               {"transactions/s", fmt(tps, 0)},
               {"vs Bitcoin Core 33.9k tx/s", fmt(tps / kCoreTps, 2) + "x"},
               {"raw Schnorr verify, 2 threads /s", fmt(verify2, 0)},
               {"x 2-core verify", fmt(tps / verify2, 2)},
               {"syncer peak RSS (VmHWM) MiB", hwm ? fmt(kib_to_mib(*hwm), 1) : "?"},
               {"syncer RSS at the end MiB", rss ? fmt(kib_to_mib(*rss), 1) : "?"},
               {"syncer CPU s (threads)", fmt(syncer_cpu, 2) + " (" + syncer_threads + ")"},
               {"source CPU s while serving", fmt(source_cpu, 2)},
               {"cores busy (both nodes)",
                syncer_cpu < 0 || source_cpu < 0 ? "?" : fmt((syncer_cpu + source_cpu) / sync_s, 2) + " of 2"},
               {"source build s (submit + generate)", fmt(build_s, 1)}});
  print_json_line("sync", {{"blocks", kSyncBlocks},
                           {"transactions", total_txs},
                           {"seconds", sync_s},
                           {"blocks_per_s", bps},
                           {"tx_per_s", std::round(tps)},
                           {"vs_bitcoin_core", tps / kCoreTps},
                           {"raw_verify_per_s_two_cores", std::round(verify2)},
                           {"vs_two_core_verify", tps / verify2},
                           {"peak_rss_mib", hwm ? kib_to_mib(*hwm) : -1.0},
                           {"rss_mib", rss ? kib_to_mib(*rss) : -1.0},
                           {"syncer_cpu_s", syncer_cpu},
                           {"source_cpu_s", source_cpu},
                           {"source_build_s", build_s}});
}

void bench_devnet_rss() {
  const auto dir = temp_dir("tally-macro-devnet");
  const std::string miner = devnet_keys().address_text[0];
  std::cout << "  starting " << kLineNodes << " devnet nodes in a line (node0 mines, 1 thread) ...\n" << std::flush;
  Nodes nodes = start_line(dir.path(), kLineNodes, node_options(""), [&](std::size_t i, TallydOptions& o) {
    if (i == 0) {
      o.mine = true;
      o.mineraddress = miner;
    }
  });
  sleep_for(20s);
  std::vector<std::vector<std::string>> table;
  std::vector<double> rss_mib;
  json::array rss_out, heights;
  for (auto& n : nodes) {
    const auto rss = proc_status_kib(n->pid(), "VmRSS");
    const auto hwm = proc_status_kib(n->pid(), "VmHWM");
    if (!rss) throw BenchError("cannot read the RSS of " + n->name());
    const std::int64_t h = n->block_count();
    rss_mib.push_back(kib_to_mib(*rss));
    rss_out.push_back(json::value(std::round(rss_mib.back() * 10) / 10));
    heights.push_back(h);
    table.push_back({n->name(), fmt(rss_mib.back(), 1), hwm ? fmt(kib_to_mib(*hwm), 1) : "?", std::to_string(h)});
  }
  for (auto& n : nodes) n->stop();
  double sum = 0;
  for (double v : rss_mib) sum += v;
  table.push_back({"total", fmt(sum, 1), "", ""});
  print_table("devnet-rss: 8-node devnet (line, node0 mining with 1 thread), 20 s after all connected",
              {"node", "VmRSS MiB", "VmHWM MiB", "height"}, table);
  print_json_line("devnet-rss", {{"nodes", kLineNodes},
                                 {"rss_mib", rss_out},
                                 {"median_mib", median(rss_mib)},
                                 {"max_mib", max_of(rss_mib)},
                                 {"total_mib", sum},
                                 {"heights", heights}});
}

}  // namespace tally::macro
