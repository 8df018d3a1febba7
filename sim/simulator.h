// tally-sim's engine: many nodes running the real ledger and protocol cores in one process,
// on a virtual clock driven by event queues (frame deliveries, dials and accepts, closes, node
// timers, blocks found, transactions submitted, scripted actions). Nothing scans all nodes per
// step: each node's next timer is one queue entry.
//
// Lanes: the nodes are dealt to lanes (16 per thread of config.threads, or config.lanes;
// node i to lane i mod lanes), each with its own queue. Nothing one node does reaches another
// sooner than the network's smallest one-way latency (the lookahead), so run() lets the lanes
// run side by side on their own threads through windows of virtual time no longer than that,
// and hands over what crossed between lanes at the end of each window. Mining, load and
// scripted actions run between windows on the caller's thread; whichever thread is free takes
// the next lane of a window. Events of equal time are ordered by keys made by the node that
// caused them, never by which thread came first, so the output does not depend on the number
// of threads (a network with zero latency runs in one lane).
//
// Fidelity trade-offs (docs/STUDY.md, "tally-sim", lists them): an in-memory store per node,
// a process-wide cache of verified signatures (each signature is checked once per process;
// every node still runs its full validation path), processing time from a model rather than
// measured, bandwidth FIFO per node in the order frames are sent.
//
// Determinism: everything derives from config.seed; the same config gives the same run and
// the same output bytes (apart from sim.json's "cost"), whatever config.threads is. The public
// interface is for one thread; run() alone uses more.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "events/control_event.h"
#include "events/event.h"
#include "ledger/chain_spec.h"
#include "ledger/executor.h"
#include "sim/event_queue.h"
#include "sim/sim_config.h"
#include "sim/sim_node.h"

namespace tally::sim {

struct SimStats {
  std::uint64_t events = 0;          // queue entries processed
  std::uint64_t frames = 0;          // P2P frames delivered
  std::uint64_t frame_bytes = 0;
  std::uint64_t connections = 0;     // connections established
  std::uint64_t connect_failures = 0;
  std::uint64_t blocks_mined = 0;
  std::uint64_t mining_failures = 0;  // a winner's block that could not be assembled or was refused
  std::uint64_t txs_submitted = 0;
  std::uint64_t txs_accepted = 0;

  SimStats& operator+=(const SimStats& o) {
    events += o.events;
    frames += o.frames;
    frame_bytes += o.frame_bytes;
    connections += o.connections;
    connect_failures += o.connect_failures;
    blocks_mined += o.blocks_mined;
    mining_failures += o.mining_failures;
    txs_submitted += o.txs_submitted;
    txs_accepted += o.txs_accepted;
    return *this;
  }
};

struct Progress {
  std::int64_t sim_ms = 0;       // virtual time since the start
  std::int64_t duration_ms = 0;
  const SimStats* stats = nullptr;
};

class Simulator {
 public:
  // Builds the nodes (genesis state, personas, regions) and schedules the topology, mining,
  // load and actions of `config`. With `out_dir`, event logs are written there as the run goes
  // (DIR/node<i>/events.jsonl, DIR/control.jsonl); finish() writes the rest.
  [[nodiscard]] static std::expected<std::unique_ptr<Simulator>, std::string> create(
      SimConfig config, std::optional<std::filesystem::path> out_dir = std::nullopt);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Runs until virtual time `ms` after the start (or config.duration_ms when omitted);
  // `progress` is called every `progress_every_ms` of virtual time.
  void run(std::optional<std::int64_t> until_ms = std::nullopt,
           const std::function<void(const Progress&)>& progress = {}, std::int64_t progress_every_ms = 10'000);
  // Runs for `ms` more of virtual time.
  void run_for(std::int64_t ms) { run(now_ms() + ms); }
  // Runs until pred() holds (checked after every event) or `budget_ms` of virtual time pass.
  bool run_until(const std::function<bool()>& pred, std::int64_t budget_ms);

  // --- actions (also what scripted actions do) ---------------------------------------
  void connect(std::size_t from, std::size_t to);  // from dials to
  // Nodes of different groups refuse each other, through the mechanism tallyd uses
  // (NetCore::set_blocked); nodes in no group form one more group.
  void partition(const std::vector<std::vector<std::size_t>>& groups);
  void heal();
  void stop_node(std::size_t i);
  void start_node(std::size_t i, bool keep_state);
  // Mines one block at node i now (on its tip, from its mempool). nullopt if it is offline.
  std::optional<ledger::BlockHash> mine(std::size_t i);
  // Node i stops (or starts) mining from now on.
  void set_mining(std::size_t i, bool on) { nodes_[i]->persona.mining = on; }
  void stop_mining(std::size_t i) { set_mining(i, false); }
  // Submits `tx` to node i now, as an RPC sendrawtransaction would; true when accepted.
  bool submit_transaction(std::size_t i, const ledger::Transaction& tx);
  // Submits a transfer from sender key k through its home node now; true when accepted.
  bool submit_transfer(std::size_t sender);

  // --- queries ----------------------------------------------------------------------
  std::size_t size() const { return nodes_.size(); }
  const SimNode& node(std::size_t i) const { return *nodes_[i]; }
  const SimConfig& config() const { return config_; }
  const ledger::ChainSpec& spec() const { return spec_; }
  std::int64_t now_ms() const { return (now_us_ - start_us_) / 1000; }
  const SimStats& stats() const;
  std::size_t lanes() const { return lanes_.size(); }
  std::int64_t lookahead_us() const { return lookahead_us_; }
  bool tips_agree() const;     // among online nodes
  bool states_agree() const;   // among online nodes
  // The current overlay: established connections as (a, b) with a > b, sorted, unique.
  std::vector<std::pair<std::size_t, std::size_t>> overlay() const;
  std::size_t outbound_count(std::size_t i) const;

  // devnet.json's text: the nodes (name, datadir, region, miner) and the overlay's edges.
  std::string layout_json() const;
  // Writes what remains of the output: the logs, DIR/devnet.json and DIR/sim.json (the
  // caller's summary, see sim/summary.h). No-op without an output directory.
  [[nodiscard]] std::expected<void, std::string> finish(const std::string& summary_json);

 private:
  struct Ev;
  struct Lane;
  struct ControlLine;
  explicit Simulator(SimConfig config);

  // The loop (simulator.cpp)
  void run_windows(std::int64_t end_us, const std::function<void(const Progress&)>& progress,
                   std::int64_t progress_every_ms);
  // One event in order (global or of any lane); false when none is due by end_us.
  bool step_one(std::int64_t end_us);
  void run_global_event();
  void run_lane_event(Lane& lane);
  void run_lane_window(std::size_t lane, std::int64_t window_end_us);
  void hand_over();
  std::int64_t now_us() const;
  SimStats& stats_here();
  // Puts an event on the agenda of node `target`'s lane; `origin` is the node whose work
  // causes it (its key orders equal times).
  void push(SimNode& origin, std::uint32_t target, std::int64_t at_us, Ev ev);
  void push_global(std::int64_t at_us, Ev ev);
  void schedule_tick(SimNode& n);
  // Takes what n's core emitted after an input at `at_us` of `frame_bytes` bytes: charges the
  // processing time, logs the events, and carries out the actions when the work is done.
  void drain(SimNode& n, std::int64_t at_us, std::size_t frame_bytes);
  std::int64_t work_us(const std::vector<p2p::NetEvent>& events, std::size_t frame_bytes) const;
  std::int64_t exponential_us(double mean_s);
  // The network (sim_network.cpp)
  void send_frame(SimNode& from, SimLink& link, std::shared_ptr<const crypto::Bytes> frame, std::int64_t at_us);
  void on_frame(const Ev& ev);
  void on_wake(const Ev& ev);
  void deliver(SimNode& n, const Ev& ev);
  void request_connect(SimNode& from, const p2p::NetAddress& to, std::int64_t at_us);
  void on_dial(const Ev& ev);
  void on_accepted(const Ev& ev);
  void on_dial_failed(const Ev& ev);
  void close_link(SimNode& n, p2p::PeerId peer, std::int64_t at_us);
  // End `end` of `l` (a node of `n`'s) is closed: the other end learns it one latency later.
  void send_close(SimNode& n, SimLink& l, std::uint8_t end, std::int64_t at_us);
  void on_close(const Ev& ev);
  std::int64_t one_way_us(SimNode& from, const SimNode& to);
  bool cut(std::size_t a, std::size_t b) const;
  std::optional<std::size_t> node_at(const p2p::NetAddress& address) const;
  // Nodes and actions (sim_nodes.cpp)
  void build_node_state(SimNode& n, bool fresh);
  void boot(SimNode& n);
  void apply_partition(SimNode& n);
  void schedule_start();
  void on_action(const TimedAction& action);
  // Mining and load (sim_work.cpp)
  [[nodiscard]] std::expected<void, std::string> setup_senders();
  void on_mine_timer();
  void on_load_timer();
  // Output (sim_output.cpp)
  void log_events(SimNode& n, const std::vector<p2p::NetEvent>& events, std::int64_t at_us, std::int64_t done_us);
  void log_lifecycle(SimNode& n, events::EventType type);
  // A control.jsonl line caused by node `origin`'s event, or by the run's (nullptr).
  void log_control(const std::string& line, SimNode* origin = nullptr);
  void log_node_control(events::ControlType type, std::size_t node, bool by_node);
  void flush_log(SimNode& n, bool force);

  SimConfig config_;
  ledger::ChainSpec spec_;
  // Every node's signature checks run inline on its lane's thread, through one executor
  // shared by all chains (deterministic; a ThreadPool could be injected the same way).
  ledger::InlineExecutor executor_;
  std::optional<std::filesystem::path> out_dir_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::int64_t lookahead_us_ = 0;  // the smallest one-way latency: no window is longer
  bool in_window_ = false;         // lanes are running side by side
  bool in_global_event_ = false;   // mining, load or an action is running
  std::int64_t window_end_us_ = 0; // the running window's end (exclusive)
  static thread_local Lane* t_lane_;  // the lane this thread is running, if any
  std::vector<std::deque<Ev>> inbox_;  // per node: frames waiting while it is busy
  std::vector<std::vector<std::size_t>> dial_targets_;  // fixed topologies
  std::unique_ptr<EventQueue<Ev>> global_;  // mining, load and scripted actions
  std::uint64_t global_key_ = 0;
  std::mt19937_64 work_rng_;  // start times, mining and load
  std::int64_t start_us_ = 0;  // virtual time of the start, in microseconds since the Unix epoch
  std::int64_t now_us_ = 0;    // between windows and in global events
  std::vector<int> group_of_;  // partition group per node; empty when healed
  std::vector<crypto::SecretKey> sender_keys_;
  std::vector<crypto::Address> sender_address_;
  std::vector<std::size_t> sender_home_;
  SimStats main_stats_;        // what global events and calls from outside did
  mutable SimStats stats_;     // the sum, as of the last stats() call
  std::vector<ControlLine> control_;  // lines of global events and calls
  std::uint64_t control_key_ = 0;
};

// The run's chain spec: the embedded devnet spec with the scenario's block interval and block
// size, an easy genesis target (proof-of-work stays real but costs milliseconds per block),
// and `senders` funded keys (secret key i = SHA-256("Tally sim sender " + i)).
ledger::ChainSpec sim_chain_spec(const SimConfig& config);
crypto::SecretKey sim_sender_key(std::size_t index);

}  // namespace tally::sim
