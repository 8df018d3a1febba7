// Test-only fixture for the RPC method tests: a TestNode (a real chain on RocksDB, mempool
// and NetCore, no peers), the node's method table, and calls through handle_body() with
// their result or error. One thread.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "crypto/hex.h"
#include "rpc/methods.h"
#include "test_node.h"

namespace tally::rpc::testing {

class MethodCallFixture : public ::testing::Test {
 protected:
  explicit MethodCallFixture(ledger::ChainSpec spec = ledger::testing::test_spec()) : node({}, std::move(spec)) {}

  // The whole response object of one call.
  boost::json::value call(const std::string& method, const std::string& params = "[]") {
    RequestContext ctx;
    ctx.node = &node;
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}";
    return boost::json::parse(handle_body(body, table, ctx));
  }
  // The result of a call that must succeed.
  boost::json::value result(const std::string& method, const std::string& params = "[]") {
    boost::json::value r = call(method, params);
    EXPECT_FALSE(r.as_object().contains("error")) << method << " " << params << ": " << boost::json::serialize(r);
    return r.as_object().contains("result") ? r.at("result") : boost::json::value();
  }
  // The error code of a call that must fail.
  int error_code(const std::string& method, const std::string& params = "[]") {
    boost::json::value r = call(method, params);
    if (!r.as_object().contains("error")) {
      ADD_FAILURE() << method << " " << params << " succeeded: " << boost::json::serialize(r);
      return 0;
    }
    return static_cast<int>(r.at("error").at("code").as_int64());
  }
  // The error message, or "" when the call succeeded.
  std::string error_message(const std::string& method, const std::string& params = "[]") {
    boost::json::value r = call(method, params);
    return r.as_object().contains("error") ? std::string(r.at("error").at("message").as_string()) : "";
  }
  // "code message" of the error, or "" when the call succeeded.
  std::string error(const std::string& method, const std::string& params = "[]") {
    boost::json::value r = call(method, params);
    if (!r.as_object().contains("error")) return "";
    return std::to_string(r.at("error").at("code").as_int64()) + " " +
           std::string(r.at("error").at("message").as_string());
  }

  std::string addr(int i) const {
    return crypto::encode_address(test_address(i), node.spec().address_prefix);
  }
  static std::string q(const std::string& s) { return "\"" + s + "\""; }
  std::string tx_hex(int from, int to, ledger::Amount amount, ledger::Amount fee, std::uint64_t nonce) {
    return crypto::to_hex(node.harness().transfer(from, to, amount, fee, nonce).encode());
  }
  std::string genesis_hex() const { return crypto::to_hex(node.spec().genesis_hash()); }

  TestNode node;
  MethodTable table = node_methods();
};

}  // namespace tally::rpc::testing
