// Test support for devnet tests: the embedded devnet chain spec (so the devnet keys stay
// funded) with a quickly adapting ASERT and, by default, trivial proof-of-work, written as
// a chain spec file for `tally-devnet --chain`; and a fixture that gives each test a
// working directory with that spec and takes its devnet down afterwards.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>
#include <iostream>
#include <optional>
#include <string>

#include "base/files.h"
#include "devnet/devnet.h"
#include "scenario/topology.h"
#include "ledger/embedded_spec.h"
#include "support/temp_dir.h"

namespace tally::devnet::testing {

// Writes the spec to `file`; false when it cannot.
inline bool write_fast_chain(const std::filesystem::path& file, const std::string& genesis_bits = "0x207fffff") {
  boost::json::value spec = boost::json::parse(ledger::embedded_devnet_spec());
  spec.as_object()["genesis_bits"] = genesis_bits;
  spec.as_object()["pow_limit_bits"] = "0x207fffff";
  spec.as_object()["block_interval_s"] = 1;
  spec.as_object()["asert_half_life_s"] = 10;
  return base::write_file_atomic(file, boost::json::serialize(spec)).has_value();
}

// Polls `done` until it holds or `timeout` passes.
inline bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(200)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

// A fresh temporary directory <prefix>-XXXXXX holding the fast chain spec (make_dir,
// from the test's SetUp), and the devnet under test (net_). TearDown takes the devnet down,
// then removes the directory if the test passed, or keeps it for inspection and says where.
class DevnetFixture : public ::testing::Test {
 protected:
  void make_dir(const std::string& prefix) {
    temp_.emplace(prefix);
    dir_ = temp_->path();
    chain_file_ = dir_ / "fast-chain.json";
    ASSERT_TRUE(write_fast_chain(chain_file_));
  }

  void TearDown() override {
    if (net_) {
      auto d = net_->down(false);
      EXPECT_TRUE(d) << (d ? "" : d.error());
    }
    if (temp_ && HasFailure()) {
      temp_->keep();
      std::cerr << "devnet kept for inspection in " << dir_ << "\n";
    }
    temp_.reset();
  }

  // A devnet of the fixture's fast chain in dir_/devnet: `nodes` on `topology`, these miners,
  // this build's tallyd, stopped with the test should it die.
  UpOptions fast_options(std::size_t nodes, const std::string& topology, std::vector<std::size_t> miners) const {
    UpOptions o;
    o.nodes = nodes;
    o.topology = *scenario::parse_topology(topology);
    o.miners = miners.size();
    o.miner_nodes = std::move(miners);
    o.dir = dir_ / "devnet";
#ifdef TALLYD_PATH
    o.tallyd = TALLYD_PATH;
#endif
    o.chain = chain_file_;
    o.start_timeout = std::chrono::seconds(30);
    o.stop_with_parent = true;
    return o;
  }

  // The best block hash of a node of net_, or "" when it does not answer.
  std::string tip(std::size_t node) {
    auto c = net_->client(node, std::chrono::seconds(3));
    if (!c) return "";
    auto r = c->call("getbestblockhash", boost::json::array{});
    if (!r || !r->is_string()) return "";
    return std::string(r->get_string());
  }

  std::optional<support::TempDir> temp_;  // removed after TearDown unless the test failed
  std::filesystem::path dir_;             // temp_'s path
  std::filesystem::path chain_file_;
  std::optional<Devnet> net_;
};

}  // namespace tally::devnet::testing
