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
#include "scenario/node_set.h"
#include "base/units.h"
#include "study/report.h"

namespace tally::devnet {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kMaxDevnetNodes = 256;

using Error = std::unexpected<std::string>;

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

}  // namespace

// What tally-devnet adds to the format's rules: at most 256 nodes, none of tally-sim's fields,
// and what `up` itself checks.
std::expected<void, std::string> check_for_devnet(const Scenario& s) {
  if (s.nodes > kMaxDevnetNodes)
    return Error("nodes: tally-devnet runs at most " + std::to_string(kMaxDevnetNodes) + " nodes (tally-sim runs more)");
  if (!s.sim_only_fields.empty())
    return Error(s.sim_only_fields.front() + ": only tally-sim supports this field");
  return check_across(s);
}

std::expected<Scenario, std::string> parse_scenario(std::string_view source, const std::filesystem::path& base_dir) {
  auto s = scenario::parse_scenario(source, base_dir);
  if (!s) return s;
  if (auto ok = check_for_devnet(*s); !ok) return Error(ok.error());
  return s;
}

std::expected<Scenario, std::string> load_scenario_file(const std::filesystem::path& file) {
  auto s = scenario::load_scenario_file(file);
  if (!s) return s;
  if (auto ok = check_for_devnet(*s); !ok) return Error(file.string() + ": " + ok.error());
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
  o.discovery = s.discovery;
  // tally-sim's default, so that one scenario means the same network in both tools.
  o.seed_nodes = s.seeds.value_or(std::min<std::size_t>(4, s.nodes));
  const bool persona_mines = std::any_of(s.personas.begin(), s.personas.end(),
                                         [](const auto& p) { return p.second.mining.value_or(false); });
  o.miners = s.miners ? *s.miners : (persona_mines ? 0 : 1);
  for (const auto& [index, p] : s.personas) {
    if (!p.mining && !p.hash_share && !p.latency && !p.jitter && !p.rate && !p.max_inbound && !p.max_outbound &&
        !p.relay_only)
      continue;
    NodeOverride n;
    n.node = index;
    n.mining = p.mining;
    n.threads = p.hash_share;
    n.latency = p.latency;
    n.jitter = p.jitter;
    n.rate = p.rate;
    n.max_inbound = p.max_inbound;
    n.max_outbound = p.max_outbound;
    n.relay_only = p.relay_only.value_or(false);
    o.node_overrides.push_back(std::move(n));
  }
  return o;
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
