// tally-sim: runs a scenario on the simulator and writes what a devnet writes, so that
// tally-study reads it. See docs/STUDY.md ("tally-sim") and docs/SCENARIOS.md.
//
//   tally-sim run SCENARIO.json --out DIR [--nodes N] [--seed S] [--duration 1h] [--quiet]
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "base/units.h"
#include "crypto/salted_hash.h"
#include "scenario/scenario.h"
#include "sim/scenario_config.h"
#include "sim/simulator.h"
#include "sim/summary.h"

namespace {

using namespace tally;
using Clock = std::chrono::steady_clock;

struct RunFlags {
  std::string scenario_file;
  std::string out;
  std::optional<std::size_t> nodes;
  std::optional<std::uint64_t> seed;
  std::string duration;
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  bool quiet = false;
};

// The simulation the flags ask for: the scenario with --nodes, --seed and --duration on top.
std::expected<sim::SimConfig, std::string> config_of(const RunFlags& f) {
  auto s = scenario::load_scenario_file(f.scenario_file);
  if (!s) return std::unexpected(s.error());
  if (f.nodes) {
    if (*f.nodes < 1 || *f.nodes > scenario::kMaxScenarioNodes)
      return std::unexpected("--nodes must be within 1.." + std::to_string(scenario::kMaxScenarioNodes));
    s->nodes = *f.nodes;
    if (s->seeds) s->seeds = std::min(*s->seeds, *f.nodes);
  }
  if (f.seed) s->seed = *f.seed;
  if (!f.duration.empty()) {
    auto ms = base::parse_duration_ms(f.duration);
    if (!ms || *ms <= 0) return std::unexpected("--duration: " + (ms ? std::string("must be > 0") : ms.error()));
    s->duration_s = static_cast<double>(*ms) / 1000.0;
  }
  auto c = sim::sim_config(*s);
  if (!c) return std::unexpected(f.scenario_file + ": " + c.error());
  if (f.threads < 1 || f.threads > sim::kMaxThreads)
    return std::unexpected("--threads must be within 1.." + std::to_string(sim::kMaxThreads));
  c->threads = f.threads;
  return c;
}

// The output directory must be new or empty: a run never mixes with an earlier one.
std::expected<void, std::string> prepare_out(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_empty(dir, ec))
    return std::unexpected("--out " + dir.string() + " is not empty (choose a new directory)");
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected("--out " + dir.string() + ": " + ec.message());
  return {};
}

int run(const RunFlags& f) {
  auto config = config_of(f);
  if (!config) {
    std::cerr << "tally-sim: " << config.error() << "\n";
    return 2;
  }
  if (auto ok = prepare_out(f.out); !ok) {
    std::cerr << "tally-sim: " << ok.error() << "\n";
    return 2;
  }
  // Every peer here is one of our own honest cores: hash tables need no salt against crafted
  // keys (crypto/salted_hash.h), and SipHash on every lookup cost a third of the run time.
  crypto::use_unsalted_hash();
  const auto t0 = Clock::now();
  auto sim = sim::Simulator::create(*config, std::filesystem::path(f.out));
  if (!sim) {
    std::cerr << "tally-sim: " << sim.error() << "\n";
    return 2;
  }
  auto last_print = t0;
  auto progress = [&](const sim::Progress& p) {
    const auto now = Clock::now();
    if (f.quiet || now - last_print < std::chrono::seconds(2)) return;
    last_print = now;
    const double wall_s = std::chrono::duration<double>(now - t0).count();
    std::fprintf(stderr, "[sim %8.0fs / %.0fs] wall %6.1fs  %.0f events/s  blocks %llu  txs %llu\n",
                 static_cast<double>(p.sim_ms) / 1000, static_cast<double>(p.duration_ms) / 1000, wall_s,
                 static_cast<double>(p.stats->events) / std::max(wall_s, 1e-9),
                 static_cast<unsigned long long>(p.stats->blocks_mined),
                 static_cast<unsigned long long>(p.stats->txs_accepted));
  };
  try {
    (*sim)->run(std::nullopt, progress, 10'000);
  } catch (const std::exception& e) {
    std::cerr << "tally-sim: the run failed: " << e.what() << "\n";
    return 1;
  }
  const sim::RunCost cost{std::chrono::duration<double>(Clock::now() - t0).count(), sim::peak_rss_bytes()};
  if (auto w = (*sim)->finish(sim::summary_json(**sim, cost)); !w) {
    std::cerr << "tally-sim: cannot write the output: " << w.error() << "\n";
    return 1;
  }
  const auto& st = (*sim)->stats();
  std::printf("tally-sim: %zu nodes, %.0f simulated s in %.1f s of wall time on %zu thread%s (%.0f simulated s per s, "
              "%.0f events/s), peak RSS %.0f MiB\n",
              (*sim)->size(), static_cast<double>((*sim)->now_ms()) / 1000, cost.wall_s, config->threads,
              config->threads == 1 ? "" : "s",
              static_cast<double>((*sim)->now_ms()) / 1000 / std::max(cost.wall_s, 1e-9),
              static_cast<double>(st.events) / std::max(cost.wall_s, 1e-9),
              static_cast<double>(cost.peak_rss_bytes) / (1 << 20));
  std::printf("  blocks mined %llu, transactions accepted %llu of %llu, tips agree: %s, states agree: %s\n",
              static_cast<unsigned long long>(st.blocks_mined), static_cast<unsigned long long>(st.txs_accepted),
              static_cast<unsigned long long>(st.txs_submitted), (*sim)->tips_agree() ? "yes" : "no",
              (*sim)->states_agree() ? "yes" : "no");
  std::printf("  output in %s (tally-study %s writes the report)\n", f.out.c_str(), f.out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tally-sim: a deterministic network simulator running the real Tally node cores.\n"
               "The same scenario and seed give byte-identical output (docs/STUDY.md)."};
  app.set_version_flag("--version", "tally-sim 0.1.0");
  app.require_subcommand(1);
  RunFlags f;
  CLI::App* cmd = app.add_subcommand("run", "Run SCENARIO.json and write the event logs, devnet.json and sim.json");
  cmd->add_option("scenario", f.scenario_file, "Scenario file (docs/SCENARIOS.md)")->required();
  cmd->add_option("--out", f.out, "Output directory (new or empty)")->required();
  cmd->add_option("--nodes", f.nodes, "Override the scenario's node count");
  cmd->add_option("--seed", f.seed, "Override the scenario's seed");
  cmd->add_option("--duration", f.duration, "Override the scenario's duration (e.g. 3600, 90s, 30m, 1h)");
  cmd->add_option("--threads", f.threads,
                  "Threads that run the nodes (default: the machine's cores); the output is the same for any count");
  cmd->add_flag("--quiet", f.quiet, "No progress on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return run(f);
}
