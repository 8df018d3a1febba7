// The live dashboard's model (devnet/dashboard_model.h).
#include "devnet/dashboard_model.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

namespace tally::devnet {

namespace json = boost::json;

void DashboardModel::set_layout(const Layout& layout) {
  dir_ = layout.dir.string();
  names_.clear();
  endpoints_.clear();
  for (const NodeRecord& n : layout.nodes) {
    names_.push_back(n.name);
    endpoints_.push_back(n.p2p_endpoint());
  }
  partition_ = layout.partition;
}

void DashboardModel::on_status(const StatusReport& report) {
  nodes_ = report.nodes;
  partition_ = report.partition;
}

void DashboardModel::on_outbound_peers(std::size_t node, const std::vector<std::string>& endpoints) {
  std::vector<std::size_t> to;
  for (const std::string& e : endpoints) {
    const auto it = std::find(endpoints_.begin(), endpoints_.end(), e);
    if (it != endpoints_.end()) to.push_back(static_cast<std::size_t>(it - endpoints_.begin()));
  }
  outbound_[node] = std::move(to);
}

void DashboardModel::on_header(const std::string& hash, const std::string& prev, std::int64_t height) {
  Block& b = blocks_[hash];
  b.prev = prev;
  b.height = height;
  if (auto it = early_seen_.find(hash); it != early_seen_.end()) {
    for (const auto& [node, ts] : it->second) b.seen_us.try_emplace(node, ts);
    early_seen_.erase(it);
  }
  // Forget what fell far behind the window.
  const std::int64_t keep_from = best_height() - 4 * kWindow;
  std::erase_if(blocks_, [&](const auto& kv) { return kv.second.height < keep_from; });
  if (early_seen_.size() > 4096) early_seen_.clear();
}

void DashboardModel::on_event(std::size_t node, const events::Event& e) {
  if (e.type != events::EventType::kHeaderSeen && e.type != events::EventType::kBlockConnected) return;
  if (auto it = blocks_.find(e.hash); it != blocks_.end()) {
    it->second.seen_us.try_emplace(node, e.ts_us);
    return;
  }
  early_seen_[e.hash].try_emplace(node, e.ts_us);
}

void DashboardModel::on_control(const events::ControlEvent& event) {
  marks_.push_back(event);
  if (marks_.size() > kMarks) marks_.erase(marks_.begin());
}

std::int64_t DashboardModel::best_height() const {
  std::int64_t best = 0;
  for (const NodeStatus& n : nodes_)
    if (n.up) best = std::max<std::int64_t>(best, n.height);
  return best;
}

std::vector<std::pair<std::string, std::size_t>> DashboardModel::wanted_headers(std::size_t max) const {
  std::vector<std::pair<std::string, std::size_t>> out;
  std::set<std::string> asked;
  const std::int64_t floor = best_height() - kWindow;
  for (const NodeStatus& n : nodes_) {
    if (!n.up || n.tip.empty()) continue;
    // Down the node's chain from its tip, to the first unknown block inside the window.
    std::string hash = n.tip;
    for (int depth = 0; depth <= kWindow && !hash.empty(); ++depth) {
      const auto it = blocks_.find(hash);
      if (it == blocks_.end()) {
        if (asked.insert(hash).second) out.emplace_back(hash, n.index);
        break;
      }
      if (it->second.height <= std::max<std::int64_t>(floor, 0)) break;
      hash = it->second.prev;
    }
    if (out.size() >= max) break;
  }
  return out;
}

json::object DashboardModel::snapshot(std::int64_t now_us) const {
  json::object s;
  s["dir"] = dir_;
  s["now_us"] = now_us;
  json::array nodes;
  std::set<std::string> tips;
  for (const NodeStatus& n : nodes_) {
    json::object o{{"index", n.index},     {"name", n.name},         {"up", n.up},
                   {"height", n.height},   {"tip", n.tip},           {"mempool", n.mempool},
                   {"inbound", n.inbound}, {"outbound", n.outbound}, {"mining", n.mining}};
    if (!n.up) o["error"] = n.error;
    if (n.up && !n.tip.empty()) tips.insert(n.tip);
    nodes.push_back(std::move(o));
  }
  s["nodes"] = std::move(nodes);
  json::array edges;
  for (const auto& [from, tos] : outbound_)
    for (std::size_t to : tos) edges.push_back(json::array{from, to});
  s["edges"] = std::move(edges);

  // The tree: blocks of the window, their children counted for the leaves.
  const std::int64_t floor = best_height() - kWindow;
  std::map<std::string, int> children;
  for (const auto& [hash, b] : blocks_)
    if (b.height > floor) ++children[b.prev];
  json::array blocks;
  std::size_t leaves = 0;
  for (const auto& [hash, b] : blocks_) {
    if (b.height <= floor) continue;
    const bool leaf = !children.contains(hash);
    leaves += leaf ? 1 : 0;
    json::object seen;
    for (const auto& [node, ts] : b.seen_us) seen[std::to_string(node)] = ts;
    blocks.push_back(json::object{{"hash", hash}, {"prev", b.prev}, {"height", b.height}, {"leaf", leaf},
                                  {"seen_us", std::move(seen)}});
  }
  s["blocks"] = std::move(blocks);
  s["tips"] = tips.size();
  s["leaves"] = leaves;

  // Propagation of the latest blocks seen by at least one node: delay after the first.
  std::vector<std::pair<std::int64_t, std::string>> recent;
  for (const auto& [hash, b] : blocks_)
    if (!b.seen_us.empty()) recent.emplace_back(b.height, hash);
  std::sort(recent.rbegin(), recent.rend());
  json::array propagation;
  for (std::size_t k = 0; k < recent.size() && k < kPropagationBlocks; ++k) {
    const Block& b = blocks_.at(recent[k].second);
    std::int64_t first = INT64_MAX;
    for (const auto& [node, ts] : b.seen_us) first = std::min(first, ts);
    json::object delays;
    for (const auto& [node, ts] : b.seen_us) delays[std::to_string(node)] = static_cast<double>(ts - first) / 1000.0;
    propagation.push_back(json::object{{"hash", recent[k].second}, {"height", b.height}, {"delay_ms", std::move(delays)}});
  }
  s["propagation"] = std::move(propagation);

  json::array partition;
  for (const auto& g : partition_) {
    json::array group;
    for (std::size_t i : g) group.push_back(i);
    partition.push_back(std::move(group));
  }
  s["partition"] = std::move(partition);
  json::array marks;
  for (const auto& m : marks_) {
    json::object o{{"ts_us", m.ts_us}, {"event", m.type_name}};
    if (auto i = m.node.resolve(names_)) o["node"] = *i;
    json::array groups;
    for (const auto& g : m.groups) {
      json::array group;
      for (const auto& ref : g)
        if (auto i = ref.resolve(names_)) group.push_back(*i);
      groups.push_back(std::move(group));
    }
    if (!groups.empty()) o["groups"] = std::move(groups);
    marks.push_back(std::move(o));
  }
  s["marks"] = std::move(marks);
  return s;
}

}  // namespace tally::devnet
