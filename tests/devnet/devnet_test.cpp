// tally-devnet against real tallyd processes on loopback ports chosen at run time: a line of
// five nodes with two miners; a transfer spreads and is mined identically everywhere; a 2+3
// partition forks the chain and healing reorganizes the losing side; a node stopped
// mid-run catches up after a restart; down leaves no process behind.
//
// The chain spec makes proof-of-work trivial (target at the limit) with a short ASERT
// half-life, so blocks come at once and then settle near one a second. Every phase is
// bounded by a timeout; every process the test starts is stopped in TearDown (down()), and
// the nodes also get SIGTERM should the test process die (stop_with_parent).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "crypto/address.h"
#include "crypto/hex.h"
#include "ledger/transaction.h"
#include "base/files.h"
#include "devnet/devnet.h"
#include "devnet/process.h"
#include "ledger/embedded_spec.h"
#include "fast_chain.h"
#include "support/process.h"

namespace tally::devnet {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using testing::wait_until;

std::string describe(const StatusReport& r) { return std::string("\n").append(render_status(r)); }

class DevnetProcessTest : public testing::DevnetFixture {
 protected:
  void SetUp() override { make_dir("tally-devnet-test"); }

  UpOptions options(std::size_t nodes, const std::string& topology, std::size_t miners) const {
    UpOptions o;
    o.nodes = nodes;
    o.topology = *parse_topology(topology);
    o.miners = miners;
    o.dir = dir_ / "devnet";
    o.tallyd = TALLYD_PATH;
    o.chain = chain_file_;
    o.threads_per_miner = 1;
    o.start_timeout = 30s;
    o.stop_with_parent = true;
    return o;
  }

  json::value call(std::size_t node, const std::string& method, json::array params = {}) {
    auto c = net_->client(node, 5s);
    if (!c) throw std::runtime_error(c.error());
    auto r = c->call(method, params);
    if (!r) throw std::runtime_error(method + " on node" + std::to_string(node) + ": " + r.error().message);
    return *r;
  }

  // Calls that may fail while nodes change: nullopt instead of an exception.
  std::optional<json::value> try_call(std::size_t node, const std::string& method, json::array params = {}) {
    try {
      return call(node, method, std::move(params));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  bool all_agree() {
    const StatusReport r = net_->status();
    last_ = r;
    return r.up == r.nodes.size() && r.tips_agree() && r.states_agree();
  }

  StatusReport last_;
};

// Events of one node's events.jsonl with a given type, from `since_us` on.
std::vector<json::object> events(const std::filesystem::path& datadir, const std::string& type,
                                 std::int64_t since_us) {
  std::vector<json::object> out;
  std::ifstream in(datadir / "events.jsonl");
  std::string line;
  while (std::getline(in, line)) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;  // a line being written
    const json::object& o = v.as_object();
    if (o.at("event").as_string() != type) continue;
    if (o.at("ts_us").to_number<std::int64_t>() < since_us) continue;
    out.push_back(o);
  }
  return out;
}

TEST_F(DevnetProcessTest, LineOfFiveTransferPartitionHealRestartDown) {
  auto up = Devnet::up(options(5, "line", 2));
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  const Layout layout = net_->layout();
  ASSERT_EQ(layout.nodes.size(), 5u);
  EXPECT_EQ(layout.edges, (std::vector<Edge>{{1, 0}, {2, 1}, {3, 2}, {4, 3}}));
  EXPECT_TRUE(layout.nodes[0].mining);  // miners spread: one on each side of the 0-1 | 2-4 cut
  EXPECT_TRUE(layout.nodes[2].mining);
  for (std::size_t i : {1u, 3u, 4u}) EXPECT_FALSE(layout.nodes[i].mining);
  ASSERT_TRUE(std::filesystem::exists(layout.file()));

  // --- Everyone connected and in agreement on a chain with a few blocks.
  ASSERT_TRUE(wait_until([&] { return all_agree() && last_.best_height >= 3; }, 40s)) << describe(last_);
  for (const NodeStatus& n : last_.nodes) EXPECT_EQ(n.peers, (n.index == 0 || n.index == 4) ? 1u : 2u) << n.name;

  // --- A transfer submitted at one end (node4, not a miner) is mined and seen identically.
  const ledger::ChainSpec& spec = net_->spec();
  const crypto::SecretKey sender = devnet_key(5);
  const crypto::Address to = crypto::address_of(devnet_key(6).public_key());
  const std::string sender_text = crypto::encode_address(crypto::address_of(sender.public_key()), spec.address_prefix);
  const std::string to_text = crypto::encode_address(to, spec.address_prefix);
  const auto nonce = call(4, "getaccount", {json::value(sender_text)}).as_object().at("pending_nonce").to_number<std::uint64_t>();
  const auto balance_before = call(4, "getaccount", {json::value(to_text)}).as_object().at("balance").to_number<std::uint64_t>();
  const ledger::Transaction tx = ledger::make_transfer(sender, spec.chain_id, to, 12345, spec.min_fee, nonce);
  const crypto::Bytes raw = tx.encode();
  const std::string txid = call(4, "sendrawtransaction", {json::value(crypto::to_hex(crypto::ByteSpan(raw)))}).as_string().c_str();
  EXPECT_EQ(txid, crypto::to_hex(tx.txid()));

  std::string block_hash;
  std::uint32_t block_height = 0;
  const bool mined_everywhere = wait_until([&] {
    std::set<std::string> hashes;
    for (std::size_t i = 0; i < 5; ++i) {
      auto r = try_call(i, "getrawtransaction", {json::value(txid), json::value(true)});
      if (!r || !r->as_object().contains("blockhash") || !r->as_object().at("in_active_chain").as_bool()) return false;
      hashes.insert(std::string(r->as_object().at("blockhash").as_string()));
      block_height = r->as_object().at("height").to_number<std::uint32_t>();
    }
    if (hashes.size() != 1) return false;
    block_hash = *hashes.begin();
    return true;
  }, 30s, 250ms);
  ASSERT_TRUE(mined_everywhere) << describe(net_->status());
  std::set<std::string> state_roots;
  for (std::size_t i = 0; i < 5; ++i) {
    const json::object s = call(i, "getstatehash", {json::value(block_height)}).as_object();
    EXPECT_EQ(s.at("blockhash").as_string(), block_hash) << "node" << i;
    state_roots.insert(std::string(s.at("stateroot").as_string()));
    const auto balance = call(i, "getaccount", {json::value(to_text)}).as_object().at("balance").to_number<std::uint64_t>();
    EXPECT_EQ(balance, balance_before + 12345) << "node" << i;
  }
  EXPECT_EQ(state_roots.size(), 1u);
  std::cout << "transfer " << txid.substr(0, 16) << " mined at height " << block_height << " in block "
            << block_hash.substr(0, 16) << " on all five nodes\n";

  // --- Partition 0-1 | 2-4: both sides keep mining on their own branch.
  ASSERT_TRUE(net_->partition({{0, 1}, {2, 3, 4}}));
  EXPECT_EQ(net_->layout().partition, (std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3, 4}}));
  const std::uint32_t split_height = net_->status().best_height;
  ASSERT_TRUE(wait_until([&] {
    last_ = net_->status();
    if (last_.up != 5) return false;
    for (const NodeStatus& n : last_.nodes)
      if (n.height < split_height + 3) return false;
    return last_.nodes[0].tip != last_.nodes[2].tip;
  }, 40s)) << "split at " << split_height << describe(last_);
  EXPECT_EQ(last_.nodes[1].peers, 1u);  // node1 lost node2
  EXPECT_EQ(last_.nodes[2].peers, 1u);
  const std::string tip_a = last_.nodes[0].tip;
  const std::string tip_b = last_.nodes[2].tip;
  const std::uint32_t height_a = last_.nodes[0].height;
  const std::uint32_t height_b = last_.nodes[2].height;
  const std::string work_a = last_.nodes[0].chainwork;
  const std::string work_b = last_.nodes[2].chainwork;

  // --- Heal: all five converge on one most-work tip; the losing side reorganized.
  const std::int64_t healed_us = wall_us();
  ASSERT_TRUE(net_->heal());
  EXPECT_TRUE(net_->layout().partition.empty());
  ASSERT_TRUE(wait_until([&] { return all_agree(); }, 40s)) << describe(last_);
  const std::string final_work = last_.nodes[0].chainwork;
  EXPECT_GE(final_work, work_a);  // fixed-width hex: string order is numeric order
  EXPECT_GE(final_work, work_b);
  auto in_final_chain = [&](const std::string& tip, std::uint32_t height) {
    auto h = try_call(0, "getblockhash", {json::value(height)});
    return h && h->as_string() == tip;
  };
  const bool a_won = in_final_chain(tip_a, height_a);
  const bool b_won = in_final_chain(tip_b, height_b);
  ASSERT_NE(a_won, b_won) << "exactly one side's branch must be in the final chain";
  const std::vector<std::size_t> losers = a_won ? std::vector<std::size_t>{2, 3, 4} : std::vector<std::size_t>{0, 1};
  const std::vector<std::size_t> winners = a_won ? std::vector<std::size_t>{0, 1} : std::vector<std::size_t>{2, 3, 4};
  std::cout << "partition at height " << split_height << ": side 0-1 reached " << height_a << ", side 2-4 "
            << height_b << "; after the heal all agree at " << last_.best_height << ", side "
            << (a_won ? "0-1" : "2-4") << " won\n";
  for (std::size_t i : losers) {
    const auto reorgs = events(layout.nodes[i].datadir, "reorg", healed_us);
    ASSERT_FALSE(reorgs.empty()) << "node" << i << " (losing side) logged no reorg after the heal";
    EXPECT_GE(reorgs.front().at("depth").to_number<std::int64_t>(), 1);
    std::cout << "node" << i << " reorganized, depth " << reorgs.front().at("depth").to_number<std::int64_t>() << "\n";
  }
  // The winners never left their branch: any reorg after the heal is within the new blocks
  // racing at the moment of the heal, never back to the fork point.
  for (std::size_t i : winners) {
    for (const auto& e : events(layout.nodes[i].datadir, "reorg", healed_us))
      EXPECT_LE(e.at("depth").to_number<std::int64_t>(), 3) << "node" << i;
  }

  // --- Stop node3 mid-run, let the others move on, start it again: it catches up.
  ASSERT_TRUE(net_->stop(3));
  const int stopped_pid = layout.nodes[3].pid;
  EXPECT_FALSE(process_running(stopped_pid));
  EXPECT_EQ(net_->layout().nodes[3].pid, 0);
  const StatusReport while_down = net_->status();
  EXPECT_FALSE(while_down.nodes[3].up);
  const std::uint32_t height_at_stop = while_down.best_height;
  ASSERT_TRUE(wait_until([&] { return net_->status().best_height >= height_at_stop + 3; }, 30s));
  ASSERT_TRUE(net_->start(3));
  EXPECT_NE(net_->layout().nodes[3].pid, 0);
  const std::uint32_t height_at_start = net_->status().best_height;
  ASSERT_TRUE(wait_until([&] { return all_agree() && last_.nodes[3].height >= height_at_start; }, 40s))
      << describe(last_);
  std::cout << "node3 stopped at height " << height_at_stop << ", restarted at " << height_at_start
            << ", caught up at " << last_.nodes[3].height << "\n";

  // --- down: every recorded process is gone.
  std::vector<int> pids;
  for (const NodeRecord& n : net_->layout().nodes) pids.push_back(n.pid);
  ASSERT_TRUE(net_->down(false));
  for (int pid : pids) {
    EXPECT_FALSE(process_running(pid)) << pid;
    EXPECT_TRUE(::kill(pid, 0) != 0 && errno == ESRCH) << "pid " << pid << " still exists";
  }
  for (const NodeRecord& n : net_->layout().nodes) {
    EXPECT_TRUE(live_pids(n).empty()) << n.name;
    EXPECT_EQ(n.pid, 0);
    EXPECT_TRUE(std::filesystem::exists(n.datadir / "events.jsonl")) << "down keeps the datadirs";
  }
  // A second down is harmless, and a re-opened devnet sees every node down.
  auto reopened = Devnet::open(dir_ / "devnet");
  ASSERT_TRUE(reopened) << reopened.error();
  EXPECT_EQ(reopened->status().up, 0u);
  ASSERT_TRUE(reopened->down(true));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "devnet"));
  net_.reset();
}

TEST_F(DevnetProcessTest, FailedStartStopsWhatItStartedAndReportsTheLog) {
  UpOptions o = options(2, "line", 0);
  o.tallyd_args = {"--no-such-flag"};
  auto up = Devnet::up(o);
  ASSERT_FALSE(up);
  EXPECT_NE(up.error().find("exited during start"), std::string::npos) << up.error();
  EXPECT_NE(up.error().find("no-such-flag"), std::string::npos) << up.error();
  auto layout = load_layout(o.dir);
  ASSERT_TRUE(layout) << layout.error();
  for (const NodeRecord& n : layout->nodes) {
    EXPECT_TRUE(live_pids(n).empty()) << n.name;
    EXPECT_EQ(n.pid, 0);
  }

  o = options(2, "line", 0);
  o.tallyd = dir_ / "no-tallyd-here";
  EXPECT_FALSE(Devnet::up(o));
}

TEST_F(DevnetProcessTest, UpTriesOtherPortsWhenOneWasTakenMeanwhile) {
  // A stand-in tallyd that fails like a lost port race the first time, then runs the real one.
  const auto fake = dir_ / "bin" / "tallyd";
  std::filesystem::create_directories(fake.parent_path());
  {
    std::ofstream out(fake);
    out << "#!/bin/sh\n"
        << "if [ ! -e '" << (dir_ / "raced").string() << "' ]; then\n"
        << "  touch '" << (dir_ / "raced").string() << "'\n"
        << "  echo 'tallyd: error: cannot listen for peers on 127.0.0.1:1: Address already in use' >&2\n"
        << "  exit 1\n"
        << "fi\n"
        << "exec '" << TALLYD_PATH << "' \"$@\"\n";
  }
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  UpOptions o = options(1, "line", 0);
  o.tallyd = fake;
  // The devnet outlives this scope (TearDown stops it): its log must not refer to locals.
  auto said = std::make_shared<std::vector<std::string>>();
  auto up = Devnet::up(o, [said](const std::string& m) { said->push_back(m); });
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "raced"));
  EXPECT_TRUE(std::any_of(said->begin(), said->end(), [](const std::string& m) { return m.find("trying again") != std::string::npos; }));
  EXPECT_EQ(net_->status().up, 1u);
}

TEST_F(DevnetProcessTest, UpRefusesADirectoryWhoseDevnetRuns) {
  auto up = Devnet::up(options(1, "line", 0));
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  auto again = Devnet::up(options(1, "line", 0));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().find("already running"), std::string::npos) << again.error();
  // The same devnet restarts on its datadirs after down.
  ASSERT_TRUE(net_->down(false));
  auto restarted = Devnet::up(options(1, "line", 0));
  ASSERT_TRUE(restarted) << restarted.error();
  net_.emplace(std::move(*restarted));
  EXPECT_EQ(net_->status().up, 1u);
}

// --private: every node has a key, dials by key and admits only the devnet's keys. The
// devnet converges; each peer is known by the key listed in allowed-keys.txt; a node that
// is not in the list is refused by every member.
TEST_F(DevnetProcessTest, PrivateDevnetConnectsByKeyAndRefusesStrangers) {
  UpOptions o = options(3, "line", 1);
  o.private_network = true;
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  ASSERT_TRUE(wait_until([&] { return all_agree() && last_.nodes[0].height >= 2; }, 60s)) << describe(last_);
  const std::string allow = base::read_file(o.dir / "allowed-keys.txt").value_or("");
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string key(call(i, "getnetworkinfo").at("nodekey").as_string());
    EXPECT_NE(allow.find(key), std::string::npos) << "node" << i;
    EXPECT_EQ(call(i, "getnetworkinfo").at("peerallow"), 3);
    const json::value peers = call(i, "getpeerinfo");
    for (const auto& p : peers.as_array())
      EXPECT_NE(allow.find(std::string(p.at("nodekey").as_string())), std::string::npos);
  }
  // A stranger: not in the list, so node 1 refuses it after the handshake.
  const std::string endpoint = "127.0.0.1:" + std::to_string(net_->layout().nodes[1].p2p_port);
  support::TempDir stranger_dir("tally-devnet-stranger");
  support::SpawnOptions so;
  so.argv = {TALLYD_PATH,    "--datadir", (stranger_dir.path() / "s").string(), "--port", "0", "--rpcport", "0",
             "--printtoconsole", "0", "--chain", chain_file_.string(), "--connect", endpoint};
  so.parent_death_signal = SIGKILL;
  so.stop_grace = 5s;
  auto stranger = support::Child::spawn(so);
  ASSERT_TRUE(stranger) << stranger.error();
  EXPECT_TRUE(wait_until(
      [&] {
        auto info = try_call(1, "getnetworkinfo");
        return info && info->at("handshakes").at("not_allowed").to_number<int>() >= 1;
      },
      15s));
  const json::value peers = call(1, "getpeerinfo");
  EXPECT_EQ(peers.as_array().size(), 2u);
  for (const auto& p : peers.as_array())
    EXPECT_NE(allow.find(std::string(p.at("nodekey").as_string())), std::string::npos);
  (void)stranger->stop(5s);
}

// --discovery: one seed, no wiring. Every other node fills at least 2 outbound slots from
// address gossip alone (the seed is one of them at most), the nodes converge, and dials to
// gossiped addresses authenticate the listener by the key that came with the address. (The
// seed itself ends with every node as an inbound peer, so it has nobody left to dial.)
TEST_F(DevnetProcessTest, DiscoveryDevnetFillsOutboundSlotsFromGossipAndConverges) {
  UpOptions o = options(12, "ring", 1);
  o.discovery = true;
  o.seed_nodes = 1;
  // 4 outbound slots, not 8: with 8, 12 nodes want more connections than the 66 pairs there
  // are, the graph becomes complete, and an early node ends with every other node dialled in
  // to it and nobody left to dial.
  o.tallyd_args = {"--maxoutbound", "4"};
  NodeOverride hub;  // the seed as a hub
  hub.node = 0;
  hub.max_inbound = 200;
  NodeOverride relay;
  relay.node = 11;
  relay.relay_only = true;
  o.node_overrides = {hub, relay};
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  const Layout layout = net_->layout();
  EXPECT_TRUE(layout.edges.empty());
  EXPECT_NE(std::find(layout.nodes[0].args.begin(), layout.nodes[0].args.end(), "--maxinbound"), layout.nodes[0].args.end());
  EXPECT_TRUE(layout.nodes[11].relay_only);
  EXPECT_FALSE(layout.nodes[11].mining);
  for (const NodeRecord& n : layout.nodes) {
    EXPECT_EQ(std::count(n.args.begin(), n.args.end(), "--connect"), 0) << n.name;
    EXPECT_EQ(std::count(n.args.begin(), n.args.end(), "--seed"), n.index == 0 ? 0 : 1) << n.name;
  }
  auto filled = [&] {
    if (!all_agree() || last_.best_height < 2) return false;
    for (const NodeStatus& n : last_.nodes)
      if (n.index >= o.seed_nodes && n.outbound < 2) return false;
    return true;
  };
  ASSERT_TRUE(wait_until(filled, 60s)) << describe(last_);
  std::int64_t dials_with_key = 0;
  for (std::size_t i = 0; i < layout.nodes.size(); ++i)
    dials_with_key += call(i, "getnetworkinfo").at("handshakes").at("dials_with_key").to_number<std::int64_t>();
  EXPECT_GE(dials_with_key, 1) << "gossiped addresses carry node keys";
  EXPECT_NE(render_status(last_).find("in/out"), std::string::npos);
}

// Honest intervals: a devnet of the embedded spec asked for 1 s blocks starts at the target
// its miner meets every second (measured by `up`), so its first 60 blocks come about a
// second apart, not at the genesis target's pace. The mean is tested, not the median: block
// intervals are exponential, whose median is ln 2 = 0.69 of the mean.
TEST_F(DevnetProcessTest, ADevnetAskedForOneSecondBlocksGetsThemFromTheFirstBlocks) {
  UpOptions o = options(4, "ring", 1);
  o.chain.clear();
  o.block_time_s = 1;
  auto up = Devnet::up(o);
  ASSERT_TRUE(up) << up.error();
  net_.emplace(std::move(*up));
  const json::object& options = net_->layout().options;
  ASSERT_TRUE(options.contains("calibration")) << json::serialize(options);
  ASSERT_TRUE(wait_until([&] { return all_agree() && last_.best_height >= 61; }, 180s)) << describe(last_);
  EXPECT_EQ(last_.requested_interval_s, 1);
  EXPECT_GT(last_.measured_interval_s, 1.0 / 1.5) << describe(last_) << json::serialize(options);
  EXPECT_LT(last_.measured_interval_s, 1.5) << describe(last_) << json::serialize(options);
  EXPECT_NE(describe(last_).find("asked for 1 s"), std::string::npos);

  // Up again on the same datadirs: the calibrated spec is kept (a new measurement would make
  // another genesis, and the datadirs would belong to another chain).
  const std::string spec_before = base::read_file(o.dir / "chain.json").value_or("");
  const std::uint32_t height_before = last_.best_height;
  ASSERT_TRUE(net_->down(false));
  net_.reset();
  auto again = Devnet::up(o);
  ASSERT_TRUE(again) << again.error();
  net_.emplace(std::move(*again));
  EXPECT_EQ(base::read_file(o.dir / "chain.json").value_or("x"), spec_before);
  ASSERT_TRUE(wait_until([&] { return all_agree() && last_.best_height >= height_before; }, 30s)) << describe(last_);
}

}  // namespace
}  // namespace tally::devnet
