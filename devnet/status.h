// A devnet's state at a glance: per node height, tip, peers, mempool and mining, and
// whether every running node agrees on the tip and on the state commitment. Plain values and
// pure formatting; collecting them over RPC is Devnet::status().
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace tally::devnet {

struct NodeStatus {
  std::size_t index = 0;
  std::string name;
  int pid = 0;
  std::uint16_t rpc_port = 0;
  bool up = false;     // the process runs and its RPC answered
  std::string error;   // why not, when !up
  std::uint32_t height = 0;
  std::string tip;        // hex block hash
  std::string stateroot;  // hex state commitment of the tip
  std::string chainwork;  // hex
  std::size_t peers = 0;
  std::size_t inbound = 0;   // of peers: connected to this node
  std::size_t outbound = 0;  // of peers: dialled by this node
  std::size_t mempool = 0;
  bool mining = false;
  double hashes_per_s = 0;
  std::uint32_t behind = 0;  // best height among up nodes - height
};

struct StatusReport {
  std::vector<NodeStatus> nodes;
  std::vector<std::vector<std::size_t>> partition;  // as recorded; empty when healed
  std::size_t up = 0;
  std::uint32_t best_height = 0;
  std::size_t distinct_tips = 0;    // among up nodes
  std::size_t distinct_states = 0;  // among up nodes
  std::int64_t requested_interval_s = 0;  // the chain spec's block_interval_s (0: unknown)
  double measured_interval_s = 0;  // mean block interval since block 1 on a best node (0: fewer than 2 blocks)
  // Every up node (and at least one) is on the same tip / the same state commitment.
  bool tips_agree() const { return up > 0 && distinct_tips == 1; }
  bool states_agree() const { return up > 0 && distinct_states == 1; }
};

// Fills up, best_height, behind and the distinct counts from `nodes`.
StatusReport summarize(std::vector<NodeStatus> nodes);

// The table and the agreement line, e.g.
//   node   height  tip           peers  in/out  mempool  mining  behind
//   node0     120  0000a1b2c3d4      2     1/1        0  yes          0
//   all 4 nodes agree on tip 0000a1b2c3d4 (height 120) and state 9f1e2d3c4b5a
//   blocks every 5.1 s on average since block 1 (asked for 5 s)
std::string render_status(const StatusReport& report);

// The report as JSON (`tally-devnet status --json`): every field of StatusReport and of each
// NodeStatus under its own name, plus "tips_agree" and "states_agree".
boost::json::object status_json(const StatusReport& report);

}  // namespace tally::devnet
