// Block and transaction propagation: first appearance, arrival at each node, delays, the
// time to reach 50/90/100% of the nodes that could receive it, and delays by hop count.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "study/analysis_context.h"

namespace tally::study::detail {

namespace {

double ms_between(std::int64_t from_us, std::int64_t to_us) { return static_cast<double>(to_us - from_us) / 1000.0; }

// Which nodes could have received something first seen on `origin` at `ts_us`: those
// running then and on the origin's side of any partition.
std::vector<bool> reachable_set(const Context& ctx, std::size_t origin, std::int64_t ts_us, std::size_t& count) {
  const std::size_t n = ctx.run.nodes.size();
  std::vector<bool> out(n, false);
  count = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = i == origin || (ctx.run.nodes[i].log_found && ctx.running(i, ts_us) && ctx.same_side(i, origin, ts_us));
    if (out[i]) ++count;
  }
  return out;
}

// Time until k = ceil(f * N) of the N reachable nodes had it, for f = 0.5, 0.9, 1.
Reach reach_of(const std::vector<double>& delays_ms, std::size_t reachable) {
  Reach r;
  r.t50_ms = kth_smallest(delays_ms, rank_of(0.5, reachable));
  r.t90_ms = kth_smallest(delays_ms, rank_of(0.9, reachable));
  r.t100_ms = kth_smallest(delays_ms, reachable);
  return r;
}

void collect_blocks(Context& ctx) {
  Analysis& a = ctx.out;
  const std::size_t n = ctx.run.nodes.size();
  std::unordered_map<std::string, std::size_t> index;
  for (const Event* e : ctx.merged) {
    if (e->type != EventType::kHeaderSeen && e->type != EventType::kBlockConnected) continue;
    auto [it, inserted] = index.try_emplace(e->hash, a.blocks.size());
    if (inserted) {
      BlockInfo b;
      b.hash = e->hash;
      b.height = e->height;
      b.first_seen_us = e->ts_us;
      b.first_node = e->node;
      b.arrivals.resize(n);
      a.blocks.push_back(std::move(b));
    }
    BlockInfo& b = a.blocks[it->second];
    Arrival& arr = b.arrivals[e->node];
    if (e->type == EventType::kHeaderSeen) {
      if (!arr.header_us) arr.header_us = e->ts_us;
      if (e->peer == 0 && !b.miner) b.miner = e->node;
    } else {
      if (!arr.connected_us) arr.connected_us = e->ts_us;
      b.connected_anywhere = true;
      b.txs = e->count;
    }
  }
}

void block_figures(Context& ctx) {
  Analysis& a = ctx.out;
  PropagationStats& p = a.propagation;
  p.has_topology = !ctx.hops.empty();
  std::map<std::size_t, std::pair<std::vector<double>, std::vector<double>>> by_hop;
  std::vector<double> t50, t90, t100, h50, h90, h100;
  for (BlockInfo& b : a.blocks) {
    b.reachable = reachable_set(ctx, b.first_node, b.first_seen_us, b.reachable_count);
    b.during_partition = ctx.partition_at(b.first_seen_us).has_value();
    if (b.during_partition) ++p.blocks_during_partition;
    const std::size_t source = b.miner.value_or(b.first_node);
    std::vector<double> conn, head;
    for (std::size_t i = 0; i < b.arrivals.size(); ++i) {
      if (!b.reachable[i]) continue;
      const Arrival& arr = b.arrivals[i];
      const bool origin = i == b.first_node;
      const int hop = p.has_topology ? ctx.hops[source][i] : -1;
      if (arr.connected_us) {
        const double d = ms_between(b.first_seen_us, *arr.connected_us);
        conn.push_back(d);
        if (!origin) {
          p.connected_delays_ms.push_back(d);
          if (hop > 0) by_hop[static_cast<std::size_t>(hop)].first.push_back(d);
        }
      } else if (!origin) {
        ++p.missing_arrivals;
      }
      if (arr.header_us) {
        const double d = ms_between(b.first_seen_us, *arr.header_us);
        head.push_back(d);
        if (!origin) {
          p.header_delays_ms.push_back(d);
          if (hop > 0) by_hop[static_cast<std::size_t>(hop)].second.push_back(d);
        }
      }
    }
    b.connected = reach_of(conn, b.reachable_count);
    b.header = reach_of(head, b.reachable_count);
    if (b.connected.t50_ms) t50.push_back(*b.connected.t50_ms);
    if (b.connected.t90_ms) t90.push_back(*b.connected.t90_ms);
    if (b.connected.t100_ms) {
      t100.push_back(*b.connected.t100_ms);
      ++p.blocks_reaching_all;
    }
    if (b.header.t50_ms) h50.push_back(*b.header.t50_ms);
    if (b.header.t90_ms) h90.push_back(*b.header.t90_ms);
    if (b.header.t100_ms) h100.push_back(*b.header.t100_ms);
  }
  p.blocks = a.blocks.size();
  std::ranges::sort(p.connected_delays_ms);
  std::ranges::sort(p.header_delays_ms);
  p.connected_delay_ms = summarize(p.connected_delays_ms);
  p.header_delay_ms = summarize(p.header_delays_ms);
  for (auto* v : {&t50, &t90, &t100}) std::ranges::sort(*v);
  p.t50_values_ms = t50;
  p.t90_values_ms = t90;
  p.t100_values_ms = t100;
  p.t50_ms = summarize(std::move(t50));
  p.t90_ms = summarize(std::move(t90));
  p.t100_ms = summarize(std::move(t100));
  p.header_t50_ms = summarize(std::move(h50));
  p.header_t90_ms = summarize(std::move(h90));
  p.header_t100_ms = summarize(std::move(h100));
  for (auto& [hop, delays] : by_hop)
    p.by_hop.push_back({hop, summarize(std::move(delays.first)), summarize(std::move(delays.second))});
}

void tx_figures(Context& ctx) {
  Analysis& a = ctx.out;
  TxStats& t = a.tx;
  const std::size_t n = ctx.run.nodes.size();
  std::unordered_map<std::string, std::size_t> index;
  std::unordered_map<std::string, std::int64_t> included_us;  // txid -> first block_connected listing it
  std::unordered_map<std::string, std::vector<std::string>> included_in;  // txid -> blocks listing it
  for (const Event* e : ctx.merged) {
    if (e->type == EventType::kTxRejected) ++t.rejected_events;
    if (e->type == EventType::kBlockConnected && e->has_txids) {
      t.inclusion_available = true;
      for (const auto& id : e->txids) {
        included_us.try_emplace(id, e->ts_us);
        auto& blocks = included_in[id];
        if (std::find(blocks.begin(), blocks.end(), e->hash) == blocks.end()) blocks.push_back(e->hash);
      }
    }
    if (e->type != EventType::kTxAccepted) continue;
    auto [it, inserted] = index.try_emplace(e->hash, a.txs.size());
    if (inserted) {
      TxInfo tx;
      tx.txid = e->hash;
      tx.first_us = e->ts_us;
      tx.origin = e->node;
      tx.submitted_locally = e->peer == 0;
      tx.accepted_us.resize(n);
      a.txs.push_back(std::move(tx));
    }
    auto& slot = a.txs[it->second].accepted_us[e->node];
    if (!slot) slot = e->ts_us;
  }
  std::vector<double> t50, t90, t100, incl;
  for (TxInfo& tx : a.txs) {
    if (tx.submitted_locally) ++t.submitted_locally;
    const auto reachable = reachable_set(ctx, tx.origin, tx.first_us, tx.reachable_count);
    std::vector<double> delays;
    for (std::size_t i = 0; i < n; ++i) {
      if (!reachable[i]) continue;
      if (!tx.accepted_us[i]) {
        if (i != tx.origin) ++t.missing_arrivals;
        continue;
      }
      const double d = ms_between(tx.first_us, *tx.accepted_us[i]);
      delays.push_back(d);
      if (i != tx.origin) t.delays_ms.push_back(d);
    }
    tx.reach = reach_of(delays, tx.reachable_count);
    if (tx.reach.t50_ms) t50.push_back(*tx.reach.t50_ms);
    if (tx.reach.t90_ms) t90.push_back(*tx.reach.t90_ms);
    if (tx.reach.t100_ms) {
      t100.push_back(*tx.reach.t100_ms);
      ++t.reaching_all;
    }
    if (auto inc = included_us.find(tx.txid); inc != included_us.end()) {
      tx.inclusion_ms = ms_between(tx.first_us, inc->second);
      incl.push_back(*tx.inclusion_ms);
      tx.included_in = included_in[tx.txid];
    }
  }
  t.txs = a.txs.size();
  std::ranges::sort(t.delays_ms);
  t.delay_ms = summarize(t.delays_ms);
  t.t50_ms = summarize(std::move(t50));
  t.t90_ms = summarize(std::move(t90));
  t.t100_ms = summarize(std::move(t100));
  t.included = incl.size();
  t.inclusion_ms = summarize(std::move(incl));
  if (!t.inclusion_available)
    a.limitations.push_back(
        "tx_inclusion: block_connected events do not list their txids, so the time from submission to "
        "first inclusion in a block is not computed");
}

}  // namespace

void compute_propagation(Context& ctx) {
  collect_blocks(ctx);
  block_figures(ctx);
  tx_figures(ctx);
  if (ctx.hops.empty())
    ctx.out.limitations.push_back("hops: devnet.json gives no topology edges, so delays by hop count are skipped");
}

}  // namespace tally::study::detail
