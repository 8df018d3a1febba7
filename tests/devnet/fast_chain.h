// Test support for devnet tests: the embedded devnet chain spec (so the devnet keys stay
// funded) with a quickly adapting ASERT and, by default, trivial proof-of-work, written as
// a chain spec file for `tally-devnet --chain`; and a fixture that gives each test a
// working directory with that spec and takes its devnet down afterwards.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <string>

#include "base/files.h"
#include "devnet/devnet.h"
#include "ledger/embedded_spec.h"

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

// A fresh directory /tmp/<prefix>-<pid>-<random> holding the fast chain spec (make_dir,
// from the test's SetUp), and the devnet under test (net_). TearDown takes the devnet down,
// then removes the directory if the test passed, or keeps it for inspection and says where.
class DevnetFixture : public ::testing::Test {
 protected:
  void make_dir(const std::string& prefix) {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000));
    std::filesystem::create_directories(dir_);
    chain_file_ = dir_ / "fast-chain.json";
    ASSERT_TRUE(write_fast_chain(chain_file_));
  }

  void TearDown() override {
    if (net_) {
      auto d = net_->down(false);
      EXPECT_TRUE(d) << (d ? "" : d.error());
    }
    if (dir_.empty()) return;
    if (HasFailure()) {
      std::cerr << "devnet kept for inspection in " << dir_ << "\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::filesystem::path dir_;
  std::filesystem::path chain_file_;
  std::optional<Devnet> net_;
};

}  // namespace tally::devnet::testing
