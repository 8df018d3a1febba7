// tally-sim as a program (sim/tally_sim_main.cpp): a bad scenario is refused with an error
// naming the field and nothing written; a small run completes, and tally-study reads its
// output unchanged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"
#include "support/temp_dir.h"

namespace tally::sim {
namespace {

namespace fs = std::filesystem;

support::RunResult run_sim(std::vector<std::string> args) {
  args.insert(args.begin(), TALLY_SIM_PATH);
  support::SpawnOptions o;
  o.argv = std::move(args);
  o.out = support::Redirect::capture();
  o.err = support::Redirect::capture();
  auto r = support::run(o, std::chrono::seconds(120));
  EXPECT_TRUE(r) << (r ? "" : r.error());
  return r ? *r : support::RunResult{};
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

TEST(SimCli, BadScenariosAreRefusedNamingTheFieldAndWriteNothing) {
  support::TempDir dir("sim-cli");
  const struct {
    std::string json;
    std::string expected;
  } cases[] = {
      {R"({"nodes": 4, "duration_s": 60, "colour": "red"})", "colour: unknown field"},
      {R"({"nodes": 4, "duration_s": 60, "network": {"preset": "mars"}})", "network.preset: unknown preset 'mars'"},
      {R"({"nodes": 4, "duration_s": 60, "events": [{"at_s": 5, "do": "stop", "node": 9}]})", "events[0].node:"},
      {R"({"nodes": 4, "duration_s": 60, "personas": {"2": {"max_inbound": -1}}})", "personas.2.max_inbound:"},
      {R"({"nodes": 4, "duration_s": 60, "link_overrides": [{"between": [0, 1], "latency": "5ms"}]})",
       "link_overrides: tally-sim shapes nodes"},
      {R"({"nodes": 4, "duration_s": 60, "tx_inv_interval": "2min"})", "tx_inv_interval: must be within 1ms..60s"},
      {R"({"nodes": 4, "duration_s": 60, "tx_inv_interval": "soon"})", "tx_inv_interval:"},
      {R"({"nodes": 4, "duration_s": 60, "compact_relay": "yes"})", "compact_relay:"},
  };
  for (const auto& c : cases) {
    write(dir / "bad.json", c.json);
    const fs::path out = dir / "out";
    const auto r = run_sim({"run", (dir / "bad.json").string(), "--out", out.string()});
    EXPECT_EQ(r.exit_code, 2) << c.json;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.json << "\n" << r.err;
    EXPECT_FALSE(fs::exists(out)) << "no output directory for a refused scenario: " << c.json;
  }
  // A thread count out of range is refused the same way.
  write(dir / "good.json", R"({"nodes": 4, "duration_s": 60})");
  for (const char* threads : {"0", "300"}) {
    const fs::path out = dir / "out";
    const auto r = run_sim({"run", (dir / "good.json").string(), "--out", out.string(), "--threads", threads});
    EXPECT_EQ(r.exit_code, 2) << threads;
    EXPECT_NE(r.err.find("--threads must be within 1..256"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << "--threads " << threads;
  }
}

TEST(SimCli, ASmallRunCompletesAndTheStudyReadsIt) {
  support::TempDir dir("sim-cli");
  write(dir / "s.json", R"({"nodes": 12, "topology": "discovery", "seeds": 2, "seed": 3, "block_time_s": 10,
    "duration_s": 120, "miners": 3, "load": {"tps": 1, "senders": 4}, "network": {"preset": "bitcoin-2019"},
    "events": [{"at_s": 40, "do": "partition", "groups": ["0-5"]}, {"at_s": 80, "do": "heal"}]})");
  const fs::path out = dir / "out";
  const auto r = run_sim({"run", (dir / "s.json").string(), "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("12 nodes"), std::string::npos) << r.out;
  for (const char* f : {"devnet.json", "sim.json", "control.jsonl", "node0/events.jsonl", "node11/events.jsonl"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  // Not into a directory that holds a run already.
  const auto again = run_sim({"run", (dir / "s.json").string(), "--out", out.string(), "--quiet"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("is not empty"), std::string::npos) << again.err;

  support::SpawnOptions study;
  study.argv = {TALLY_STUDY_PATH, out.string()};
  study.out = support::Redirect::capture();
  study.err = support::Redirect::capture();
  auto s = support::run(study, std::chrono::seconds(120));
  ASSERT_TRUE(s) << s.error();
  ASSERT_EQ(s->exit_code, 0) << s->err;
  std::ifstream report(out / "report.json");
  std::stringstream text;
  text << report.rdbuf();
  EXPECT_NE(text.str().find("\"overlay\":{\"nodes\":12"), std::string::npos);
  EXPECT_NE(text.str().find("\"reach_cdf_ms\""), std::string::npos);
}

}  // namespace
}  // namespace tally::sim
