// Simulator: construction, the event loop, timers, draining a core's actions and events.
#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "events/control_event.h"
#include "ledger/signature_cache.h"
#include "sim/sim_internal.h"

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

}  // namespace

Simulator::Simulator(SimConfig config)
    : config_(std::move(config)),
      spec_(sim_chain_spec(config_)),
      queue_(std::make_unique<EventQueue<Ev>>()),
      rng_(mix(config_.seed ^ 0x6e6574)),
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
    sim->build_node_state(*n, /*fresh=*/true);
    sim->nodes_.push_back(std::move(n));
  }
  if (auto r = sim->setup_senders(); !r) return std::unexpected(r.error());
  sim->schedule_start();
  return sim;
}

void Simulator::run(std::optional<std::int64_t> until_ms, const std::function<void(const Progress&)>& progress,
                    std::int64_t progress_every_ms) {
  const std::int64_t end_ms = until_ms.value_or(config_.duration_ms);
  const std::int64_t end_us = start_us_ + end_ms * 1000;
  std::int64_t next_report_ms = progress ? now_ms() + progress_every_ms : INT64_MAX;
  while (!queue_->empty() && queue_->next_time_us() <= end_us) {
    step();
    if (now_ms() >= next_report_ms) {
      progress(Progress{now_ms(), config_.duration_ms, &stats_});
      next_report_ms += progress_every_ms;
    }
  }
  now_us_ = std::max(now_us_, end_us);
}

bool Simulator::run_until(const std::function<bool()>& pred, std::int64_t budget_ms) {
  const std::int64_t end_us = now_us_ + budget_ms * 1000;
  while (!pred()) {
    if (queue_->empty() || queue_->next_time_us() > end_us) {
      now_us_ = std::max(now_us_, end_us);
      return pred();
    }
    step();
  }
  return true;
}

void Simulator::step() {
  auto entry = queue_->pop();
  now_us_ = std::max(now_us_, entry.at_us);
  ++stats_.events;
  Ev& ev = entry.payload;
  switch (ev.kind) {
    case EvKind::kFrame: return on_frame(ev);
    case EvKind::kClose: return on_close(ev);
    case EvKind::kConnect: return on_connect(ev);
    case EvKind::kTick: {
      SimNode& n = *nodes_[ev.node];
      if (!n.online || n.boot != ev.boot || entry.at_us != n.tick_at_us) return;  // stale
      n.tick_at_us = -1;
      n.core->on_tick(now_us_ / 1000);
      return drain(n, now_us_, 0);
    }
    case EvKind::kWake: return on_wake(ev);
    case EvKind::kMine: return on_mine_timer();
    case EvKind::kLoad: return on_load_timer();
    case EvKind::kAction: return on_action(config_.actions[ev.aux]);
    case EvKind::kOffline:
      if (nodes_[ev.node]->online) log_node_control(events::ControlType::kStopNode, ev.node);
      return stop_node(ev.node);
    case EvKind::kOnline:
      // A persona's return is a start the report marks; the first boot of every node is not.
      if (nodes_[ev.node]->boot > 0 && !nodes_[ev.node]->online) log_node_control(events::ControlType::kStartNode, ev.node);
      return start_node(ev.node, ev.aux != 0);
  }
}

void Simulator::schedule_tick(SimNode& n) {
  if (!n.online) return;
  const std::int64_t now_ms = now_us_ / 1000;
  std::int64_t due_ms = n.core->next_deadline_ms();
  if (due_ms <= now_ms) due_ms = now_ms + 1;  // the core has work now: next millisecond
  const std::int64_t due_us = due_ms * 1000;
  if (n.tick_at_us > now_us_ && n.tick_at_us <= due_us) return;  // an earlier tick is pending
  n.tick_at_us = due_us;
  queue_->push(due_us, Ev{.kind = EvKind::kTick, .node = static_cast<std::uint32_t>(n.index), .boot = n.boot});
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
    if (const auto* t = std::get_if<p2p::TxAcceptedEvent>(&e.body); t && t->from == 0) ++stats_.txs_accepted;
    if (std::holds_alternative<p2p::ReorgEvent>(e.body)) ++n.reorgs;
  }
  log_events(n, events, at_us, done_us);
  // Carrying out an action can make the core ask for more (a close refills outbound slots).
  for (auto actions = n.core->take_actions(); !actions.empty(); actions = n.core->take_actions()) {
    for (auto& action : actions) {
      if (auto* s = std::get_if<p2p::SendAction>(&action)) {
        if (auto it = n.links.find(s->peer); it != n.links.end()) send_frame(n, it->second, std::move(s->frame), done_us);
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
  for (const auto& l : links_) {
    if (!l.open[0] || !l.open[1]) continue;
    const SimNode& a = *nodes_[l.end[0]];
    const SimNode& b = *nodes_[l.end[1]];
    if (!a.online || !b.online || a.boot != l.boot[0] || b.boot != l.boot[1]) continue;
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
