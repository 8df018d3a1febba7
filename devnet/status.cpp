#include "devnet/status.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace tally::devnet {

namespace {

std::string short_hash(const std::string& hex) { return hex.substr(0, 12); }

std::string format_rate(double hashes_per_s) {
  char buf[32];
  if (hashes_per_s >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MH/s", hashes_per_s / 1e6);
  else if (hashes_per_s >= 1e3) std::snprintf(buf, sizeof buf, "%.1f kH/s", hashes_per_s / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f H/s", hashes_per_s);
  return buf;
}

}  // namespace

StatusReport summarize(std::vector<NodeStatus> nodes) {
  StatusReport r;
  std::set<std::string> tips, states;
  for (const NodeStatus& n : nodes) {
    if (!n.up) continue;
    ++r.up;
    r.best_height = std::max(r.best_height, n.height);
    tips.insert(n.tip);
    states.insert(n.stateroot);
  }
  for (NodeStatus& n : nodes) n.behind = n.up ? r.best_height - n.height : 0;
  r.distinct_tips = tips.size();
  r.distinct_states = states.size();
  r.nodes = std::move(nodes);
  return r;
}

std::string render_status(const StatusReport& report) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-8s %8s  %-12s  %5s  %7s  %7s  %-16s  %6s\n", "node", "height", "tip", "peers",
                "in/out", "mempool", "mining", "behind");
  out += line;
  for (const NodeStatus& n : report.nodes) {
    if (!n.up) {
      std::snprintf(line, sizeof line, "%-8s %8s  %-12s  %5s  %7s  %7s  %-16s  %6s  %s\n", n.name.c_str(), "-", "down",
                    "-", "-", "-", "-", "-", n.error.c_str());
    } else {
      const std::string mining = n.mining ? "yes " + format_rate(n.hashes_per_s) : "no";
      const std::string in_out = std::to_string(n.inbound) + "/" + std::to_string(n.outbound);
      std::snprintf(line, sizeof line, "%-8s %8u  %-12s  %5zu  %7s  %7zu  %-16s  %6u\n", n.name.c_str(), n.height,
                    short_hash(n.tip).c_str(), n.peers, in_out.c_str(), n.mempool, mining.c_str(), n.behind);
    }
    out += line;
  }
  if (!report.partition.empty()) {
    out += "partitioned:";
    for (const auto& g : report.partition) {
      out += " {";
      for (std::size_t i = 0; i < g.size(); ++i) {
        if (i > 0) out += ",";
        out += std::to_string(g[i]);
      }
      out += "}";
    }
    out += "\n";
  }
  const std::size_t total = report.nodes.size();
  const std::string down = report.up < total ? " (" + std::to_string(total - report.up) + " down)" : "";
  if (report.up == 0) {
    out += "no node is up\n";
  } else if (report.tips_agree() && report.states_agree()) {
    const NodeStatus* any = nullptr;
    for (const NodeStatus& n : report.nodes)
      if (n.up) any = &n;
    out += "all " + std::to_string(report.up) + " up nodes agree on tip " + short_hash(any->tip) + " (height " +
           std::to_string(any->height) + ") and state " + short_hash(any->stateroot) + down + "\n";
  } else {
    out += "NOT in agreement: " + std::to_string(report.distinct_tips) + " distinct tips and " +
           std::to_string(report.distinct_states) + " distinct state hashes among " + std::to_string(report.up) +
           " up nodes" + down + "\n";
  }
  if (report.measured_interval_s > 0) {
    char interval[128];
    std::snprintf(interval, sizeof interval, "blocks every %.2f s on average since block 1 (asked for %lld s)\n",
                  report.measured_interval_s, static_cast<long long>(report.requested_interval_s));
    out += interval;
  }
  return out;
}

boost::json::object status_json(const StatusReport& report) {
  boost::json::array nodes;
  for (const NodeStatus& n : report.nodes) {
    boost::json::object o{{"index", n.index},       {"name", n.name},         {"pid", n.pid},
                          {"rpc_port", n.rpc_port}, {"up", n.up},             {"height", n.height},
                          {"tip", n.tip},           {"stateroot", n.stateroot}, {"chainwork", n.chainwork},
                          {"peers", n.peers},       {"inbound", n.inbound},   {"outbound", n.outbound},
                          {"mempool", n.mempool},   {"mining", n.mining},     {"hashes_per_s", n.hashes_per_s},
                          {"behind", n.behind}};
    if (!n.up) o["error"] = n.error;
    nodes.emplace_back(std::move(o));
  }
  boost::json::array partition;
  for (const auto& group : report.partition) {
    boost::json::array g;
    for (std::size_t i : group) g.emplace_back(i);
    partition.emplace_back(std::move(g));
  }
  return boost::json::object{{"nodes", std::move(nodes)},
                             {"partition", std::move(partition)},
                             {"up", report.up},
                             {"best_height", report.best_height},
                             {"distinct_tips", report.distinct_tips},
                             {"distinct_states", report.distinct_states},
                             {"tips_agree", report.tips_agree()},
                             {"states_agree", report.states_agree()},
                             {"requested_interval_s", report.requested_interval_s},
                             {"measured_interval_s", report.measured_interval_s}};
}

}  // namespace tally::devnet
