#include "devnet/scenario.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "base/units.h"
#include "base/files.h"
#include "study/report.h"

namespace tally::devnet {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxScenarioNodes = 256;
constexpr double kMaxDurationS = 7 * 86400.0;

using Error = std::unexpected<std::string>;

Error err(const std::string& field, const std::string& message) { return Error(field + ": " + message); }

// Every key of `o` must be one of `allowed`.
std::expected<void, std::string> only_keys(const json::object& o, const std::string& where,
                                           std::initializer_list<std::string_view> allowed) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(kv.key())) == allowed.end()) {
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      return err(where.empty() ? std::string(kv.key()) : where + "." + std::string(kv.key()),
                 "unknown field (expected one of: " + names + ")");
    }
  }
  return {};
}

std::expected<double, std::string> number(const json::value& v, const std::string& field) {
  if (!v.is_number()) return err(field, "must be a number");
  std::error_code ec;
  const double d = v.to_number<double>(ec);
  if (ec || !std::isfinite(d)) return err(field, "must be a finite number");
  return d;
}

std::expected<std::int64_t, std::string> integer(const json::value& v, const std::string& field, std::int64_t lo,
                                                 std::int64_t hi) {
  const std::string range = "must be an integer " + std::to_string(lo) + ".." + std::to_string(hi);
  if (!v.is_int64() && !v.is_uint64()) return err(field, range);
  if (v.is_uint64() && v.get_uint64() > static_cast<std::uint64_t>(hi)) return err(field, range);
  const std::int64_t i = v.is_int64() ? v.get_int64() : static_cast<std::int64_t>(v.get_uint64());
  if (i < lo || i > hi) return err(field, range);
  return i;
}

std::expected<std::string, std::string> text(const json::value& v, const std::string& field) {
  if (!v.is_string()) return err(field, "must be a string");
  return std::string(v.get_string());
}

std::expected<std::string, std::string> duration_text(const json::value& v, const std::string& field) {
  auto t = text(v, field);
  if (!t) return t;
  if (auto ms = base::parse_duration_ms(*t); !ms) return err(field, ms.error() + " (e.g. \"50ms\")");
  return t;
}

std::expected<std::string, std::string> rate_text(const json::value& v, const std::string& field) {
  auto t = text(v, field);
  if (!t) return t;
  if (auto r = base::parse_rate(*t); !r) return err(field, r.error() + " (e.g. \"10mbit\")");
  return t;
}

// A time within the run: 0 <= t <= duration.
std::expected<double, std::string> time_s(const json::value& v, const std::string& field, double duration_s) {
  auto t = number(v, field);
  if (!t) return t;
  if (*t < 0 || *t > duration_s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "must be within the run, 0..%g s", duration_s);
    return err(field, buf);
  }
  return t;
}

std::expected<std::size_t, std::string> node_index(const json::value& v, const std::string& field, std::size_t nodes) {
  auto i = integer(v, field, 0, static_cast<std::int64_t>(nodes) - 1);
  if (!i) return Error(i.error() + " (a node index of the " + std::to_string(nodes) + " nodes)");
  return static_cast<std::size_t>(*i);
}

std::expected<Persona, std::string> parse_persona(const json::value& v, const std::string& where, double duration_s) {
  if (!v.is_object()) return err(where, "must be an object");
  const json::object& o = v.get_object();
  if (auto k = only_keys(o, where, {"mining", "hash_share", "latency", "jitter", "rate", "offline"}); !k)
    return Error(k.error());
  Persona p;
  if (const json::value* m = o.if_contains("mining")) {
    if (!m->is_bool()) return err(where + ".mining", "must be true or false");
    p.mining = m->get_bool();
  }
  if (const json::value* h = o.if_contains("hash_share")) {
    auto t = integer(*h, where + ".hash_share", 1, 256);
    if (!t) return Error(t.error() + " (mining threads)");
    p.hash_share = static_cast<unsigned>(*t);
  }
  if (const json::value* l = o.if_contains("latency")) {
    auto t = duration_text(*l, where + ".latency");
    if (!t) return Error(t.error());
    p.latency = *t;
  }
  if (const json::value* j = o.if_contains("jitter")) {
    auto t = duration_text(*j, where + ".jitter");
    if (!t) return Error(t.error());
    p.jitter = *t;
  }
  if (const json::value* r = o.if_contains("rate")) {
    auto t = rate_text(*r, where + ".rate");
    if (!t) return Error(t.error());
    p.rate = *t;
  }
  if (const json::value* off = o.if_contains("offline")) {
    const std::string f = where + ".offline";
    if (!off->is_array()) return err(f, "must be an array of [from_s, to_s] windows");
    for (std::size_t i = 0; i < off->get_array().size(); ++i) {
      const std::string fi = f + "[" + std::to_string(i) + "]";
      const json::value& w = off->get_array()[i];
      if (!w.is_array() || w.get_array().size() != 2) return err(fi, "must be [from_s, to_s]");
      auto from = time_s(w.get_array()[0], fi + "[0]", duration_s);
      if (!from) return Error(from.error());
      auto to = time_s(w.get_array()[1], fi + "[1]", duration_s);
      if (!to) return Error(to.error());
      if (!(*from < *to)) return err(fi, "from_s must be before to_s");
      if (!p.offline.empty() && *from < p.offline.back().second)
        return err(fi, "must start after the previous window ends (windows in order, not overlapping)");
      p.offline.emplace_back(*from, *to);
    }
  }
  return p;
}

std::expected<std::vector<std::size_t>, std::string> parse_group(const json::value& v, const std::string& field,
                                                                 std::size_t nodes) {
  std::vector<std::size_t> out;
  if (v.is_string()) {
    auto set = parse_node_set(v.get_string());
    if (!set) return err(field, set.error());
    out = *set;
  } else if (v.is_array()) {
    for (std::size_t i = 0; i < v.get_array().size(); ++i) {
      auto n = node_index(v.get_array()[i], field + "[" + std::to_string(i) + "]", nodes);
      if (!n) return Error(n.error());
      out.push_back(*n);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  } else {
    return err(field, "must be a node list such as \"0-2\" or \"0,3\" (or an array of indices)");
  }
  if (out.empty()) return err(field, "is empty");
  for (std::size_t n : out)
    if (n >= nodes) return err(field, "node " + std::to_string(n) + " does not exist (" + std::to_string(nodes) + " nodes)");
  return out;
}

std::expected<ScenarioEvent, std::string> parse_event(const json::value& v, const std::string& where,
                                                      std::size_t nodes, double duration_s) {
  if (!v.is_object()) return err(where, "must be an object");
  const json::object& o = v.get_object();
  ScenarioEvent e;
  e.origin = where;
  const json::value* at = o.if_contains("at_s");
  if (at == nullptr) return err(where + ".at_s", "missing");
  auto t = time_s(*at, where + ".at_s", duration_s);
  if (!t) return Error(t.error());
  e.at_s = *t;
  const json::value* d = o.if_contains("do");
  if (d == nullptr) return err(where + ".do", "missing (partition, heal, stop or start)");
  auto action = text(*d, where + ".do");
  if (!action) return Error(action.error());
  if (*action == "partition") {
    e.kind = ScenarioEvent::Kind::kPartition;
    if (auto k = only_keys(o, where, {"at_s", "do", "groups"}); !k) return Error(k.error());
    const json::value* g = o.if_contains("groups");
    if (g == nullptr) return err(where + ".groups", "missing (e.g. [\"0-2\", \"3-5\"])");
    if (!g->is_array() || g->get_array().empty()) return err(where + ".groups", "must be a non-empty array of node lists");
    std::set<std::size_t> seen;
    for (std::size_t i = 0; i < g->get_array().size(); ++i) {
      const std::string fi = where + ".groups[" + std::to_string(i) + "]";
      auto group = parse_group(g->get_array()[i], fi, nodes);
      if (!group) return Error(group.error());
      for (std::size_t n : *group)
        if (!seen.insert(n).second) return err(fi, "node " + std::to_string(n) + " is in two groups");
      e.groups.push_back(std::move(*group));
    }
    if (e.groups.size() < 2 && seen.size() == nodes)
      return err(where + ".groups", "a partition needs at least two groups");
  } else if (*action == "heal") {
    e.kind = ScenarioEvent::Kind::kHeal;
    if (auto k = only_keys(o, where, {"at_s", "do"}); !k) return Error(k.error());
  } else if (*action == "stop" || *action == "start") {
    e.kind = *action == "stop" ? ScenarioEvent::Kind::kStop : ScenarioEvent::Kind::kStart;
    if (auto k = only_keys(o, where, {"at_s", "do", "node"}); !k) return Error(k.error());
    const json::value* n = o.if_contains("node");
    if (n == nullptr) return err(where + ".node", "missing");
    auto i = node_index(*n, where + ".node", nodes);
    if (!i) return Error(i.error());
    e.node = *i;
  } else {
    return err(where + ".do", "unknown action '" + *action + "' (partition, heal, stop or start)");
  }
  return e;
}

std::string node_set_text(const std::vector<std::size_t>& set) {
  std::string out;
  for (std::size_t i = 0; i < set.size();) {
    std::size_t j = i;
    while (j + 1 < set.size() && set[j + 1] == set[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    out.append(std::to_string(set[i]));
    if (j > i) {
      out.push_back('-');
      out.append(std::to_string(set[j]));
    }
    i = j + 1;
  }
  return out;
}

}  // namespace

std::expected<Scenario, std::string> parse_scenario(std::string_view source, const std::filesystem::path& base_dir) {
  boost::system::error_code ec;
  const json::value root = json::parse(source, ec);
  if (ec) return Error("not valid JSON: " + ec.message());
  if (!root.is_object()) return Error(std::string("a scenario must be a JSON object"));
  const json::object& o = root.get_object();
  if (auto k = only_keys(o, "", {"description", "nodes", "topology", "seed", "chain", "block_time_s", "miners",
                                 "duration_s", "load", "personas", "links", "link_overrides", "events"});
      !k)
    return Error(k.error());

  Scenario s;
  if (const json::value* d = o.if_contains("description"); d != nullptr && !d->is_string())
    return err("description", "must be a string");

  const json::value* nodes = o.if_contains("nodes");
  if (nodes == nullptr) return err("nodes", "missing");
  auto n = integer(*nodes, "nodes", 1, kMaxScenarioNodes);
  if (!n) return Error(n.error());
  s.nodes = static_cast<std::size_t>(*n);

  const json::value* duration = o.if_contains("duration_s");
  if (duration == nullptr) return err("duration_s", "missing");
  auto d = number(*duration, "duration_s");
  if (!d) return Error(d.error());
  if (!(*d > 0) || *d > kMaxDurationS) return err("duration_s", "must be > 0 and at most a week");
  s.duration_s = *d;

  if (const json::value* t = o.if_contains("topology")) {
    auto tt = text(*t, "topology");
    if (!tt) return Error(tt.error());
    auto topology = parse_topology(*tt);
    if (!topology) return err("topology", topology.error());
    s.topology = *topology;
  }
  if (const json::value* seed = o.if_contains("seed")) {
    if (!seed->is_uint64() && !(seed->is_int64() && seed->get_int64() >= 1)) return err("seed", "must be an integer >= 1");
    s.seed = seed->is_uint64() ? seed->get_uint64() : static_cast<std::uint64_t>(seed->get_int64());
    if (s.seed == 0) return err("seed", "must be an integer >= 1");
  }
  if (const json::value* c = o.if_contains("chain")) {
    auto ct = text(*c, "chain");
    if (!ct) return Error(ct.error());
    if (ct->empty()) return err("chain", "must not be empty (leave it out for the embedded devnet spec)");
    s.chain = *ct;
    if (s.chain.is_relative() && !base_dir.empty()) s.chain = base_dir / s.chain;
  }
  if (const json::value* b = o.if_contains("block_time_s")) {
    auto bt = integer(*b, "block_time_s", 1, 86400);
    if (!bt) return Error(bt.error());
    s.block_time_s = *bt;
  }
  if (const json::value* m = o.if_contains("miners")) {
    auto mm = integer(*m, "miners", 0, static_cast<std::int64_t>(s.nodes));
    if (!mm) return Error(mm.error() + " (at most nodes)");
    s.miners = static_cast<std::size_t>(*mm);
  }
  if (const json::value* l = o.if_contains("load")) {
    if (!l->is_object()) return err("load", "must be an object such as {\"tps\": 5}");
    if (auto k = only_keys(l->get_object(), "load", {"tps"}); !k) return Error(k.error());
    const json::value* tps = l->get_object().if_contains("tps");
    if (tps == nullptr) return err("load.tps", "missing");
    auto t = number(*tps, "load.tps");
    if (!t) return Error(t.error());
    if (!(*t > 0) || *t > 100000) return err("load.tps", "must be in (0, 100000]");
    s.load_tps = *t;
  }
  if (const json::value* l = o.if_contains("links")) {
    if (!l->is_object()) return err("links", "must be an object");
    const json::object& lo = l->get_object();
    if (auto k = only_keys(lo, "links", {"latency", "jitter", "rate"}); !k) return Error(k.error());
    if (const json::value* v = lo.if_contains("latency")) {
      auto t = duration_text(*v, "links.latency");
      if (!t) return Error(t.error());
      s.latency = *t;
    }
    if (const json::value* v = lo.if_contains("jitter")) {
      auto t = duration_text(*v, "links.jitter");
      if (!t) return Error(t.error());
      s.jitter = *t;
    }
    if (const json::value* v = lo.if_contains("rate")) {
      auto t = rate_text(*v, "links.rate");
      if (!t) return Error(t.error());
      s.rate = *t;
    }
  }
  if (const json::value* lv = o.if_contains("link_overrides")) {
    if (!lv->is_array()) return err("link_overrides", "must be an array of {\"between\": [a, b], ...}");
    std::size_t i = 0;
    for (const json::value& item : lv->get_array()) {
      const std::string where = "link_overrides[" + std::to_string(i++) + "]";
      if (!item.is_object()) return err(where, "must be an object");
      const json::object& lo = item.get_object();
      if (auto k = only_keys(lo, where, {"between", "latency", "jitter", "rate"}); !k) return Error(k.error());
      const json::value* between = lo.if_contains("between");
      if (!between || !between->is_array() || between->get_array().size() != 2)
        return err(where + ".between", "must be two node indices");
      LinkOverride link;
      for (std::size_t e = 0; e < 2; ++e) {
        const json::value& v = between->get_array()[e];
        if (!v.is_int64() || v.get_int64() < 0 || static_cast<std::size_t>(v.get_int64()) >= s.nodes)
          return err(where + ".between", "node indices must be in 0.." + std::to_string(s.nodes - 1));
        (e == 0 ? link.a : link.b) = static_cast<std::size_t>(v.get_int64());
      }
      if (link.a == link.b) return err(where + ".between", "must name two different nodes");
      if (const json::value* v = lo.if_contains("latency")) {
        auto t = duration_text(*v, where + ".latency");
        if (!t) return Error(t.error());
        link.latency = *t;
      }
      if (const json::value* v = lo.if_contains("jitter")) {
        auto t = duration_text(*v, where + ".jitter");
        if (!t) return Error(t.error());
        link.jitter = *t;
      }
      if (const json::value* v = lo.if_contains("rate")) {
        auto t = rate_text(*v, where + ".rate");
        if (!t) return Error(t.error());
        link.rate = *t;
      }
      s.link_overrides.push_back(std::move(link));
    }
  }
  if (const json::value* p = o.if_contains("personas")) {
    if (!p->is_object()) return err("personas", "must be an object keyed by node index (\"0\", \"3\", ...)");
    for (const auto& kv : p->get_object()) {
      const std::string key(kv.key());
      const std::string where = "personas." + key;
      std::size_t index = 0;
      bool ok = !key.empty() && key.size() <= 4 && std::all_of(key.begin(), key.end(), [](char ch) {
        return ch >= '0' && ch <= '9';
      });
      if (ok) index = static_cast<std::size_t>(std::stoul(key));
      if (!ok || index >= s.nodes)
        return err(where, "the key must be a node index 0.." + std::to_string(s.nodes - 1));
      auto persona = parse_persona(kv.value(), where, s.duration_s);
      if (!persona) return Error(persona.error());
      s.personas[index] = std::move(*persona);
    }
  }
  if (const json::value* e = o.if_contains("events")) {
    if (!e->is_array()) return err("events", "must be an array");
    for (std::size_t i = 0; i < e->get_array().size(); ++i) {
      auto event = parse_event(e->get_array()[i], "events[" + std::to_string(i) + "]", s.nodes, s.duration_s);
      if (!event) return Error(event.error());
      s.events.push_back(std::move(*event));
    }
  }

  // Cross-field rules.
  const UpOptions up = up_options(s, "scenario");
  const auto miners = effective_miners(up);
  for (const auto& [index, persona] : s.personas) {
    if (persona.hash_share && !std::binary_search(miners.begin(), miners.end(), index))
      return err("personas." + std::to_string(index) + ".hash_share",
                 "node " + std::to_string(index) + " does not mine (add \"mining\": true)");
  }
  if (auto ok = validate(up); !ok) return Error(ok.error());
  return s;
}

std::expected<Scenario, std::string> load_scenario_file(const std::filesystem::path& file) {
  auto t = base::read_file(file);
  if (!t) return Error(file.string() + ": " + t.error());
  std::error_code ec;
  const auto base = std::filesystem::absolute(file, ec).parent_path();
  auto s = parse_scenario(*t, ec ? file.parent_path() : base);
  if (!s) return Error(file.string() + ": " + s.error());
  return s;
}

UpOptions up_options(const Scenario& s, const std::filesystem::path& dir) {
  UpOptions o;
  o.nodes = s.nodes;
  o.topology = s.topology;
  o.seed = s.seed;
  o.chain = s.chain;
  o.block_time_s = s.block_time_s;
  o.latency = s.latency;
  o.jitter = s.jitter;
  o.rate = s.rate;
  o.link_overrides = s.link_overrides;
  o.dir = dir;
  const bool persona_mines = std::any_of(s.personas.begin(), s.personas.end(),
                                         [](const auto& p) { return p.second.mining.value_or(false); });
  o.miners = s.miners ? *s.miners : (persona_mines ? 0 : 1);
  for (const auto& [index, p] : s.personas) {
    if (!p.mining && !p.hash_share && !p.latency && !p.jitter && !p.rate) continue;
    NodeOverride n;
    n.node = index;
    n.mining = p.mining;
    n.threads = p.hash_share;
    n.latency = p.latency;
    n.jitter = p.jitter;
    n.rate = p.rate;
    o.node_overrides.push_back(std::move(n));
  }
  return o;
}

std::vector<ScenarioEvent> timeline(const Scenario& s) {
  std::vector<ScenarioEvent> out = s.events;
  for (const auto& [index, p] : s.personas) {
    for (std::size_t w = 0; w < p.offline.size(); ++w) {
      const std::string origin = "personas." + std::to_string(index) + ".offline[" + std::to_string(w) + "]";
      ScenarioEvent stop{p.offline[w].first, ScenarioEvent::Kind::kStop, {}, index, origin};
      out.push_back(stop);
      if (p.offline[w].second < s.duration_s) {
        ScenarioEvent start{p.offline[w].second, ScenarioEvent::Kind::kStart, {}, index, origin};
        out.push_back(start);
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at_s < b.at_s; });
  return out;
}

std::string describe(const ScenarioEvent& e) {
  switch (e.kind) {
    case ScenarioEvent::Kind::kPartition: {
      std::string out = "partition";
      for (std::size_t i = 0; i < e.groups.size(); ++i) {
        out.append(i == 0 ? " " : " | ");
        out.append(node_set_text(e.groups[i]));
      }
      return out;
    }
    case ScenarioEvent::Kind::kHeal:
      return "heal";
    case ScenarioEvent::Kind::kStop:
      return "stop node" + std::to_string(e.node);
    case ScenarioEvent::Kind::kStart:
      return "start node" + std::to_string(e.node);
  }
  return "?";
}

namespace {

std::string stamp(double t) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "[%6.1fs] ", t);
  return buf;
}

std::string status_line(const StatusReport& r) {
  std::string out = "heights";
  for (const NodeStatus& n : r.nodes) {
    out.push_back(' ');
    out.append(n.up ? std::to_string(n.height) : std::string("-"));
  }
  out += " (best " + std::to_string(r.best_height) + ", " + std::to_string(r.up) + "/" +
         std::to_string(r.nodes.size()) + " up, ";
  out += r.tips_agree() ? "tips agree" : std::to_string(r.distinct_tips) + " tips";
  if (!r.partition.empty()) out += ", partitioned";
  return out + ")";
}

}  // namespace

std::expected<ScenarioResult, std::string> run_scenario(const Scenario& s, const RunScenarioOptions& options) {
  auto say = [&](const std::string& m) {
    if (options.log) options.log(m);
  };
  auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };

  UpOptions up = up_options(s, options.dir);
  up.tallyd = options.tallyd;
  up.start_timeout = options.start_timeout;
  up.stop_with_parent = options.stop_with_parent;
  const std::vector<ScenarioEvent> events = timeline(s);
  {
    char buf[160];
    std::snprintf(buf, sizeof buf, "scenario: %zu nodes, %s, %zu miners, %g s, %zu events, seed %llu", s.nodes,
                  to_string(s.topology).c_str(), effective_miners(up).size(), s.duration_s, events.size(),
                  static_cast<unsigned long long>(s.seed));
    say(buf);
  }
  auto net = Devnet::up(up, options.log);
  if (!net) return std::unexpected(net.error());

  ScenarioResult result;
  const auto t0 = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
  auto at = [&](double t, const std::string& m) { say(stamp(t) + m); };

  // Everything from here on ends with down(), whatever happens.
  std::atomic<bool> load_stop{false};
  std::mutex load_mu;
  std::optional<std::thread> loader;
  auto finish_load = [&] {
    load_stop.store(true);
    if (loader) {
      loader->join();
      loader.reset();
    }
  };
  try {
    at(0, "devnet up in " + net->layout().dir.string());
    if (s.load_tps) {
      loader.emplace([&, tps = *s.load_tps] {
        auto r = net->load(tps, 0, &load_stop, s.seed);
        std::lock_guard lock(load_mu);
        if (r) result.load = *r;
        else result.failures.push_back("load: " + r.error());
      });
    }
    double next_status = options.status_every_s > 0 ? options.status_every_s : -1;
    // Waits until time `t` of the run, printing status lines on the way; false when stopped.
    auto wait_for = [&](double t) {
      for (;;) {
        if (stopped()) return false;
        const double now = elapsed();
        if (now >= t) return true;
        if (next_status > 0 && now >= next_status) {
          at(now, status_line(net->status()));
          while (next_status <= elapsed()) next_status += options.status_every_s;
          continue;
        }
        const double until = next_status > 0 ? std::min(t, next_status) : t;
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(0.05, std::max(0.0, until - now))));
      }
    };
    for (const ScenarioEvent& e : events) {
      if (!wait_for(e.at_s)) break;
      std::expected<void, std::string> r;
      switch (e.kind) {
        case ScenarioEvent::Kind::kPartition:
          r = net->partition(e.groups);
          break;
        case ScenarioEvent::Kind::kHeal:
          r = net->heal();
          break;
        case ScenarioEvent::Kind::kStop:
          r = net->stop(e.node);
          break;
        case ScenarioEvent::Kind::kStart:
          r = net->start(e.node);
          break;
      }
      if (r) {
        at(e.at_s, describe(e) + "  (" + e.origin + ")");
      } else {
        at(e.at_s, describe(e) + "  (" + e.origin + ") FAILED: " + r.error());
        std::lock_guard lock(load_mu);
        result.failures.push_back(e.origin + " " + describe(e) + ": " + r.error());
      }
    }
    wait_for(s.duration_s);
    result.interrupted = stopped();
    finish_load();
    if (result.load) at(elapsed(), "load: " + to_string(*result.load));

    // The final state: blocks may be in flight, so give the nodes a few seconds to agree.
    const auto settle_deadline = Clock::now() + std::chrono::seconds(result.interrupted ? 0 : 5);
    for (;;) {
      result.final_status = net->status();
      const auto& st = result.final_status;
      if ((st.tips_agree() && st.states_agree()) || Clock::now() >= settle_deadline || stopped()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    at(elapsed(), std::string(result.interrupted ? "interrupted: " : "end: ") + status_line(result.final_status));

    // The nodes stop before the report is made, so it covers every event they logged: a
    // block mined while the report was being read would be in the logs but not in it.
    if (auto d = net->down(false); !d) return std::unexpected("down: " + d.error());
    auto report = study::write_report(net->layout().dir);
    if (report) {
      result.report_json = report->json_path;
      result.report_summary = report->summary();
      say("report: " + report->json_path.string() + " and " + report->html_path.string());
    } else {
      result.report_summary = "report failed: " + report.error();
      say(result.report_summary);
    }
  } catch (const std::exception& e) {
    finish_load();
    (void)net->down(false);
    return std::unexpected(std::string("scenario: ") + e.what());
  }
  return result;
}

}  // namespace tally::devnet
