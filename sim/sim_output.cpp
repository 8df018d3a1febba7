// Simulator: the output directory, in the layout tally-devnet writes so that tally-study reads
// it unchanged: DIR/node<i>/events.jsonl (virtual-time stamps, the schema of events/),
// DIR/control.jsonl, DIR/devnet.json (nodes and the overlay's edges) and DIR/sim.json.
#include <boost/json.hpp>
#include <algorithm>
#include <cstdio>
#include <iterator>

#include "base/files.h"
#include "crypto/hex.h"
#include "p2p/event_record.h"
#include "sim/sim_internal.h"

namespace tally::sim {

namespace json = boost::json;

namespace {

constexpr std::size_t kLogFlushBytes = 16 * 1024;  // per node: 10,000 nodes hold 160 MiB at most

void append_file(const std::filesystem::path& path, const std::string& text) {
  if (text.empty()) return;
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  std::fclose(f);
  if (!ok) throw std::runtime_error("cannot write " + path.string());
}

// Events that happen when the work on an input is done rather than when it arrives.
bool after_work(const p2p::NetEventBody& body) {
  return std::holds_alternative<p2p::BlockConnectedEvent>(body) || std::holds_alternative<p2p::TipChangedEvent>(body) ||
         std::holds_alternative<p2p::ReorgEvent>(body) || std::holds_alternative<p2p::BlockRejectedEvent>(body);
}

bool is_tx_event(const p2p::NetEventBody& body) {
  return std::holds_alternative<p2p::TxAcceptedEvent>(body) || std::holds_alternative<p2p::TxRejectedEvent>(body);
}

}  // namespace

void Simulator::log_events(SimNode& n, const std::vector<p2p::NetEvent>& events, std::int64_t at_us,
                           std::int64_t done_us) {
  if (!out_dir_) return;
  for (const auto& e : events) {
    if (!config_.log_tx_events && is_tx_event(e.body)) continue;
    n.log += events::to_json_line(p2p::to_event_record(e, after_work(e.body) ? done_us : at_us, n.name));
    n.log += '\n';
  }
  flush_log(n, false);
}

void Simulator::log_lifecycle(SimNode& n, events::EventType type) {
  if (!out_dir_) return;
  auto e = events::make_event(type, now_us(), n.name);
  e.height = n.chain->height();
  n.log += events::to_json_line(e);
  n.log += '\n';
  flush_log(n, false);
}

void Simulator::log_control(const std::string& line, SimNode* origin) {
  if (!out_dir_) return;
  if (origin && t_lane_)
    t_lane_->control.push_back(ControlLine{
        now_us(), (std::uint64_t{origin->index} + 1) << kKeyNodeShift | origin->next_key++, line});
  else if (in_global_event_)  // before the nodes' events of the same time
    control_.push_back(ControlLine{now_us(), control_key_++, line});
  else  // a call from outside a run: after everything that ran up to now
    control_.push_back(ControlLine{now_us(), kCallKeyBase + control_key_++, line});
}

void Simulator::flush_log(SimNode& n, bool force) {
  if (!out_dir_ || n.log.empty() || (!force && n.log.size() < kLogFlushBytes)) return;
  const auto dir = *out_dir_ / n.name;
  std::filesystem::create_directories(dir);
  append_file(dir / "events.jsonl", n.log);
  n.log.clear();
}

std::string Simulator::layout_json() const {
  json::array nodes;
  for (const auto& n : nodes_)
    nodes.push_back(json::object{{"name", n->name},
                                 {"datadir", n->name},
                                 {"region", config_.network.regions[n->region].name},
                                 {"address", n->address.to_string()},
                                 {"mining", n->persona.mining},
                                 {"blocks_mined", n->blocks_mined}});
  json::array edges;
  for (const auto& [a, b] : overlay()) edges.push_back(json::array{a, b});
  json::object root{{"version", 1}, {"source", "tally-sim"}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
  return json::serialize(root);
}

std::expected<void, std::string> Simulator::finish(const std::string& summary_json) {
  if (!out_dir_) return {};
  try {
    for (auto& n : nodes_) {
      if (n->online) log_lifecycle(*n, events::EventType::kNodeStopped);
      flush_log(*n, true);
      // A node that never logged still has its (empty) log, so the study finds every node.
      std::filesystem::create_directories(*out_dir_ / n->name);
      append_file(*out_dir_ / n->name / "events.jsonl", "");
      if (!std::filesystem::exists(*out_dir_ / n->name / "events.jsonl"))
        (void)base::write_file_atomic(*out_dir_ / n->name / "events.jsonl", "");
    }
    // The lines of every lane and of the run, in the order of time and key.
    std::vector<ControlLine> lines = std::move(control_);
    control_.clear();
    for (auto& lane : lanes_) {
      std::ranges::move(lane->control, std::back_inserter(lines));
      lane->control.clear();
    }
    std::ranges::stable_sort(lines, [](const ControlLine& a, const ControlLine& b) {
      return a.at_us != b.at_us ? a.at_us < b.at_us : a.key < b.key;
    });
    std::string text;
    for (const auto& l : lines) text += l.text + '\n';
    append_file(*out_dir_ / "control.jsonl", text);
    if (!std::filesystem::exists(*out_dir_ / "control.jsonl"))
      (void)base::write_file_atomic(*out_dir_ / "control.jsonl", "");
  } catch (const std::exception& e) {
    return std::unexpected(std::string(e.what()));
  }
  if (auto r = base::write_file_atomic(*out_dir_ / "devnet.json", layout_json() + "\n"); !r) return r;
  return base::write_file_atomic(*out_dir_ / "sim.json", summary_json + "\n");
}

}  // namespace tally::sim
