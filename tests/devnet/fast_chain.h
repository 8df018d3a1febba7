// Test support for devnet tests: the embedded devnet chain spec (so the devnet keys stay
// funded) with a quickly adapting ASERT and, by default, trivial proof-of-work, written as
// a chain spec file for `tally-devnet --chain`.
#pragma once

#include <boost/json.hpp>
#include <filesystem>
#include <string>

#include "node/datadir.h"
#include "node/node.h"

namespace tally::devnet::testing {

// Writes the spec to `file`; false when it cannot.
inline bool write_fast_chain(const std::filesystem::path& file, const std::string& genesis_bits = "0x207fffff") {
  boost::json::value spec = boost::json::parse(node::embedded_devnet_spec());
  spec.as_object()["genesis_bits"] = genesis_bits;
  spec.as_object()["pow_limit_bits"] = "0x207fffff";
  spec.as_object()["block_interval_s"] = 1;
  spec.as_object()["asert_half_life_s"] = 10;
  return node::write_file_atomic(file, boost::json::serialize(spec)).has_value();
}

}  // namespace tally::devnet::testing
