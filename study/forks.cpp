// Forks: parent links derived from each node's connect/tip sequence, the final chain (the
// chain of the most common final tip), stale blocks, reorgs, the final convergence and the
// lanes of the block tree.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "study/analysis_context.h"

namespace tally::study::detail {

namespace {

struct NodeChain {
  std::map<std::int64_t, std::string> active;  // height -> hash of the node's active chain
  std::optional<std::string> tip;
  std::int64_t tip_height = -1;
};

class ParentBuilder {
 public:
  explicit ParentBuilder(std::unordered_map<std::string, std::string>& parents) : parents_(parents) {}

  // Replays one node's log in file order. A tip change is logged as its block_connected
  // events (in height order), an optional reorg, then tip_changed: without a reorg the first
  // connected block's parent is old_tip; with one, it is the fork point, i.e. the node's
  // active block one height below; each further block's parent is the one before it.
  NodeChain replay(const NodeLog& log) {
    NodeChain chain;
    std::vector<const Event*> batch;
    bool reorg = false;
    for (const auto& e : log.events) {
      if (e.type == EventType::kBlockConnected) {
        batch.push_back(&e);
      } else if (e.type == EventType::kReorg) {
        reorg = true;
      } else if (e.type == EventType::kTipChanged) {
        flush(chain, batch, reorg ? nullptr : &e.old_tip);
        // A tip change without connected blocks only shortens the active chain.
        chain.active.erase(chain.active.upper_bound(e.height), chain.active.end());
        chain.active[e.height] = e.new_tip;
        chain.tip = e.new_tip;
        chain.tip_height = e.height;
        reorg = false;
      }
    }
    flush(chain, batch, nullptr);
    return chain;
  }

 private:
  void flush(NodeChain& chain, std::vector<const Event*>& batch, const std::string* old_tip) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Event& b = *batch[i];
      std::optional<std::string> parent;
      if (i > 0) {
        parent = batch[i - 1]->hash;
      } else if (old_tip) {
        parent = *old_tip;
      } else if (auto it = chain.active.find(b.height - 1); it != chain.active.end()) {
        parent = it->second;
      }
      if (parent) parents_.try_emplace(b.hash, *parent);
      chain.active.erase(chain.active.lower_bound(b.height), chain.active.end());
      chain.active[b.height] = b.hash;
    }
    batch.clear();
  }

  std::unordered_map<std::string, std::string>& parents_;
};

// Walks each node's final tip back (derived parents, else the node's own active chain) to the
// final chain: where it meets it tells whether the node is behind, ahead or diverged.
void classify_tips(Analysis& a, const std::vector<NodeChain>& chains,
                   const std::unordered_map<std::string, std::string>& parents,
                   const std::unordered_map<std::string, std::int64_t>& on_chain) {
  Convergence& c = a.convergence;
  bool all_known = true;
  for (std::size_t i = 0; i < chains.size(); ++i) {
    if (!chains[i].tip) continue;
    NodeSummary& s = a.nodes[i];
    if (auto it = on_chain.find(*chains[i].tip); it != on_chain.end()) {
      s.relation = *chains[i].tip == *c.majority_tip ? TipRelation::kOnTip : TipRelation::kBehind;
      s.shared_height = it->second;
    } else {
      s.relation = TipRelation::kUnknown;
      std::optional<std::string> cur = chains[i].tip;
      std::int64_t height = chains[i].tip_height;
      std::set<std::string> seen;
      while (cur && seen.insert(*cur).second) {
        if (auto hit = on_chain.find(*cur); hit != on_chain.end()) {
          s.relation = *cur == *c.majority_tip ? TipRelation::kAhead : TipRelation::kDiverged;
          s.shared_height = hit->second;
          break;
        }
        std::optional<std::string> next;
        if (auto p = parents.find(*cur); p != parents.end()) {
          next = p->second;
        } else if (auto w = chains[i].active.find(height - 1); w != chains[i].active.end()) {
          next = w->second;
        }
        cur = next;
        --height;
      }
    }
    if (s.shared_height) {
      c.common_prefix_height = std::min(c.common_prefix_height.value_or(*s.shared_height), *s.shared_height);
    } else {
      all_known = false;
    }
  }
  if (!all_known) c.common_prefix_height.reset();
}

void final_chain(Context& ctx, const std::vector<NodeChain>& chains,
                 const std::unordered_map<std::string, std::string>& parents,
                 std::unordered_map<std::string, std::size_t>& index) {
  Analysis& a = ctx.out;
  Convergence& c = a.convergence;
  std::map<std::string, std::pair<std::size_t, std::int64_t>> votes;  // tip -> (nodes, height)
  for (std::size_t i = 0; i < chains.size(); ++i) {
    NodeSummary& s = a.nodes[i];
    s.final_tip = chains[i].tip;
    s.final_height = chains[i].tip_height;
    if (!chains[i].tip) continue;
    ++c.nodes_with_tip;
    auto& v = votes[*chains[i].tip];
    ++v.first;
    v.second = chains[i].tip_height;
  }
  // Most nodes; ties go to the greater height, then to the smaller hash (deterministic:
  // the map iterates hashes in ascending order and only a strictly better vote replaces).
  std::size_t best_nodes = 0;
  for (const auto& [tip, v] : votes) {
    if (!c.majority_tip || v.first > best_nodes || (v.first == best_nodes && v.second > c.majority_height)) {
      c.majority_tip = tip;
      c.majority_height = v.second;
      best_nodes = v.first;
    }
  }
  if (!c.majority_tip) return;
  std::optional<std::size_t> witness;  // a node on the majority tip: its active chain is the fallback
  for (std::size_t i = 0; i < chains.size(); ++i) {
    if (!chains[i].tip) continue;
    if (*chains[i].tip == *c.majority_tip) {
      a.nodes[i].on_majority_tip = true;
      c.agreeing.push_back(i);
      if (!witness) witness = i;
    } else {
      c.not_converged.push_back(i);
    }
  }
  c.all_converged = c.not_converged.empty();
  a.forks.final_tip = c.majority_tip;
  a.forks.final_height = c.majority_height;

  // Walk back from the majority tip through the derived parents, falling back to the
  // witness's active chain where a parent was not derivable.
  std::unordered_map<std::string, std::int64_t> on_chain;  // final chain hash -> height
  std::optional<std::string> cur = c.majority_tip;
  std::int64_t height = c.majority_height;
  while (cur && on_chain.emplace(*cur, height).second) {
    const auto it = index.find(*cur);
    if (it != index.end()) {
      a.blocks[it->second].on_final_chain = true;
      height = a.blocks[it->second].height;
    }
    std::optional<std::string> next;
    if (auto p = parents.find(*cur); p != parents.end()) {
      next = p->second;
    } else if (auto w = chains[*witness].active.find(height - 1); w != chains[*witness].active.end()) {
      next = w->second;
    } else if (it != index.end() && height > 0) {
      a.forks.parent_links_complete = false;
    }
    cur = next;
    --height;
  }
  classify_tips(a, chains, parents, on_chain);
}

void assign_lanes(Analysis& a, const std::unordered_map<std::string, std::size_t>& index) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < a.blocks.size(); ++i)
    if (!a.blocks[i].on_final_chain) order.push_back(i);
  std::ranges::sort(order, [&](std::size_t x, std::size_t y) {
    return std::tie(a.blocks[x].height, a.blocks[x].first_seen_us) < std::tie(a.blocks[y].height, a.blocks[y].first_seen_us);
  });
  std::vector<std::int64_t> lane_end{std::numeric_limits<std::int64_t>::max()};  // lane 0: the final chain
  std::unordered_map<std::string, std::size_t> branch_len;
  for (std::size_t i : order) {
    BlockInfo& b = a.blocks[i];
    const BlockInfo* parent = nullptr;
    if (b.parent)
      if (auto it = index.find(*b.parent); it != index.end() && !a.blocks[it->second].on_final_chain)
        parent = &a.blocks[it->second];
    branch_len[b.hash] = 1 + (parent ? branch_len[parent->hash] : 0);
    a.forks.longest_stale_branch = std::max(a.forks.longest_stale_branch, branch_len[b.hash]);
    // Continue the parent's lane when this is the first child there; else take the lowest
    // lane free for a gap of one height (so unrelated blocks never look linked).
    if (parent && lane_end[static_cast<std::size_t>(parent->lane)] == b.height - 1) {
      b.lane = parent->lane;
    } else {
      std::size_t lane = 1;
      while (lane < lane_end.size() && lane_end[lane] >= b.height - 1) ++lane;
      if (lane == lane_end.size()) lane_end.push_back(0);
      b.lane = static_cast<int>(lane);
    }
    lane_end[static_cast<std::size_t>(b.lane)] = b.height;
  }
}

}  // namespace

// Submission to k confirmations on every node that ended on the final chain: the latest of
// those nodes' block_connected of the final-chain block at (inclusion height + k - 1).
void compute_confirmations(Context& ctx) {
  Analysis& a = ctx.out;
  if (!a.tx.inclusion_available) return;
  std::unordered_map<std::string, const BlockInfo*> by_hash;
  std::unordered_map<std::int64_t, const BlockInfo*> final_at;
  for (const BlockInfo& b : a.blocks) {
    by_hash[b.hash] = &b;
    if (b.on_final_chain && b.height >= 0) final_at[b.height] = &b;
  }
  std::vector<bool> on_final(ctx.run.nodes.size(), false);
  for (std::size_t i = 0; i < on_final.size() && i < a.nodes.size(); ++i) on_final[i] = a.nodes[i].on_majority_tip;
  std::vector<double> times;
  for (TxInfo& tx : a.txs) {
    std::size_t on_final_chain = 0;
    for (const auto& h : tx.included_in)
      if (auto it = by_hash.find(h); it != by_hash.end() && it->second->on_final_chain) ++on_final_chain;
    if (on_final_chain > 1) a.tx.confirmed_twice.push_back(tx.txid);
    const BlockInfo* including = nullptr;
    for (const auto& h : tx.included_in)
      if (auto it = by_hash.find(h); it != by_hash.end() && it->second->on_final_chain) including = it->second;
    if (!including) continue;
    auto deep = final_at.find(including->height + static_cast<std::int64_t>(a.tx.confirmations) - 1);
    if (deep == final_at.end()) continue;
    std::optional<std::int64_t> latest;
    bool all = true;
    for (std::size_t i = 0; i < on_final.size(); ++i) {
      if (!on_final[i]) continue;
      const auto& arrival = deep->second->arrivals[i].connected_us;
      if (!arrival) {
        all = false;
        break;
      }
      latest = std::max(latest.value_or(*arrival), *arrival);
    }
    if (!all || !latest) continue;
    tx.confirmed_all_ms = std::max(0.0, static_cast<double>(*latest - tx.first_us) / 1000.0);
    times.push_back(*tx.confirmed_all_ms);
  }
  a.tx.confirmed_all = times.size();
  a.tx.confirmed_all_ms = summarize(std::move(times));
}

void compute_forks(Context& ctx) {
  Analysis& a = ctx.out;
  ForkStats& f = a.forks;
  std::unordered_map<std::string, std::string> parents;
  ParentBuilder builder(parents);
  std::vector<NodeChain> chains;
  for (const auto& log : ctx.run.nodes) chains.push_back(builder.replay(log));

  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < a.blocks.size(); ++i) {
    index.emplace(a.blocks[i].hash, i);
    if (auto p = parents.find(a.blocks[i].hash); p != parents.end()) a.blocks[i].parent = p->second;
  }
  final_chain(ctx, chains, parents, index);

  std::vector<const BlockInfo*> stale;
  for (const BlockInfo& b : a.blocks) {
    if (!b.connected_anywhere) {
      if (!b.on_final_chain) ++f.stale_seen_only;
      continue;
    }
    ++f.blocks;
    if (b.on_final_chain) {
      ++f.final_chain_blocks;
    } else {
      stale.push_back(&b);
    }
  }
  std::vector<const BlockInfo*> final_blocks;
  for (const BlockInfo& b : a.blocks)
    if (b.on_final_chain && b.height >= 1) final_blocks.push_back(&b);
  std::ranges::sort(final_blocks, {}, &BlockInfo::height);
  if (final_blocks.size() >= 2 && final_blocks.back()->height > final_blocks.front()->height)
    f.mean_interval_s = static_cast<double>(final_blocks.back()->first_seen_us - final_blocks.front()->first_seen_us) /
                        1e6 / static_cast<double>(final_blocks.back()->height - final_blocks.front()->height);
  f.requested_interval_s = ctx.run.requested_interval_s;
  std::ranges::stable_sort(stale, {}, &BlockInfo::height);
  for (const BlockInfo* b : stale) f.stale_hashes.push_back(b->hash);
  f.stale_blocks = stale.size();
  if (f.blocks > 0) f.stale_rate = static_cast<double>(f.stale_blocks) / static_cast<double>(f.blocks);
  assign_lanes(a, index);

  for (const Event* e : ctx.merged) {
    if (e->type != EventType::kReorg) continue;
    f.reorgs.push_back({e->node, e->ts_us, e->count, e->old_tip, e->new_tip});
    ++f.depth_histogram[e->count];
    f.max_reorg_depth = std::max(f.max_reorg_depth, e->count);
    NodeSummary& s = a.nodes[e->node];
    ++s.reorgs;
    s.max_reorg_depth = std::max(s.max_reorg_depth, e->count);
  }
}

}  // namespace tally::study::detail
