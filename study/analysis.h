// The figures of a study, computed from the event logs alone (never from configured
// values): block and transaction propagation, forks and reorgs, agreement over time and the
// final convergence. docs/STUDY.md defines each figure; report_json.cpp names them.
//
// Times are wall-clock microseconds as logged (ts_us) or milliseconds relative to a
// reference (*_ms). Plain values; analyze() is a pure function of the RunLog.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "study/overlay.h"
#include "study/run_log.h"
#include "study/stats.h"

namespace tally::study {

// Time for a block (or tx) to reach 50%, 90% and 100% of the nodes that could receive it.
struct Reach {
  std::optional<double> t50_ms, t90_ms, t100_ms;
};

struct Arrival {
  std::optional<std::int64_t> connected_us;  // first block_connected (tx: tx_accepted)
  std::optional<std::int64_t> header_us;     // first header_seen (blocks only)
};

struct BlockInfo {
  std::string hash;
  std::int64_t height = -1;
  std::optional<std::string> parent;  // when derivable from the logs
  std::int64_t first_seen_us = 0;     // earliest header_seen or block_connected anywhere
  std::size_t first_node = 0;         // where it was first seen
  std::optional<std::size_t> miner;   // the node with header_seen peer 0
  std::optional<std::int64_t> txs;    // from block_connected
  bool during_partition = false;      // first seen while a partition was in force
  std::vector<Arrival> arrivals;      // per node
  std::vector<bool> reachable;        // per node: running and on the origin's side at first_seen
  std::size_t reachable_count = 0;
  Reach connected, header;
  bool connected_anywhere = false;
  bool on_final_chain = false;
  int lane = 0;  // block tree: 0 = final chain, 1.. = stale branches
};

struct HopStats {
  std::size_t hops = 0;
  Distribution connected_ms, header_ms;
};

struct PropagationStats {
  std::size_t blocks = 0;  // blocks with a known first appearance
  std::size_t blocks_during_partition = 0;
  Distribution connected_delay_ms, header_delay_ms;  // over (block, reachable non-origin node)
  std::vector<double> connected_delays_ms, header_delays_ms;  // sorted, for the CDF
  std::size_t missing_arrivals = 0;  // reachable non-origin nodes that never connected it
  Distribution t50_ms, t90_ms, t100_ms;  // over blocks (block_connected)
  Distribution header_t50_ms, header_t90_ms, header_t100_ms;
  // Per block, sorted, for the reach CDF: time to 50%, 90% and 100% of reachable nodes.
  std::vector<double> t50_values_ms, t90_values_ms, t100_values_ms;
  std::size_t blocks_reaching_all = 0;
  bool has_topology = false;
  std::vector<HopStats> by_hop;  // ascending hops, from the miner
};

struct TxInfo {
  std::string txid;
  std::int64_t first_us = 0;
  std::size_t origin = 0;
  bool submitted_locally = false;  // first acceptance had peer 0
  std::vector<std::optional<std::int64_t>> accepted_us;  // per node
  std::size_t reachable_count = 0;
  Reach reach;
  std::optional<double> inclusion_ms;  // first block_connected listing it (needs "txids")
  std::vector<std::string> included_in;  // every block listing it (any branch)
  // Until every node that ended on the final chain had connected the final-chain block k-1
  // above the one including it (k = TxStats::confirmations).
  std::optional<double> confirmed_all_ms;
};

struct TxStats {
  std::size_t txs = 0;
  std::size_t submitted_locally = 0;
  std::size_t rejected_events = 0;
  Distribution delay_ms;  // over (tx, reachable non-origin node)
  std::vector<double> delays_ms;  // sorted
  std::size_t missing_arrivals = 0;
  Distribution t50_ms, t90_ms, t100_ms;
  std::size_t reaching_all = 0;
  bool inclusion_available = false;
  std::size_t included = 0;
  Distribution inclusion_ms;
  std::size_t confirmations = 6;     // k
  std::size_t confirmed_all = 0;     // txs with k confirmations on every such node
  Distribution confirmed_all_ms;     // submission to k confirmations on every such node
  // Clock-free: txids listed by more than one block of the final chain (must be empty).
  std::vector<std::string> confirmed_twice;
};

struct ReorgRecord {
  std::size_t node = 0;
  std::int64_t ts_us = 0;
  std::int64_t depth = 0;
  std::string old_tip, new_tip;
};

struct ForkStats {
  std::optional<std::string> final_tip;  // the majority's final tip
  std::int64_t final_height = -1;
  std::size_t blocks = 0;                 // blocks connected on some node
  std::size_t final_chain_blocks = 0;     // of those, on the final chain
  std::size_t stale_blocks = 0;           // connected somewhere, not on the final chain
  std::optional<double> stale_rate;       // stale_blocks / blocks
  std::size_t stale_seen_only = 0;        // header seen, never connected, not on the final chain
  std::vector<std::string> stale_hashes;  // stale_blocks, by height
  std::size_t longest_stale_branch = 0;   // blocks in the longest run of stale ancestors
  // Mean interval between the final chain's blocks from block 1 to the tip, by when each was
  // first seen anywhere (wall clock, not header times); nullopt below two such blocks.
  std::optional<double> mean_interval_s;
  std::optional<double> requested_interval_s;  // RunLog::requested_interval_s
  std::vector<ReorgRecord> reorgs;        // in time order
  std::int64_t max_reorg_depth = 0;
  std::map<std::int64_t, std::size_t> depth_histogram;
  bool parent_links_complete = true;  // every final-chain block's parent was derivable
};

struct AgreementSample {
  double t_ms = 0;  // from the run's start
  double fraction = 0;
  std::size_t agreeing = 0;
  std::size_t running = 0;  // running nodes with a known tip
};

struct PartitionWindow {
  std::int64_t start_us = 0;
  std::optional<std::int64_t> end_us;  // the heal (or the next partition); open at the end
  std::vector<std::vector<std::size_t>> groups;
};

struct HealRecord {
  std::int64_t ts_us = 0;
  std::optional<double> time_to_agreement_ms;  // until every running node had the same tip
  std::optional<std::string> agreed_tip;
};

struct AgreementStats {
  double sample_interval_ms = 100;
  std::vector<AgreementSample> samples;
  std::optional<double> full_agreement_time_fraction;
  std::vector<HealRecord> heals;
};

// How a node's final tip stands to the final chain (clock-free).
enum class TipRelation {
  kOnTip,     // it is the majority tip
  kBehind,    // an ancestor of the majority tip: the node lags
  kAhead,     // a descendant of the majority tip: the node has blocks the others lack
  kDiverged,  // on a branch off the final chain
  kUnknown,   // the parent links do not reach the final chain
};
std::string_view to_string(TipRelation r);

struct NodeSummary {
  std::optional<std::string> final_tip;
  std::int64_t final_height = -1;
  bool on_majority_tip = false;
  std::optional<TipRelation> relation;  // when the node has a final tip
  // The height up to which its chain and the final chain agree (its fork point).
  std::optional<std::int64_t> shared_height;
  bool running_at_end = false;
  std::size_t reorgs = 0;
  std::int64_t max_reorg_depth = 0;
  std::size_t blocks_connected = 0, headers_seen = 0, txs_accepted = 0, txs_rejected = 0, blocks_rejected = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> running;  // [start_us, end_us) intervals
  std::vector<std::pair<std::int64_t, std::int64_t>> heights;  // (ts_us, tip height) steps
};

struct Convergence {
  std::optional<std::string> majority_tip;
  std::int64_t majority_height = -1;
  std::size_t nodes_with_tip = 0;
  std::vector<std::size_t> agreeing;       // nodes whose final tip is the majority's
  std::vector<std::size_t> not_converged;  // nodes with a final tip that differs
  bool all_converged = false;
  // Every node with a final tip holds the final chain up to this height (the minimum of
  // the nodes' shared_height); absent when a node's relation is unknown.
  std::optional<std::int64_t> common_prefix_height;
};

struct Analysis {
  std::int64_t start_us = 0, end_us = 0;  // first and last event (logs and controls)
  std::size_t events = 0, malformed = 0, unknown_events = 0;
  std::vector<NodeSummary> nodes;  // parallel to RunLog::nodes
  std::vector<BlockInfo> blocks;   // by first appearance
  std::vector<TxInfo> txs;         // by first acceptance
  std::vector<PartitionWindow> partitions;
  PropagationStats propagation;
  TxStats tx;
  ForkStats forks;
  AgreementStats agreement;
  Convergence convergence;
  OverlayStats overlay;  // from devnet.json's edges
  std::vector<std::string> limitations;
};

Analysis analyze(const RunLog& run);

}  // namespace tally::study
