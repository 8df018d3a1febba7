#include "study/run_log.h"

#include <algorithm>
#include <set>

#include <boost/json.hpp>

#include "base/files.h"
#include "base/json_read.h"
#include "events/control_event.h"

namespace tally::study {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// A line longer than this is refused rather than parsed (a log line is a few hundred bytes).
constexpr std::size_t kLineBytesMax = 1 << 20;

bool is_blank(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// Calls f(line_number, line) for every non-blank line.
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    ++number;
    if (!is_blank(line)) f(number, line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

std::optional<std::size_t> node_ref(const json::value& v, const std::vector<std::string>& names) {
  if (const auto* i = v.if_int64(); i && *i >= 0 && static_cast<std::size_t>(*i) < names.size())
    return static_cast<std::size_t>(*i);
  if (const auto* u = v.if_uint64(); u && *u < names.size()) return static_cast<std::size_t>(*u);
  if (const auto* s = v.if_string()) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i] == std::string_view(*s)) return i;
  }
  return std::nullopt;
}

void add_edge(RunLog& run, std::size_t a, std::size_t b) {
  if (a == b) return;
  run.edges.emplace_back(std::max(a, b), std::min(a, b));
}

// The edges tally-devnet makes for the named topologies (see devnet/topology.h).
bool edges_from_name(std::string_view name, std::size_t n, RunLog& run) {
  if (name == "line" || name == "ring") {
    for (std::size_t i = 1; i < n; ++i) add_edge(run, i, i - 1);
    if (name == "ring" && n >= 3) add_edge(run, n - 1, 0);
    return true;
  }
  if (name == "star") {
    for (std::size_t i = 1; i < n; ++i) add_edge(run, i, 0);
    return true;
  }
  if (name == "mesh") {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j) add_edge(run, i, j);
    return true;
  }
  return false;
}

void read_edge_array(const json::array& arr, const std::vector<std::string>& names, RunLog& run) {
  for (const auto& e : arr) {
    std::optional<std::size_t> a, b;
    if (const auto* pair = e.if_array(); pair && pair->size() == 2) {
      a = node_ref((*pair)[0], names);
      b = node_ref((*pair)[1], names);
    } else if (const auto* obj = e.if_object(); obj && obj->contains("from") && obj->contains("to")) {
      a = node_ref(obj->at("from"), names);
      b = node_ref(obj->at("to"), names);
    }
    if (a && b) {
      add_edge(run, *a, *b);
    } else {
      run.warnings.push_back("devnet.json: an edge names no known node; ignored");
    }
  }
}

void read_topology(const json::object& root, const std::vector<const json::object*>& node_objs,
                   const std::vector<std::string>& names, RunLog& run) {
  const json::object* topo = nullptr;
  if (const auto* t = root.if_contains("topology")) topo = t->if_object();
  if (const auto* e = root.if_contains("edges"); e && e->is_array()) {
    read_edge_array(e->get_array(), names, run);
  } else if (topo && topo->contains("edges") && topo->at("edges").is_array()) {
    read_edge_array(topo->at("edges").get_array(), names, run);
  }
  for (std::size_t i = 0; i < node_objs.size(); ++i) {
    for (const char* key : {"connect", "dials", "peers"}) {
      const auto* list = node_objs[i]->if_contains(key);
      if (!list || !list->is_array()) continue;
      for (const auto& ref : list->get_array())
        if (auto j = node_ref(ref, names)) add_edge(run, i, *j);
    }
  }
  if (run.edges.empty()) {
    std::string kind;
    if (const auto* t = root.if_contains("topology"); t && t->is_string()) kind = std::string(t->get_string());
    if (topo && topo->contains("kind") && topo->at("kind").is_string()) kind = std::string(topo->at("kind").get_string());
    if (!kind.empty() && !edges_from_name(kind, names.size(), run))
      run.warnings.push_back("devnet.json: topology \"" + kind + "\" lists no edges; hop counts skipped");
  }
  std::ranges::sort(run.edges);
  run.edges.erase(std::unique(run.edges.begin(), run.edges.end()), run.edges.end());
}

}  // namespace

// One entry of devnet.json's "nodes", as much as a study needs: its name (optional) and its
// event log, "events" or else <"datadir">/events.jsonl.
struct LayoutNode {
  std::string name;
  fs::path events;
};

LayoutNode tag_invoke(json::value_to_tag<LayoutNode>, const json::value& v) {
  const json::object& o = base::json_object(v, "not an object");
  LayoutNode n;
  n.name = base::json_optional<std::string>(o, "name").value_or("");
  if (auto events = base::json_optional<std::string>(o, "events")) n.events = *events;
  else if (auto datadir = base::json_optional<std::string>(o, "datadir")) n.events = fs::path(*datadir) / "events.jsonl";
  else base::json_fail("node \"" + n.name + "\" has neither datadir nor events");
  return n;
}

namespace {

std::expected<void, std::string> read_layout(const fs::path& dir, const std::string& text, RunLog& run) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::unexpected("devnet.json is not a JSON object");
  const auto& root = v.get_object();
  const auto* nodes = root.if_contains("nodes");
  if (!nodes || !nodes->is_array()) return std::unexpected("devnet.json has no \"nodes\" array");
  std::vector<const json::object*> node_objs;
  std::vector<std::string> names;
  for (const auto& n : nodes->get_array()) {
    auto entry = base::read_json<LayoutNode>(n);
    if (!entry) {
      run.warnings.push_back("devnet.json: a node entry: " + entry.error() + "; skipped");
      continue;
    }
    NodeLog log;
    log.name = entry->name;
    fs::path events = entry->events;
    if (events.is_relative()) events = dir / events;
    if (log.name.empty()) log.name = events.parent_path().filename().string();
    log.events_path = events;
    names.push_back(log.name);
    node_objs.push_back(&n.get_object());
    run.nodes.push_back(std::move(log));
  }
  if (run.nodes.empty()) return std::unexpected("devnet.json names no node with a datadir");
  read_topology(root, node_objs, names, run);
  if (const auto* p = root.if_contains("partition"); p && p->is_array() && !p->get_array().empty())
    run.partition_in_layout = true;
  run.has_layout = true;
  const auto* options = root.if_contains("options");
  if (options && options->is_object())
    if (const auto* t = options->get_object().if_contains("block_time_s"); t && t->is_number())
      run.requested_interval_s = t->to_number<double>();
  if (const auto* chain = root.if_contains("chain"); !run.requested_interval_s && chain && chain->is_string() &&
                                                    !chain->get_string().empty()) {
    fs::path file(std::string(chain->get_string()));
    if (file.is_relative()) file = dir / file;
    if (auto text = base::read_file(file)) {
      boost::system::error_code spec_ec;
      json::value spec = json::parse(*text, spec_ec);
      if (!spec_ec && spec.is_object())
        if (const auto* t = spec.get_object().if_contains("block_interval_s"); t && t->is_number())
          run.requested_interval_s = t->to_number<double>();
    }
  }
  return {};
}

}  // namespace

void parse_node_log(std::string_view text, std::size_t node, NodeLog& out) {
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    ++out.lines;
    std::expected<events::Event, std::string> e = std::unexpected(std::string("line too long"));
    if (line.size() <= kLineBytesMax) e = events::parse_event_line(line);
    if (!e) {
      ++out.malformed;
      if (out.malformed_examples.size() < kMalformedExamplesMax) out.malformed_examples.push_back({number, e.error()});
      return;
    }
    if (e->type == EventType::kUnknown) ++out.unknown_events;
    Event ev(std::move(*e));
    ev.node = node;
    ev.seq = out.events.size();
    out.events.push_back(std::move(ev));
  });
}

void parse_control_log(std::string_view text, const std::vector<std::string>& names, RunLog& out) {
  for_each_line(text, [&](std::size_t number, std::string_view line) {
    ++out.control_lines;
    auto refuse = [&](std::string reason) {
      ++out.control_malformed;
      if (out.control_malformed_examples.size() < kMalformedExamplesMax)
        out.control_malformed_examples.push_back({number, std::move(reason)});
    };
    auto parsed = events::parse_control_line(line);
    if (!parsed) return refuse(parsed.error());
    ControlEvent c;
    c.ts_us = parsed->ts_us;
    c.name = parsed->type_name;
    switch (parsed->type) {
      case events::ControlType::kPartition:
        c.kind = ControlEvent::Kind::kPartition;
        for (const auto& g : parsed->groups) {
          std::vector<std::size_t> members;
          for (const auto& m : g) {
            auto idx = m.resolve(names);
            if (!idx) return refuse("a partition group names an unknown node");
            members.push_back(*idx);
          }
          c.groups.push_back(std::move(members));
        }
        break;
      case events::ControlType::kHeal:
        c.kind = ControlEvent::Kind::kHeal;
        break;
      case events::ControlType::kStopNode:
      case events::ControlType::kStartNode:
        c.kind = parsed->type == events::ControlType::kStopNode ? ControlEvent::Kind::kStopNode
                                                                 : ControlEvent::Kind::kStartNode;
        if (!(c.node = parsed->node.resolve(names))) return refuse(c.name + " names no known node");
        break;
      case events::ControlType::kOther:
        break;
    }
    out.controls.push_back(std::move(c));
  });
  std::ranges::stable_sort(out.controls, {}, &ControlEvent::ts_us);
}

std::expected<RunLog, std::string> load_run(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::unexpected(dir.string() + " is not a directory");
  RunLog run;
  run.dir = dir;
  const fs::path layout = dir / "devnet.json";
  if (fs::exists(layout, ec)) {
    auto text = base::read_file(layout);
    if (!text) return std::unexpected(text.error());
    if (auto r = read_layout(dir, *text, run); !r) return std::unexpected(r.error());
  } else {
    // No layout: every direct subdirectory holding an events.jsonl is a node.
    std::vector<fs::path> subdirs;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_directory() && fs::exists(entry.path() / "events.jsonl")) subdirs.push_back(entry.path());
    std::ranges::sort(subdirs);
    for (const auto& p : subdirs) {
      NodeLog log;
      log.name = p.filename().string();
      log.events_path = p / "events.jsonl";
      run.nodes.push_back(std::move(log));
    }
    run.warnings.push_back("no devnet.json: nodes taken from */events.jsonl, no topology");
  }
  bool any = false;
  for (std::size_t i = 0; i < run.nodes.size(); ++i) {
    NodeLog& log = run.nodes[i];
    if (!fs::exists(log.events_path, ec)) continue;
    auto text = base::read_file(log.events_path);
    if (!text) {
      run.warnings.push_back(text.error());
      continue;
    }
    log.log_found = true;
    any = true;
    parse_node_log(*text, i, log);
  }
  if (!any) return std::unexpected("no event log found under " + dir.string() + " (run tallyd with --eventlog 1)");
  if (fs::exists(dir / "control.jsonl", ec)) {
    std::vector<std::string> names;
    for (const auto& n : run.nodes) names.push_back(n.name);
    if (auto text = base::read_file(dir / "control.jsonl")) parse_control_log(*text, names, run);
  }
  const bool logged = std::ranges::any_of(run.controls, [](const ControlEvent& c) {
    return c.kind == ControlEvent::Kind::kPartition;
  });
  if (run.partition_in_layout && !logged)
    run.warnings.push_back("devnet.json shows a partition in force but control.jsonl logs none: partitions are not "
                           "marked and propagation is not limited to partition sides");
  return run;
}

}  // namespace tally::study
