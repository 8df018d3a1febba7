#include "scenario/scenario.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <set>

#include "base/files.h"
#include "base/json_read.h"
#include "base/units.h"
#include "scenario/node_set.h"

namespace tally::scenario {

namespace json = boost::json;

namespace {

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

Persona read_persona(const json::value& v, double duration_s, const std::string& where, Scenario& s) {
  const json::object& o = base::json_object(v);
  json_only_keys(o, {"mining", "hash_share", "latency", "jitter", "rate", "offline", "relay_only", "max_inbound",
                     "max_outbound", "download_rate", "offline_empty"});
  for (const char* key : {"download_rate", "offline_empty"})
    if (o.contains(key)) s.sim_only_fields.push_back(where + "." + key);
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
  p.relay_only = json_optional(o, "relay_only", base::json_bool);
  auto slots = [](const json::value& n) { return static_cast<std::size_t>(integer(n, 0, 100'000)); };
  p.max_inbound = json_optional(o, "max_inbound", slots);
  p.max_outbound = json_optional(o, "max_outbound", [](const json::value& n) { return static_cast<std::size_t>(integer(n, 0, 1000)); });
  p.download_rate = json_optional(o, "download_rate", rate_text);
  p.offline_empty = json_optional(o, "offline_empty", base::json_bool);
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
  std::vector<bool> seen(nodes, false);  // read_group checked every index is below nodes
  std::size_t placed = 0;
  auto groups = json_elements(v, [&](const json::value& g) {
    auto group = read_group(g, nodes);
    for (std::size_t n : group) {
      if (seen[n]) json_fail("node " + std::to_string(n) + " is in two groups");
      seen[n] = true;
      ++placed;
    }
    return group;
  });
  if (groups.size() < 2 && placed == nodes) json_fail("a partition needs at least two groups");
  return groups;
}

ScenarioEvent read_event(const json::value& v, std::size_t nodes, double duration_s, const std::string& where,
                         Scenario& s) {
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
  } else if (action == "stop") {
    e.kind = ScenarioEvent::Kind::kStop;
    json_only_keys(o, {"at_s", "do", "node"});
    e.node = json_field(o, "node", [&](const json::value& n) { return node_index(n, nodes); });
  } else if (action == "start") {
    e.kind = ScenarioEvent::Kind::kStart;
    json_only_keys(o, {"at_s", "do", "node", "empty"});
    e.node = json_field(o, "node", [&](const json::value& n) { return node_index(n, nodes); });
    if (o.contains("empty")) s.sim_only_fields.push_back(where + ".empty");
    e.empty = json_optional(o, "empty", base::json_bool).value_or(false);
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
  if (auto t = json_optional(o, "topology", [&](const json::value& v) {
        const std::string text = base::json_string(v);
        if (text == "discovery") {
          s.discovery = true;
          return s.topology;
        }
        auto topology = parse_topology(text);
        if (!topology) json_fail(topology.error() + " (or \"discovery\")");
        return *topology;
      }))
    s.topology = *t;
  s.topology_given = o.contains("topology");
  s.seeds = json_optional(o, "seeds", [&](const json::value& v) {
    return static_cast<std::size_t>(
        noted([&] { return integer(v, 1, static_cast<std::int64_t>(s.nodes)); }, " (at most nodes)"));
  });
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
  s.load_tps = json_optional(o, "load", [&](const json::value& v) {
    const json::object& load = base::json_object(v, "must be an object such as {\"tps\": 5}");
    json_only_keys(load, {"tps", "senders"});
    if (load.contains("senders")) s.sim_only_fields.push_back("load.senders");
    s.load_senders = json_optional(load, "senders", [](const json::value& n) {
      return static_cast<std::size_t>(integer(n, 1, 100'000));
    });
    return json_field(load, "tps", [](const json::value& t) {
      const double tps = base::json_number(t);
      if (!(tps > 0) || tps > 100000) json_fail("must be in (0, 100000]");
      return tps;
    });
  });
}

// tally-sim's sections: "network", "processing", "max_block_txs", "log_tx_events", "tx_inv_interval".
void read_sim_sections(const json::object& o, Scenario& s) {
  for (const char* key : {"network", "processing", "max_block_txs", "log_tx_events", "tx_inv_interval",
                          "compact_relay"})
    if (o.contains(key)) s.sim_only_fields.push_back(key);
  s.network = json_optional(o, "network", [](const json::value& v) {
    const json::object& n = base::json_object(v);
    json_only_keys(n, {"preset", "latency", "bandwidth", "jitter", "loss_percent", "bandwidth_scale"});
    NetworkSpec spec;
    spec.preset = json_optional(n, "preset", [](const json::value& p) {
                    std::string name = base::json_string(p);
                    if (name != "constant" && name != "bitcoin-2019")
                      json_fail("unknown preset '" + name + "' (constant or bitcoin-2019)");
                    return name;
                  }).value_or("constant");
    if (spec.preset != "constant" && (n.contains("latency") || n.contains("bandwidth")))
      throw JsonReadError(n.contains("latency") ? "latency" : "bandwidth", "only with the constant preset");
    spec.latency = json_optional(n, "latency", duration_text).value_or(spec.latency);
    spec.bandwidth = json_optional(n, "bandwidth", rate_text).value_or("");
    spec.jitter = json_optional(n, "jitter", duration_text).value_or("");
    spec.loss_percent = json_optional(n, "loss_percent", [](const json::value& l) {
                          const double p = base::json_number(l);
                          if (!(p >= 0) || p >= 100) json_fail("must be within [0, 100)");
                          return p;
                        }).value_or(0.0);
    spec.bandwidth_scale = json_optional(n, "bandwidth_scale", [](const json::value& b) {
                             const double x = base::json_number(b);
                             if (!(x > 0) || x > 1e6) json_fail("must be > 0");
                             return x;
                           }).value_or(1.0);
    return spec;
  });
  s.processing = json_optional(o, "processing", [](const json::value& v) {
    const json::object& p = base::json_object(v);
    json_only_keys(p, {"block_base_us", "block_per_tx_us", "tx_accept_us", "per_byte_us"});
    ProcessingSpec spec;
    auto us = [](const json::value& x) { return integer(x, 0, 60'000'000); };
    spec.block_base_us = json_optional(p, "block_base_us", us);
    spec.block_per_tx_us = json_optional(p, "block_per_tx_us", us);
    spec.tx_accept_us = json_optional(p, "tx_accept_us", us);
    spec.per_byte_us = json_optional(p, "per_byte_us", [](const json::value& x) {
      const double d = base::json_number(x);
      if (!(d >= 0) || d > 1000) json_fail("must be within 0..1000");
      return d;
    });
    return spec;
  });
  s.max_block_txs = json_optional(o, "max_block_txs", [](const json::value& v) {
    return static_cast<std::uint32_t>(integer(v, 2, 100'000));
  });
  s.log_tx_events = json_optional(o, "log_tx_events", base::json_bool);
  s.compact_relay = json_optional(o, "compact_relay", base::json_bool);
  s.tx_inv_interval = json_optional(o, "tx_inv_interval", [](const json::value& v) {
    std::string t = duration_text(v);
    const auto ms = base::parse_duration_ms(t);
    if (*ms < 1 || *ms > 60'000) json_fail("must be within 1ms..60s");
    return t;
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
      const bool ok = !key.empty() && key.size() <= 5 &&
                      std::all_of(key.begin(), key.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      const std::size_t index = ok ? static_cast<std::size_t>(std::stoul(key)) : 0;
      if (!ok || index >= s.nodes)
        throw JsonReadError(key, "the key must be a node index 0.." + std::to_string(s.nodes - 1));
      out[index] = json_field(by_key, key, [&](const json::value& p) {
        return read_persona(p, s.duration_s, "personas." + key, s);
      });
    }
    return out;
  });
  if (personas) s.personas = std::move(*personas);
}

void read_events(const json::object& o, Scenario& s) {
  auto events = json_optional(o, "events", [&](const json::value& v) {
    std::size_t i = 0;
    return json_elements(v, [&](const json::value& e) {
      return read_event(e, s.nodes, s.duration_s, "events[" + std::to_string(i++) + "]", s);
    });
  });
  if (!events) return;
  s.events = std::move(*events);
  for (std::size_t i = 0; i < s.events.size(); ++i) s.events[i].origin = "events[" + std::to_string(i) + "]";
}

}  // namespace

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

// boost::json::value_to<Scenario>: the file's sections in order. Throws base::JsonReadError
// naming the field; parse_scenario() is the library's entry point.
Scenario tag_invoke(json::value_to_tag<Scenario>, const json::value& v) {
  const json::object& o = base::json_object(v, "a scenario must be a JSON object");
  json_only_keys(o, {"description", "nodes", "topology", "seed", "chain", "block_time_s", "miners", "duration_s",
                     "load", "personas", "links", "link_overrides", "events", "seeds", "network", "processing",
                     "max_block_txs", "log_tx_events", "tx_inv_interval",
                     "compact_relay"});
  (void)json_optional(o, "description", base::json_string);
  Scenario s;
  read_size(o, s);
  read_network(o, s);
  read_load(o, s);
  read_links(o, s);
  read_link_overrides(o, s);
  read_personas(o, s);
  read_events(o, s);
  read_sim_sections(o, s);
  return s;
}

std::expected<Scenario, std::string> parse_scenario(std::string_view source, const std::filesystem::path& base_dir) {
  boost::system::error_code ec;
  const json::value root = json::parse(source, ec);
  if (ec) return Error("not valid JSON: " + ec.message());
  auto s = base::read_json<Scenario>(root);
  if (!s) return s;
  if (s->chain.is_relative() && !s->chain.empty() && !base_dir.empty()) s->chain = base_dir / s->chain;
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

std::vector<ScenarioEvent> timeline(const Scenario& s) {
  std::vector<ScenarioEvent> out = s.events;
  for (const auto& [index, p] : s.personas) {
    for (std::size_t w = 0; w < p.offline.size(); ++w) {
      const std::string origin = "personas." + std::to_string(index) + ".offline[" + std::to_string(w) + "]";
      ScenarioEvent stop{p.offline[w].first, ScenarioEvent::Kind::kStop, {}, index, false, origin};
      out.push_back(stop);
      if (p.offline[w].second < s.duration_s) {
        ScenarioEvent start{p.offline[w].second, ScenarioEvent::Kind::kStart, {}, index, p.offline_empty.value_or(false), origin};
        out.push_back(start);
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at_s < b.at_s; });
  return out;
}

}  // namespace tally::scenario
