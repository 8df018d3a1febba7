// `tally-devnet status --json` and `tally-devnet cli N METHOD [ARGS...]`: their command
// lines, the JSON of a status report, and both against a real two-node devnet (the
// tally-devnet binary, as a user runs it).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "devnet/options.h"
#include "devnet/status.h"
#include "fast_chain.h"
#include "support/process.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::expected<ParsedCommandLine, std::string> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tally-devnet");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

TEST(DevnetCliOptions, StatusJsonAndCliParse) {
  auto s = parse({"status", "--json", "--dir", "/tmp/x"});
  ASSERT_TRUE(s) << s.error();
  const auto& status = std::get<StatusCommand>(*s->command);
  EXPECT_TRUE(status.json);
  EXPECT_EQ(status.dir, "/tmp/x");
  EXPECT_FALSE(parse({"status", "--json", "--watch", "1"})) << "JSON is printed once";

  auto c = parse({"cli", "--dir", "/tmp/x", "2", "getblockhash", "7"});
  ASSERT_TRUE(c) << c.error();
  const auto& cli = std::get<CliCommand>(*c->command);
  EXPECT_EQ(cli.node, 2u);
  EXPECT_EQ(cli.method, "getblockhash");
  EXPECT_EQ(cli.args, std::vector<std::string>{"7"});
  auto dashed = parse({"cli", "0", "setmocktime", "--", "-1"});
  ASSERT_TRUE(dashed) << dashed.error();
  EXPECT_EQ(std::get<CliCommand>(*dashed->command).args, std::vector<std::string>{"-1"});
  EXPECT_FALSE(parse({"cli", "0"})) << "a method is required";
  EXPECT_FALSE(parse({"cli"}));
}

TEST(DevnetStatusJson, HoldsEveryFieldOfTheReport) {
  NodeStatus a;
  a.index = 0;
  a.name = "node0";
  a.up = true;
  a.height = 12;
  a.tip = "ab";
  NodeStatus b;
  b.index = 1;
  b.name = "node1";
  b.error = "connection refused";
  StatusReport r = summarize({a, b});
  r.partition = {{0}, {1}};
  const json::object o = status_json(r);
  EXPECT_EQ(o.at("up"), 1);
  EXPECT_EQ(o.at("best_height"), 12);
  EXPECT_EQ(o.at("tips_agree"), true);
  EXPECT_EQ(o.at("partition"), (json::array{json::array{0}, json::array{1}}));
  ASSERT_EQ(o.at("nodes").as_array().size(), 2u);
  const json::object& n0 = o.at("nodes").as_array()[0].as_object();
  EXPECT_EQ(n0.at("name"), "node0");
  EXPECT_EQ(n0.at("height"), 12);
  EXPECT_FALSE(n0.contains("error"));
  EXPECT_EQ(o.at("nodes").as_array()[1].at("error"), "connection refused");
}

class DevnetCliBinary : public testing::DevnetFixture {
 protected:
  void SetUp() override { make_dir("tally-devnet-cli"); }

  support::RunResult devnet(std::vector<std::string> args) {
    support::SpawnOptions o;
    o.argv = {TALLY_DEVNET_PATH};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.out = support::Redirect::capture();
    o.err = support::Redirect::capture();
    auto r = support::run(o, 60s);
    EXPECT_TRUE(r) << r.error();
    return r ? *r : support::RunResult{};
  }
  std::string dir() const { return (dir_ / "devnet").string(); }
};

TEST_F(DevnetCliBinary, CallsANodeAndPrintsLikeTallyCli) {
  const UpOptions o = fast_options(2, "line", {});
  auto net = Devnet::up(o, [](const std::string&) {});
  ASSERT_TRUE(net) << net.error();
  net_.emplace(std::move(*net));

  // An array result: indented JSON; arguments parsed as JSON (2 is a number).
  auto r = devnet({"cli", "--dir", dir(), "0", "generate", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::value hashes = json::parse(r.out);
  ASSERT_EQ(hashes.as_array().size(), 2u);
  EXPECT_NE(r.out.find("\n  \""), std::string::npos) << "pretty printed: " << r.out;

  // A string result: raw. The other node catches up.
  ASSERT_TRUE(testing::wait_until([&] { return tip(1) == std::string(hashes.as_array()[1].as_string()); }, 30s));
  r = devnet({"cli", "--dir", dir(), "1", "getblockhash", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string(hashes.as_array()[1].as_string()) + "\n");

  // An argument that is not JSON is a string; an object result is JSON.
  r = devnet({"cli", "--dir", dir(), "0", "getblockheader", std::string(hashes.as_array()[0].as_string())});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("height"), 1);

  // null prints nothing; an RPC error as tally-cli prints it, exit 1.
  r = devnet({"cli", "--dir", dir(), "0", "setmocktime", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = devnet({"cli", "--dir", dir(), "0", "getblockhash", "99"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error code: -8\nerror message:\nBlock height out of range\n");
  r = devnet({"cli", "--dir", dir(), "5", "getblockcount"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no node 5"), std::string::npos) << r.err;

  // status --json: the report as JSON.
  r = devnet({"status", "--json", "--dir", dir()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::value status = json::parse(r.out);
  EXPECT_EQ(status.at("up"), 2);
  EXPECT_EQ(status.at("best_height"), 2);
  EXPECT_EQ(status.at("nodes").as_array().size(), 2u);
  EXPECT_EQ(status.at("nodes").as_array()[0].at("tip"), hashes.as_array()[1]);
}

}  // namespace
}  // namespace tally::devnet
