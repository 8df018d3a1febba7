// Simulator: construction, the event loop, timers, draining a core's actions and events.
#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <utility>

#include "events/control_event.h"
#include "ledger/signature_cache.h"
#include "sim/sim_internal.h"
#include "sim/window_crew.h"

namespace tally::sim {

namespace {

// splitmix64: independent, well-mixed seeds for every node from the run's seed.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Node i listens on an IPv4 address of its own /16 (11.0.0.1, 11.1.0.1, ...), so the
// address book's bucketing treats every node as a distinct network, as on the internet. The
// addresses are virtual: nothing is ever sent to them.
p2p::NetAddress node_address(std::size_t i) {
  const auto hi = static_cast<std::uint32_t>(11 + i / 250);
  const auto mid = static_cast<std::uint32_t>(i % 250);
  return p2p::NetAddress::ipv4((hi << 24) | (mid << 16) | 1u, kListenPort);
}

// The smallest one-way latency between any two nodes, in whole microseconds (jitter, loss
// and a persona's extra latency only add to it): nothing a node does reaches another sooner.
std::int64_t smallest_latency_us(const NetworkModel& m) {
  double least = std::numeric_limits<double>::infinity();
  for (const auto& row : m.latency_ms)
    for (double ms : row) least = std::min(least, ms);
  return std::isfinite(least) && least > 0 ? static_cast<std::int64_t>(least * 1000) : 0;
}

}  // namespace

// More lanes than threads: whichever thread is free takes the next lane of a window, so one
// busy lane does not leave a thread idle, and a lane's few dozen nodes run a window's worth of
// events together, which keeps their state in cache (the first 3 minutes of S1 on 2 threads:
// 17-20 s against 28 s with one lane per thread; docs/BENCHMARKS.md). The output does not
// depend on the count.
constexpr std::size_t kLanesPerThread = 16;

thread_local Simulator::Lane* Simulator::t_lane_ = nullptr;

Simulator::Simulator(SimConfig config)
    : config_(std::move(config)),
      spec_(sim_chain_spec(config_)),
      global_(std::make_unique<EventQueue<Ev>>()),
      work_rng_(mix(config_.seed ^ 0x776f726b)) {}

Simulator::~Simulator() = default;

std::expected<std::unique_ptr<Simulator>, std::string> Simulator::create(SimConfig config,
                                                                          std::optional<std::filesystem::path> out_dir) {
  if (auto problem = config.check(); !problem.empty()) return std::unexpected(problem);
  std::unique_ptr<Simulator> sim(new Simulator(std::move(config)));
  ledger::SignatureCache::process().set_enabled(sim->config_.verify_signatures_once);
  sim->out_dir_ = std::move(out_dir);
  sim->start_us_ = (static_cast<std::int64_t>(sim->spec_.genesis_time) + 60) * 1'000'000;
  sim->now_us_ = sim->start_us_;
  // Lanes need a lookahead: with zero latency every node may answer another at once.
  sim->lookahead_us_ = smallest_latency_us(sim->config_.network);
  const std::size_t wanted = sim->config_.lanes ? sim->config_.lanes : sim->config_.threads * kLanesPerThread;
  const std::size_t lanes = sim->lookahead_us_ > 0 ? std::min(wanted, sim->config_.nodes) : std::size_t{1};
  for (std::size_t l = 0; l < lanes; ++l) {
    sim->lanes_.push_back(std::make_unique<Lane>());
    sim->lanes_.back()->outbox.resize(lanes);
    sim->lanes_.back()->now_us = sim->start_us_;
  }
  const auto regions = place_nodes(sim->config_.network, sim->config_.nodes, mix(sim->config_.seed ^ 0x726567));
  sim->inbox_.resize(sim->config_.nodes);
  for (std::size_t i = 0; i < sim->config_.nodes; ++i) {
    auto n = std::make_unique<SimNode>();
    n->index = i;
    n->name = "node" + std::to_string(i);
    n->address = node_address(i);
    n->region = regions[i];
    n->persona = sim->config_.personas[i];
    n->seed = mix(sim->config_.seed * 1'000'003 + i);
    n->net_random = mix(n->seed ^ 0x6e6574);
    sim->build_node_state(*n, /*fresh=*/true);
    sim->nodes_.push_back(std::move(n));
  }
  if (auto r = sim->setup_senders(); !r) return std::unexpected(r.error());
  sim->schedule_start();
  return sim;
}

// --- the loop ----------------------------------------------------------------------------

std::int64_t Simulator::now_us() const { return t_lane_ ? t_lane_->now_us : now_us_; }

SimStats& Simulator::stats_here() { return t_lane_ ? t_lane_->stats : main_stats_; }

const SimStats& Simulator::stats() const {
  stats_ = main_stats_;
  for (const auto& lane : lanes_) stats_ += lane->stats;
  return stats_;
}

void Simulator::push(SimNode& origin, std::uint32_t target, std::int64_t at_us, Ev ev) {
  ev.node = target;
  const std::uint64_t key = (std::uint64_t{origin.index} + 1) << kKeyNodeShift | origin.next_key++;
  const std::size_t lane = target % lanes_.size();
  if (in_window_ && t_lane_ != lanes_[lane].get())
    t_lane_->outbox[lane].push_back(Lane::Pending{at_us, key, std::move(ev)});
  else
    lanes_[lane]->queue.push(at_us, key, std::move(ev));
}

void Simulator::push_global(std::int64_t at_us, Ev ev) { global_->push(at_us, global_key_++, std::move(ev)); }

namespace {

// Sets a variable for the length of a scope (the thread's lane, the global-event flag).
template <class T>
class ScopedValue {
 public:
  ScopedValue(T& slot, T value) : slot_(slot), saved_(slot) { slot_ = value; }
  ~ScopedValue() { slot_ = saved_; }
  ScopedValue(const ScopedValue&) = delete;
  ScopedValue& operator=(const ScopedValue&) = delete;

 private:
  T& slot_;
  T saved_;
};

}  // namespace

void Simulator::run(std::optional<std::int64_t> until_ms, const std::function<void(const Progress&)>& progress,
                    std::int64_t progress_every_ms) {
  const std::int64_t end_ms = until_ms.value_or(config_.duration_ms);
  const std::int64_t end_us = start_us_ + end_ms * 1000;
  if (lanes_.size() > 1) {
    run_windows(end_us, progress, progress_every_ms);
  } else {
    std::int64_t next_report_ms = progress ? now_ms() + progress_every_ms : INT64_MAX;
    while (step_one(end_us)) {
      if (now_ms() >= next_report_ms) {
        progress(Progress{now_ms(), config_.duration_ms, &stats()});
        next_report_ms += progress_every_ms;
      }
    }
  }
  now_us_ = std::max(now_us_, end_us);
}

bool Simulator::run_until(const std::function<bool()>& pred, std::int64_t budget_ms) {
  const std::int64_t end_us = now_us_ + budget_ms * 1000;
  while (!pred()) {
    if (!step_one(end_us)) {
      now_us_ = std::max(now_us_, end_us);
      return pred();
    }
  }
  return true;
}

// Events one at a time in the order of (time, key) over all lanes, global events first at
// equal times: the order every node also sees when the lanes run side by side, and one that
// does not depend on the lane count (run_until may stop between two events of one instant).
bool Simulator::step_one(std::int64_t end_us) {
  Lane* best = nullptr;
  for (auto& lane : lanes_) {
    if (lane->queue.empty()) continue;
    if (!best || lane->queue.next_time_us() < best->queue.next_time_us() ||
        (lane->queue.next_time_us() == best->queue.next_time_us() && lane->queue.next_key() < best->queue.next_key()))
      best = lane.get();
  }
  const std::int64_t lane_next = best ? best->queue.next_time_us() : INT64_MAX;
  if (!global_->empty() && global_->next_time_us() <= lane_next) {
    if (global_->next_time_us() > end_us) return false;
    run_global_event();
    return true;
  }
  if (!best || lane_next > end_us) return false;
  {
    ScopedValue<Lane*> in(t_lane_, best);
    run_lane_event(*best);
  }
  now_us_ = std::max(now_us_, best->now_us);
  return true;
}

void Simulator::run_windows(std::int64_t end_us, const std::function<void(const Progress&)>& progress,
                            std::int64_t progress_every_ms) {
  std::int64_t next_report_ms = progress ? now_ms() + progress_every_ms : INT64_MAX;
  const std::function<void(std::size_t)> work = [&](std::size_t lane) { run_lane_window(lane, window_end_us_); };
  WindowCrew crew(config_.threads);  // after `work`: its threads are joined before `work` goes
  for (;;) {
    std::int64_t lane_next = INT64_MAX;
    for (const auto& lane : lanes_)
      if (!lane->queue.empty()) lane_next = std::min(lane_next, lane->queue.next_time_us());
    const std::int64_t global_next = global_->empty() ? INT64_MAX : global_->next_time_us();
    if (std::min(lane_next, global_next) > end_us) break;
    if (global_next <= lane_next) {
      run_global_event();
    } else {
      // Everything sent in [lane_next, window end) arrives at or after its end.
      window_end_us_ = std::min({lane_next + lookahead_us_, global_next, end_us + 1});
      in_window_ = true;
      crew.run(lanes_.size(), work);
      in_window_ = false;
      std::exception_ptr error;
      for (auto& lane : lanes_) {
        if (lane->error && !error) error = lane->error;
        lane->error = nullptr;
        now_us_ = std::max(now_us_, lane->now_us);
      }
      if (error) std::rethrow_exception(error);
      hand_over();
    }
    if (now_ms() >= next_report_ms) {
      progress(Progress{now_ms(), config_.duration_ms, &stats()});
      next_report_ms += progress_every_ms;
    }
  }
}

void Simulator::run_lane_window(std::size_t index, std::int64_t window_end_us) {
  Lane& lane = *lanes_[index];
  ScopedValue<Lane*> in(t_lane_, &lane);
  try {
    while (!lane.queue.empty() && lane.queue.next_time_us() < window_end_us) run_lane_event(lane);
  } catch (...) {
    lane.error = std::current_exception();
  }
}

void Simulator::hand_over() {
  for (auto& from : lanes_)
    for (std::size_t to = 0; to < lanes_.size(); ++to) {
      auto& box = from->outbox[to];
      for (auto& p : box) lanes_[to]->queue.push(p.at_us, p.key, std::move(p.ev));
      box.clear();
    }
}

void Simulator::run_global_event() {
  auto entry = global_->pop();
  now_us_ = std::max(now_us_, entry.at_us);
  ++main_stats_.events;
  ScopedValue<Lane*> none(t_lane_, nullptr);
  ScopedValue<bool> global(in_global_event_, true);
  const Ev& ev = entry.payload;
  switch (ev.kind) {
    case EvKind::kMine: return on_mine_timer();
    case EvKind::kLoad: return on_load_timer();
    case EvKind::kAction: return on_action(config_.actions[ev.aux]);
    default: return;
  }
}

void Simulator::run_lane_event(Lane& lane) {
  auto entry = lane.queue.pop();
  lane.now_us = std::max(lane.now_us, entry.at_us);
  ++lane.stats.events;
  Ev& ev = entry.payload;
  switch (ev.kind) {
    case EvKind::kFrame: return on_frame(ev);
    case EvKind::kClose: return on_close(ev);
    case EvKind::kDial: return on_dial(ev);
    case EvKind::kAccepted: return on_accepted(ev);
    case EvKind::kDialFailed: return on_dial_failed(ev);
    case EvKind::kTick: {
      SimNode& n = *nodes_[ev.node];
      if (!n.online || n.boot != ev.boot || entry.at_us != n.tick_at_us) return;  // stale
      n.tick_at_us = -1;
      n.core->on_tick(lane.now_us / 1000);
      return drain(n, lane.now_us, 0);
    }
    case EvKind::kWake: return on_wake(ev);
    case EvKind::kOffline:
      if (nodes_[ev.node]->online) log_node_control(events::ControlType::kStopNode, ev.node, /*by_node=*/true);
      return stop_node(ev.node);
    case EvKind::kOnline:
      // A persona's return is a start the report marks; the first boot of every node is not.
      if (nodes_[ev.node]->boot > 0 && !nodes_[ev.node]->online)
        log_node_control(events::ControlType::kStartNode, ev.node, /*by_node=*/true);
      return start_node(ev.node, ev.aux != 0);
    case EvKind::kMine:
    case EvKind::kLoad:
    case EvKind::kAction: return;  // global: never on a lane
  }
}

void Simulator::schedule_tick(SimNode& n) {
  if (!n.online) return;
  const std::int64_t now = now_us();
  const std::int64_t now_ms = now / 1000;
  std::int64_t due_ms = n.core->next_deadline_ms();
  if (due_ms <= now_ms) due_ms = now_ms + 1;  // the core has work now: next millisecond
  const std::int64_t due_us = due_ms * 1000;
  if (n.tick_at_us > now && n.tick_at_us <= due_us) return;  // an earlier tick is pending
  n.tick_at_us = due_us;
  push(n, static_cast<std::uint32_t>(n.index), due_us, Ev{.kind = EvKind::kTick, .boot = n.boot});
}

std::int64_t Simulator::work_us(const std::vector<p2p::NetEvent>& events, std::size_t frame_bytes) const {
  const ProcessingModel& m = config_.processing;
  std::int64_t cost = m.frame_us(frame_bytes);
  for (const auto& e : events) {
    if (const auto* c = std::get_if<p2p::BlockConnectedEvent>(&e.body))
      cost += m.block_base_us + m.block_per_tx_us * static_cast<std::int64_t>(c->tx_count);
    else if (std::holds_alternative<p2p::TxAcceptedEvent>(e.body))
      cost += m.tx_accept_us;
  }
  return cost;
}

void Simulator::drain(SimNode& n, std::int64_t at_us, std::size_t frame_bytes) {
  auto events = n.core->take_events();
  const std::int64_t done_us = at_us + work_us(events, frame_bytes);
  n.busy_until_us = std::max(n.busy_until_us, done_us);
  for (const auto& e : events) {
    if (const auto* t = std::get_if<p2p::TxAcceptedEvent>(&e.body); t && t->from == 0) ++stats_here().txs_accepted;
    if (std::holds_alternative<p2p::ReorgEvent>(e.body)) ++n.reorgs;
  }
  log_events(n, events, at_us, done_us);
  // Carrying out an action can make the core ask for more (a close refills outbound slots).
  for (auto actions = n.core->take_actions(); !actions.empty(); actions = n.core->take_actions()) {
    for (auto& action : actions) {
      if (auto* s = std::get_if<p2p::SendAction>(&action)) {
        if (auto it = n.links.find(s->peer); it != n.links.end()) send_frame(n, *it->second, std::move(s->frame), done_us);
      } else if (auto* d = std::get_if<p2p::DisconnectAction>(&action)) {
        close_link(n, d->peer, done_us);
      } else if (auto* c = std::get_if<p2p::ConnectAction>(&action)) {
        request_connect(n, c->address, done_us);
      }
    }
    if (!n.online) break;
  }
  schedule_tick(n);
}

bool Simulator::tips_agree() const {
  const SimNode* first = nullptr;
  for (const auto& n : nodes_) {
    if (!n->online) continue;
    if (!first) first = n.get();
    else if (n->chain->tip().hash != first->chain->tip().hash) return false;
  }
  return true;
}

bool Simulator::states_agree() const {
  const SimNode* first = nullptr;
  for (const auto& n : nodes_) {
    if (!n->online) continue;
    if (!first) first = n.get();
    else if (n->chain->state_hash() != first->chain->state_hash()) return false;
  }
  return true;
}

std::vector<std::pair<std::size_t, std::size_t>> Simulator::overlay() const {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  for (const auto& lane : lanes_)
    for (const auto& l : lane->links) {
      if (!l.open[0] || !l.open[1]) continue;
      const SimNode& a = *nodes_[l.end[0]];
      const SimNode& b = *nodes_[l.end[1]];
      if (!a.online || !b.online || a.boot != l.boot[0] || b.boot != l.boot[1]) continue;
      // A dial accepted but not yet known to the dialer is not part of the overlay.
      if (const auto it = a.links.find(l.peer[0]); it == a.links.end() || it->second != &l) continue;
      out.emplace_back(std::max(a.index, b.index), std::min(a.index, b.index));
    }
  std::ranges::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::size_t Simulator::outbound_count(std::size_t i) const {
  const SimNode& n = *nodes_[i];
  return n.online ? n.core->outbound_count() : 0;
}

std::int64_t Simulator::exponential_us(double mean_s) {
  std::exponential_distribution<double> d(1.0 / mean_s);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(d(work_rng_) * 1e6)));
}

}  // namespace tally::sim
