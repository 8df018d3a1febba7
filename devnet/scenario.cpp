#include "devnet/scenario.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "base/files.h"
#include "base/json_read.h"
#include "base/units.h"
#include "study/report.h"

namespace tally::devnet {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxScenarioNodes = 256;
constexpr double kMaxDurationS = 7 * 86400.0;

using Error = std::unexpected<std::string>;
using base::json_elements;
using base::json_fail;
using base::json_field;
using base::json_only_keys;
using base::json_optional;
using base::JsonReadError;

// Runs `read`; its error (of the value at hand) gets `note` appended.
template <class F>
auto noted(F&& read, const std::string& note) {
  try {
    return read();
  } catch (const JsonReadError& e) {
    throw JsonReadError(e.path(), e.message() + note);
  }
}

std::int64_t integer(const json::value& v, std::int64_t lo, std::int64_t hi) {
  return base::json_integer<std::int64_t>(v, lo, hi);
}

std::string duration_text(const json::value& v) {
  std::string t = base::json_string(v);
  if (auto ms = base::parse_duration_ms(t); !ms) json_fail(ms.error() + " (e.g. \"50ms\")");
  return t;
}

std::string rate_text(const json::value& v) {
  std::string t = base::json_string(v);
  if (auto r = base::parse_rate(t); !r) json_fail(r.error() + " (e.g. \"10mbit\")");
  return t;
}

// A time within the run: 0 <= t <= duration.
double time_s(const json::value& v, double duration_s) {
  const double t = base::json_number(v);
  if (t < 0 || t > duration_s) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "must be within the run, 0..%g s", duration_s);
    json_fail(buf);
  }
  return t;
}

std::size_t node_index(const json::value& v, std::size_t nodes) {
  return static_cast<std::size_t>(noted([&] { return integer(v, 0, static_cast<std::int64_t>(nodes) - 1); },
                                        " (a node index of the " + std::to_string(nodes) + " nodes)"));
}

// [[from_s, to_s], ...]: in order, not overlapping.
std::vector<std::pair<double, double>> read_offline(const json::value& v, double duration_s) {
  base::json_array(v, "must be an array of [from_s, to_s] windows");
  double previous_end = -1;
  return json_elements(v, [&](const json::value& w) {
    if (!w.is_array() || w.get_array().size() != 2) json_fail("must be [from_s, to_s]");
    const auto t = json_elements(w, [&](const json::value& x) { return time_s(x, duration_s); });
    if (!(t[0] < t[1])) json_fail("from_s must be before to_s");
    if (t[0] < previous_end) json_fail("must start after the previous window ends (windows in order, not overlapping)");
    previous_end = t[1];
    return std::pair{t[0], t[1]};
  });
}

Persona read_persona(const json::value& v, double duration_s) {
  const json::object& o = base::json_object(v);
  json_only_keys(o, {"mining", "hash_share", "latency", "jitter", "rate", "offline"});
  Persona p;
  p.mining = json_optional(o, "mining", base::json_bool);
  p.hash_share = json_optional(o, "hash_share", [](const json::value& h) {
    return static_cast<unsigned>(noted([&] { return integer(h, 1, 256); }, " (mining threads)"));
  });
  p.latency = json_optional(o, "latency", duration_text);
  p.jitter = json_optional(o, "jitter", duration_text);
  p.rate = json_optional(o, "rate", rate_text);
  if (auto off = json_optional(o, "offline", [&](const json::value& w) { return read_offline(w, duration_s); }))
    p.offline = std::move(*off);
  return p;
}

// "0-2", "0,3" or [0, 1, 2]: sorted, no duplicates, every node exists.
std::vector<std::size_t> read_group(const json::value& v, std::size_t nodes) {
  std::vector<std::size_t> out;
  if (v.is_string()) {
    auto set = parse_node_set(v.get_string());
    if (!set) json_fail(set.error());
    out = *set;
  } else if (v.is_array()) {
    out = json_elements(v, [&](const json::value& n) { return node_index(n, nodes); });
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  } else {
    json_fail("must be a node list such as \"0-2\" or \"0,3\" (or an array of indices)");
  }
  if (out.empty()) json_fail("is empty");
  for (std::size_t n : out)
    if (n >= nodes) json_fail("node " + std::to_string(n) + " does not exist (" + std::to_string(nodes) + " nodes)");
  return out;
}

// A partition's groups: disjoint, and at least two unless they leave nodes out.
std::vector<std::vector<std::size_t>> read_groups(const json::value& v, std::size_t nodes) {
  if (!v.is_array() || v.get_array().empty()) json_fail("must be a non-empty array of node lists");
  std::set<std::size_t> seen;
  auto groups = json_elements(v, [&](const json::value& g) {
    auto group = read_group(g, nodes);
    for (std::size_t n : group)
      if (!seen.insert(n).second) json_fail("node " + std::to_string(n) + " is in two groups");
    return group;
  });
  if (groups.size() < 2 && seen.size() == nodes) json_fail("a partition needs at least two groups");
  return groups;
}

ScenarioEvent read_event(const json::value& v, std::size_t nodes, double duration_s) {
  const json::object& o = base::json_object(v);
  ScenarioEvent e;
  e.at_s = json_field(o, "at_s", [&](const json::value& t) { return time_s(t, duration_s); });
  if (!o.contains("do")) throw JsonReadError("do", "missing (partition, heal, stop or start)");
  const std::string action = json_field(o, "do", base::json_string);
  if (action == "partition") {
    e.kind = ScenarioEvent::Kind::kPartition;
    json_only_keys(o, {"at_s", "do", "groups"});
    if (!o.contains("groups")) throw JsonReadError("groups", "missing (e.g. [\"0-2\", \"3-5\"])");
    e.groups = json_field(o, "groups", [&](const json::value& g) { return read_groups(g, nodes); });
  } else if (action == "heal") {
    e.kind = ScenarioEvent::Kind::kHeal;
    json_only_keys(o, {"at_s", "do"});
  } else if (action == "stop" || action == "start") {
    e.kind = action == "stop" ? ScenarioEvent::Kind::kStop : ScenarioEvent::Kind::kStart;
    json_only_keys(o, {"at_s", "do", "node"});
    e.node = json_field(o, "node", [&](const json::value& n) { return node_index(n, nodes); });
  } else {
    throw JsonReadError("do", "unknown action '" + action + "' (partition, heal, stop or start)");
  }
  return e;
}

// The steps of reading a scenario, one per section of the file (docs/SCENARIOS.md).

void read_size(const json::object& o, Scenario& s) {
  s.nodes = static_cast<std::size_t>(
      json_field(o, "nodes", [](const json::value& v) { return integer(v, 1, kMaxScenarioNodes); }));
  s.duration_s = json_field(o, "duration_s", [](const json::value& v) {
    const double d = base::json_number(v);
    if (!(d > 0) || d > kMaxDurationS) json_fail("must be > 0 and at most a week");
    return d;
  });
}

void read_network(const json::object& o, Scenario& s) {
  if (auto t = json_optional(o, "topology", [](const json::value& v) {
        auto topology = parse_topology(base::json_string(v));
        if (!topology) json_fail(topology.error());
        return *topology;
      }))
    s.topology = *t;
  if (auto seed = json_optional(o, "seed", [](const json::value& v) {
        if (!v.is_uint64() && !(v.is_int64() && v.get_int64() >= 1)) json_fail("must be an integer >= 1");
        const std::uint64_t out = v.is_uint64() ? v.get_uint64() : static_cast<std::uint64_t>(v.get_int64());
        if (out == 0) json_fail("must be an integer >= 1");
        return out;
      }))
    s.seed = *seed;
  if (auto chain = json_optional(o, "chain", [](const json::value& v) {
        std::string c = base::json_string(v);
        if (c.empty()) json_fail("must not be empty (leave it out for the embedded devnet spec)");
        return c;
      }))
    s.chain = *chain;
  s.block_time_s = json_optional(o, "block_time_s", [](const json::value& v) { return integer(v, 1, 86400); });
  if (auto m = json_optional(o, "miners", [&](const json::value& v) {
        return noted([&] { return integer(v, 0, static_cast<std::int64_t>(s.nodes)); }, " (at most nodes)");
      }))
    s.miners = static_cast<std::size_t>(*m);
}

void read_load(const json::object& o, Scenario& s) {
  s.load_tps = json_optional(o, "load", [](const json::value& v) {
    const json::object& load = base::json_object(v, "must be an object such as {\"tps\": 5}");
    json_only_keys(load, {"tps"});
    return json_field(load, "tps", [](const json::value& t) {
      const double tps = base::json_number(t);
      if (!(tps > 0) || tps > 100000) json_fail("must be in (0, 100000]");
      return tps;
    });
  });
}

// "latency", "jitter", "rate" of "links" and of each "link_overrides" item.
struct Shaping {
  std::string latency, jitter, rate;
};
Shaping read_shaping(const json::object& o) {
  return {json_optional(o, "latency", duration_text).value_or(""), json_optional(o, "jitter", duration_text).value_or(""),
          json_optional(o, "rate", rate_text).value_or("")};
}

void read_links(const json::object& o, Scenario& s) {
  auto links = json_optional(o, "links", [](const json::value& v) {
    const json::object& l = base::json_object(v);
    json_only_keys(l, {"latency", "jitter", "rate"});
    return read_shaping(l);
  });
  if (!links) return;
  s.latency = links->latency;
  s.jitter = links->jitter;
  s.rate = links->rate;
}

LinkOverride read_link_override(const json::value& v, std::size_t nodes) {
  const json::object& o = base::json_object(v);
  json_only_keys(o, {"between", "latency", "jitter", "rate"});
  const json::value* between = o.if_contains("between");
  if (!between || !between->is_array() || between->get_array().size() != 2)
    throw JsonReadError("between", "must be two node indices");
  LinkOverride link;
  for (std::size_t e = 0; e < 2; ++e) {
    const json::value& n = between->get_array()[e];
    if (!n.is_int64() || n.get_int64() < 0 || static_cast<std::size_t>(n.get_int64()) >= nodes)
      throw JsonReadError("between", "node indices must be in 0.." + std::to_string(nodes - 1));
    (e == 0 ? link.a : link.b) = static_cast<std::size_t>(n.get_int64());
  }
  if (link.a == link.b) throw JsonReadError("between", "must name two different nodes");
  Shaping shaping = read_shaping(o);
  link.latency = std::move(shaping.latency);
  link.jitter = std::move(shaping.jitter);
  link.rate = std::move(shaping.rate);
  return link;
}

void read_link_overrides(const json::object& o, Scenario& s) {
  auto overrides = json_optional(o, "link_overrides", [&](const json::value& v) {
    base::json_array(v, "must be an array of {\"between\": [a, b], ...}");
    return json_elements(v, [&](const json::value& item) { return read_link_override(item, s.nodes); });
  });
  if (overrides) s.link_overrides = std::move(*overrides);
}

void read_personas(const json::object& o, Scenario& s) {
  auto personas = json_optional(o, "personas", [&](const json::value& v) {
    const json::object& by_key = base::json_object(v, "must be an object keyed by node index (\"0\", \"3\", ...)");
    std::map<std::size_t, Persona> out;
    for (const auto& kv : by_key) {
      const std::string key(kv.key());
      const bool ok = !key.empty() && key.size() <= 4 &&
                      std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      const std::size_t index = ok ? static_cast<std::size_t>(std::stoul(key)) : 0;
      if (!ok || index >= s.nodes)
        throw JsonReadError(key, "the key must be a node index 0.." + std::to_string(s.nodes - 1));
      out[index] = json_field(by_key, key, [&](const json::value& p) { return read_persona(p, s.duration_s); });
    }
    return out;
  });
  if (personas) s.personas = std::move(*personas);
}

void read_events(const json::object& o, Scenario& s) {
  auto events = json_optional(o, "events", [&](const json::value& v) {
    return json_elements(v, [&](const json::value& e) { return read_event(e, s.nodes, s.duration_s); });
  });
  if (!events) return;
  s.events = std::move(*events);
  for (std::size_t i = 0; i < s.events.size(); ++i) s.events[i].origin = "events[" + std::to_string(i) + "]";
}

// Rules across sections: hash shares only for miners, and what `up` itself checks.
std::expected<void, std::string> check_across(const Scenario& s) {
  const UpOptions up = up_options(s, "scenario");
  const auto miners = effective_miners(up);
  for (const auto& [index, persona] : s.personas) {
    if (persona.hash_share && !std::binary_search(miners.begin(), miners.end(), index))
      return Error("personas." + std::to_string(index) + ".hash_share: node " + std::to_string(index) +
                   " does not mine (add \"mining\": true)");
  }
  return validate(up);
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

// boost::json::value_to<Scenario>: the file's sections in order. Throws base::JsonReadError
// naming the field; parse_scenario() is the library's entry point.
Scenario tag_invoke(json::value_to_tag<Scenario>, const json::value& v) {
  const json::object& o = base::json_object(v, "a scenario must be a JSON object");
  json_only_keys(o, {"description", "nodes", "topology", "seed", "chain", "block_time_s", "miners", "duration_s",
                     "load", "personas", "links", "link_overrides", "events"});
  (void)json_optional(o, "description", base::json_string);
  Scenario s;
  read_size(o, s);
  read_network(o, s);
  read_load(o, s);
  read_links(o, s);
  read_link_overrides(o, s);
  read_personas(o, s);
  read_events(o, s);
  return s;
}

std::expected<Scenario, std::string> parse_scenario(std::string_view source, const std::filesystem::path& base_dir) {
  boost::system::error_code ec;
  const json::value root = json::parse(source, ec);
  if (ec) return Error("not valid JSON: " + ec.message());
  auto s = base::read_json<Scenario>(root);
  if (!s) return s;
  if (s->chain.is_relative() && !s->chain.empty() && !base_dir.empty()) s->chain = base_dir / s->chain;
  if (auto ok = check_across(*s); !ok) return Error(ok.error());
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
