// JSON-RPC 2.0 dispatch as a pure function of the request body: protocol errors, batches,
// notifications, parameter validation and number edge cases.
#include "rpc/json_rpc.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tally::rpc {
namespace {

namespace json = boost::json;

// A table of small methods that exercise Params.
MethodTable test_table(int* calls) {
  MethodTable t;
  t.add({"echo", "test", {{"value", false}}, "Returns its parameter.", [calls](const Params& p, RequestContext&) {
           ++*calls;
           const json::value* v = p.get(0, "value");
           return v ? *v : json::value(nullptr);
         }});
  t.add({"add", "test", {{"a"}, {"b"}}, "a + b.", [calls](const Params& p, RequestContext&) -> json::value {
           ++*calls;
           return p.get_int(0, "a", -1000000, 1000000) + p.get_int(1, "b", -1000000, 1000000);
         }});
  t.add({"height", "test", {{"height"}}, "Checks a uint32 height.", [](const Params& p, RequestContext&) -> json::value {
           return p.get_int(0, "height", 0, 4294967295LL);
         }});
  t.add({"flag", "test", {{"verbose", false}}, "A bool.", [](const Params& p, RequestContext&) -> json::value {
           return p.get_opt_bool(0, "verbose").value_or(false);
         }});
  t.add({"name", "test", {{"name"}}, "A string.", [](const Params& p, RequestContext&) -> json::value {
           return json::value(std::string(p.get_string(0, "name")));
         }});
  t.add({"fail", "test", {}, "Throws an RpcError with data.", [](const Params&, RequestContext&) -> json::value {
           throw RpcError(kVerifyRejected, "fee-too-low: fee is below the minimum", json::object{{"reason", "fee-too-low"}});
         }});
  t.add({"boom", "test", {}, "Throws a std::exception.", [](const Params&, RequestContext&) -> json::value {
           throw std::runtime_error("kaput");
         }});
  return t;
}

class JsonRpcTest : public ::testing::Test {
 protected:
  json::value call(std::string_view body) {
    last_body = handle_body(body, table, ctx);
    if (last_body.empty()) return nullptr;
    return json::parse(last_body);
  }
  static int code(const json::value& r) { return static_cast<int>(r.at("error").at("code").as_int64()); }

  int calls = 0;
  MethodTable table = test_table(&calls);
  RequestContext ctx;
  std::string last_body;
};

TEST_F(JsonRpcTest, SingleCallReturnsResultAndEchoesId) {
  auto r = call(R"({"jsonrpc":"2.0","id":7,"method":"add","params":[2,3]})");
  EXPECT_EQ(r.at("jsonrpc"), "2.0");
  EXPECT_EQ(r.at("id"), 7);
  EXPECT_EQ(r.at("result"), 5);
  EXPECT_FALSE(r.as_object().contains("error"));

  r = call(R"({"jsonrpc":"2.0","id":"abc","method":"echo","params":["x"]})");
  EXPECT_EQ(r.at("id"), "abc");
  EXPECT_EQ(r.at("result"), "x");
  r = call(R"({"jsonrpc":"2.0","id":null,"method":"echo"})");
  EXPECT_TRUE(r.at("id").is_null());
  EXPECT_TRUE(r.at("result").is_null());
}

TEST_F(JsonRpcTest, NamedParameters) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":{"b":40,"a":2}})");
  EXPECT_EQ(r.at("result"), 42);
  r = call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":{"a":2,"c":3}})");
  EXPECT_EQ(code(r), kInvalidParams);
  EXPECT_NE(r.at("error").at("message").as_string().find("'c'"), std::string::npos);
  r = call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":{"a":2}})");
  EXPECT_EQ(code(r), kInvalidParams) << "missing required named parameter";
}

TEST_F(JsonRpcTest, ParseErrors) {
  for (const char* body : {"", "{", "[1,2", "{\"jsonrpc\":\"2.0\",}", "nul", "\xff\xfe", "{\"a\":1} x"}) {
    auto r = call(body);
    EXPECT_EQ(code(r), kParseError) << body;
    EXPECT_TRUE(r.at("id").is_null());
  }
  // Nesting deeper than the parser allows is a parse error, not a crash.
  std::string deep(100000, '[');
  EXPECT_EQ(code(call(deep)), kParseError);
}

TEST_F(JsonRpcTest, InvalidRequests) {
  // Not an object.
  for (const char* body : {"1", "\"x\"", "null", "true"}) EXPECT_EQ(code(call(body)), kInvalidRequest) << body;
  // Wrong or missing "jsonrpc".
  EXPECT_EQ(code(call(R"({"id":1,"method":"echo"})")), kInvalidRequest);
  EXPECT_EQ(code(call(R"({"jsonrpc":"1.0","id":1,"method":"echo"})")), kInvalidRequest);
  EXPECT_EQ(code(call(R"({"jsonrpc":2.0,"id":1,"method":"echo"})")), kInvalidRequest);
  auto r = call(R"({"jsonrpc":"1.0","id":9,"method":"echo"})");
  EXPECT_EQ(r.at("id"), 9) << "a valid id is echoed even when the request is invalid";
  // Bad id type.
  for (const char* body : {R"({"jsonrpc":"2.0","id":[1],"method":"echo"})", R"({"jsonrpc":"2.0","id":{},"method":"echo"})",
                           R"({"jsonrpc":"2.0","id":true,"method":"echo"})"}) {
    r = call(body);
    EXPECT_EQ(code(r), kInvalidRequest) << body;
    EXPECT_TRUE(r.at("id").is_null());
  }
  // Method not a string, params neither array nor object.
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":5})")), kInvalidRequest);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1})")), kInvalidRequest);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":"x"})")), kInvalidRequest);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":3})")), kInvalidRequest);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":null})")), kInvalidRequest);
  // An invalid request without an id is still answered (it is not a valid notification).
  r = call(R"({"jsonrpc":"2.0","method":7})");
  EXPECT_EQ(code(r), kInvalidRequest);
  EXPECT_EQ(calls, 0);
}

TEST_F(JsonRpcTest, MethodNotFound) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"nope"})");
  EXPECT_EQ(code(r), kMethodNotFound);
  EXPECT_EQ(r.at("id"), 1);
}

TEST_F(JsonRpcTest, NotificationsAreRunButNotAnswered) {
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","method":"echo","params":[1]})").is_null());
  EXPECT_EQ(last_body, "");
  EXPECT_EQ(calls, 1);
  // Failing notifications are not answered either.
  EXPECT_EQ(handle_body(R"({"jsonrpc":"2.0","method":"nope"})", table, ctx), "");
  EXPECT_EQ(handle_body(R"({"jsonrpc":"2.0","method":"boom"})", table, ctx), "");
}

TEST_F(JsonRpcTest, Batches) {
  auto r = call(R"([
    {"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]},
    {"jsonrpc":"2.0","method":"echo","params":["note"]},
    {"jsonrpc":"2.0","id":2,"method":"nope"},
    7,
    {"jsonrpc":"2.0","id":3,"method":"echo","params":["z"]}
  ])");
  ASSERT_TRUE(r.is_array());
  const auto& a = r.as_array();
  ASSERT_EQ(a.size(), 4u) << "the notification gets no entry";
  EXPECT_EQ(a[0].at("result"), 3);
  EXPECT_EQ(code(a[1]), kMethodNotFound);
  EXPECT_EQ(code(a[2]), kInvalidRequest);
  EXPECT_TRUE(a[2].at("id").is_null());
  EXPECT_EQ(a[3].at("result"), "z");
  EXPECT_EQ(calls, 3);
}

TEST_F(JsonRpcTest, EmptyBatchIsOneInvalidRequestObject) {
  auto r = call("[]");
  ASSERT_TRUE(r.is_object()) << "a single error object, not an array";
  EXPECT_EQ(code(r), kInvalidRequest);
  EXPECT_TRUE(r.at("id").is_null());
}

TEST_F(JsonRpcTest, BatchOfInvalidEntriesAnswersEach) {
  auto r = call("[1,2,3]");
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.as_array().size(), 3u);
  for (const auto& e : r.as_array()) EXPECT_EQ(code(e), kInvalidRequest);
}

TEST_F(JsonRpcTest, BatchOfNotificationsIsAnsweredWithNothing) {
  EXPECT_EQ(handle_body(R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"add","params":[1,1]}])",
                        table, ctx),
            "");
  EXPECT_EQ(calls, 2);
}

TEST_F(JsonRpcTest, BatchTooLarge) {
  ctx.max_batch = 3;
  std::string body = "[";
  for (int i = 0; i < 4; ++i) body += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":1,"method":"echo"})";
  body += "]";
  auto r = call(body);
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(code(r), kInvalidRequest);
  EXPECT_NE(r.at("error").at("message").as_string().find("batch too large"), std::string::npos);
  EXPECT_EQ(calls, 0) << "nothing of an oversized batch runs";
  ctx.max_batch = 4;
  EXPECT_TRUE(call(body).is_array());
}

TEST_F(JsonRpcTest, TooManyPositionalParameters) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[1,2,3]})");
  EXPECT_EQ(code(r), kInvalidParams);
  EXPECT_NE(r.at("error").at("message").as_string().find("add a b"), std::string::npos) << "usage in the message";
}

TEST_F(JsonRpcTest, WrongParameterTypes) {
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":["1",2]})")), kInvalidParams);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[true,2]})")), kInvalidParams);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[[1],2]})")), kInvalidParams);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"add","params":[null,2]})")), kInvalidParams)
      << "null means absent, and a is required";
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"name","params":[5]})")), kInvalidParams);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"flag","params":["yes"]})")), kInvalidParams);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","id":1,"method":"flag","params":[2]})")), kInvalidParams);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"flag","params":[1]})").at("result"), true);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","id":1,"method":"flag","params":[false]})").at("result"), false);
}

TEST_F(JsonRpcTest, HugeAndFractionalNumbers) {
  auto height = [&](std::string_view number) {
    return call(std::string(R"({"jsonrpc":"2.0","id":1,"method":"height","params":[)") + std::string(number) + "]}");
  };
  EXPECT_EQ(height("4294967295").at("result"), 4294967295LL);
  EXPECT_EQ(height("5.0").at("result"), 5) << "an integral double is accepted";
  EXPECT_EQ(height("1e3").at("result"), 1000);
  EXPECT_EQ(code(height("4294967296")), kInvalidParameter) << "out of the uint32 range";
  EXPECT_EQ(code(height("-1")), kInvalidParameter);
  EXPECT_EQ(code(height("18446744073709551615")), kInvalidParameter) << "uint64 max";
  EXPECT_EQ(code(height("18446744073709551616")), kInvalidParameter) << "beyond 64 bits: Boost.JSON makes a double";
  EXPECT_EQ(code(height("100000000000000000000000000000000000000000")), kInvalidParameter);
  EXPECT_EQ(code(height("-9223372036854775809")), kInvalidParameter);
  EXPECT_EQ(code(height("1e400")), kInvalidParameter) << "parses as infinity";
  EXPECT_EQ(code(height("1.5")), kInvalidParams) << "fractions are a type error";
  EXPECT_EQ(code(height("0.1")), kInvalidParams);
  EXPECT_EQ(code(height("-0.5")), kInvalidParams);
  // An id beyond a double's range reads as infinity, which the answer could not carry back
  // (found by the json_rpc_request fuzzer: an id of 1e9999999 was echoed as Infinity).
  for (const char* id : {"1e999", "-1e400", "0e9999999"}) {  // the last reads as NaN
    auto bad = call(std::string(R"({"jsonrpc":"2.0","id":)") + id + R"(,"method":"echo"})");
    EXPECT_EQ(code(bad), kInvalidRequest) << id;
    EXPECT_TRUE(bad.at("id").is_null());
  }
  // ids may be any number, and are echoed as parsed.
  auto r = call(R"({"jsonrpc":"2.0","id":1.5,"method":"echo"})");
  EXPECT_EQ(r.at("id"), 1.5);
  r = call(R"({"jsonrpc":"2.0","id":18446744073709551615,"method":"echo"})");
  EXPECT_EQ(r.at("id").as_uint64(), 18446744073709551615ULL);
}

TEST_F(JsonRpcTest, ApplicationErrorsKeepCodeMessageAndData) {
  auto r = call(R"({"jsonrpc":"2.0","id":1,"method":"fail"})");
  EXPECT_EQ(code(r), kVerifyRejected);
  EXPECT_EQ(r.at("error").at("message"), "fee-too-low: fee is below the minimum");
  EXPECT_EQ(r.at("error").at("data").at("reason"), "fee-too-low");
  EXPECT_FALSE(r.as_object().contains("result"));
}

TEST_F(JsonRpcTest, ExceptionsBecomeInternalErrorsPerCall) {
  auto r = call(R"([{"jsonrpc":"2.0","id":1,"method":"boom"},{"jsonrpc":"2.0","id":2,"method":"add","params":[1,1]}])");
  ASSERT_TRUE(r.is_array());
  EXPECT_EQ(code(r.as_array()[0]), kInternalError);
  EXPECT_NE(r.as_array()[0].at("error").at("message").as_string().find("kaput"), std::string::npos);
  EXPECT_EQ(r.as_array()[1].at("result"), 2) << "the next call of the batch still runs";
}

TEST_F(JsonRpcTest, ObserverSeesEveryDispatchedCall) {
  std::vector<std::pair<std::string, int>> seen;
  ctx.observe = [&](std::string_view m, double seconds, int error_code) {
    EXPECT_GE(seconds, 0);
    seen.emplace_back(std::string(m), error_code);
  };
  call(R"([{"jsonrpc":"2.0","id":1,"method":"add","params":[1,1]},{"jsonrpc":"2.0","id":2,"method":"what"},
           {"jsonrpc":"2.0","id":3,"method":"fail"},{"jsonrpc":"2.0","method":"echo"},5])");
  ASSERT_EQ(seen.size(), 4u) << "invalid requests are not dispatched";
  EXPECT_EQ(seen[0], (std::pair<std::string, int>{"add", 0}));
  EXPECT_EQ(seen[1], (std::pair<std::string, int>{"unknown", kMethodNotFound})) << "bounded label values";
  EXPECT_EQ(seen[2], (std::pair<std::string, int>{"fail", kVerifyRejected}));
  EXPECT_EQ(seen[3], (std::pair<std::string, int>{"echo", 0}));
}

TEST(MethodTable, RejectsDuplicatesAndFormatsUsage) {
  MethodTable t;
  t.add({"m", "c", {{"a"}, {"b", false}}, "s", [](const Params&, RequestContext&) { return json::value(); }});
  EXPECT_THROW(t.add({"m", "c", {}, "s", [](const Params&, RequestContext&) { return json::value(); }}),
               std::logic_error);
  ASSERT_NE(t.find("m"), nullptr);
  EXPECT_EQ(t.find("m")->usage(), "m a [b]");
  EXPECT_EQ(t.find("x"), nullptr);
}

}  // namespace
}  // namespace tally::rpc

namespace tally::rpc {
namespace {

// A method with a run handler that records each run's size, beside a plain one that
// records the order in which calls took effect.
struct RunRecorder {
  std::vector<std::size_t> runs;    // size of each run handed to the run handler
  std::vector<std::string> effects;  // "run:<value>" / "plain:<value>" in the order they happened
};

MethodTable run_table(RunRecorder* rec, bool run_throws = false) {
  MethodTable t;
  Method together{"together", "test", {{"value"}}, "Run handler.",
                  [rec](const Params& p, RequestContext&) -> json::value {
                    rec->effects.push_back("single:" + std::string(p.get_string(0, "value")));
                    return "single";
                  }};
  together.run_handler = [rec, run_throws](std::span<const Params> calls, RequestContext&) {
    if (run_throws) throw std::runtime_error("run failed");
    rec->runs.push_back(calls.size());
    std::vector<CallOutcome> out;
    for (const Params& p : calls) {
      try {  // a run handler answers each call, errors included
        const std::string v(p.get_string(0, "value"));
        rec->effects.push_back("run:" + v);
        if (v == "bad") {
          out.push_back(std::unexpected(RpcError(kVerifyRejected, "bad value")));
        } else {
          out.push_back(json::value(v));
        }
      } catch (const RpcError& e) {
        out.push_back(std::unexpected(e));
      }
    }
    return out;
  };
  t.add(std::move(together));
  t.add({"plain", "test", {{"value"}}, "Plain handler.", [rec](const Params& p, RequestContext&) -> json::value {
           rec->effects.push_back("plain:" + std::string(p.get_string(0, "value")));
           return "plain";
         }});
  return t;
}

json::value run_body(const MethodTable& table, std::string_view body) {
  RequestContext ctx;
  const std::string out = handle_body(body, table, ctx);
  return out.empty() ? json::value(nullptr) : json::parse(out);
}

TEST(JsonRpcRunHandler, ConsecutiveCallsGoTogetherAndEffectsKeepTheBatchOrder) {
  RunRecorder rec;
  const MethodTable table = run_table(&rec);
  const json::value r = run_body(table, R"([
    {"jsonrpc":"2.0","id":1,"method":"together","params":["a"]},
    {"jsonrpc":"2.0","id":2,"method":"together","params":["bad"]},
    {"jsonrpc":"2.0","id":3,"method":"together","params":["a","b"]},
    {"jsonrpc":"2.0","id":4,"method":"together","params":["b"]},
    {"jsonrpc":"2.0","id":5,"method":"plain","params":["p"]},
    {"jsonrpc":"2.0","id":6,"method":"together","params":["c"]},
    {"jsonrpc":"2.0","method":"together","params":["d"]},
    "not an object",
    {"jsonrpc":"2.0","id":9,"method":"together","params":["e"]}
  ])");
  ASSERT_TRUE(r.is_array());
  const json::array& a = r.as_array();
  ASSERT_EQ(a.size(), 8u) << "the notification is not answered";
  EXPECT_EQ(a[0].at("result"), "a");
  EXPECT_EQ(a[1].at("error").at("code"), kVerifyRejected);
  EXPECT_EQ(a[2].at("error").at("code"), kInvalidParams) << "a call with too many parameters is answered alone";
  EXPECT_EQ(a[3].at("result"), "b");
  EXPECT_EQ(a[4].at("result"), "plain");
  EXPECT_EQ(a[5].at("result"), "c");
  EXPECT_EQ(a[6].at("error").at("code"), kInvalidRequest);
  EXPECT_EQ(a[7].at("result"), "e");
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i == 6) continue;  // the invalid request's id is null
    EXPECT_EQ(a[i].at("id"), i < 6 ? static_cast<std::int64_t>(i + 1) : 9);
  }
  EXPECT_EQ(rec.runs, (std::vector<std::size_t>{3, 2, 1}));
  EXPECT_EQ(rec.effects, (std::vector<std::string>{"run:a", "run:bad", "run:b", "plain:p", "run:c", "run:d", "run:e"}));
}

TEST(JsonRpcRunHandler, SingleRequestsUseThePlainHandler) {
  RunRecorder rec;
  const MethodTable table = run_table(&rec);
  const json::value r = run_body(table, R"({"jsonrpc":"2.0","id":1,"method":"together","params":["x"]})");
  EXPECT_EQ(r.at("result"), "single");
  EXPECT_TRUE(rec.runs.empty());
}

TEST(JsonRpcRunHandler, AThrowingRunFailsEachOfItsCallsAndNothingElse) {
  RunRecorder rec;
  const MethodTable table = run_table(&rec, /*run_throws=*/true);
  const json::value r = run_body(table, R"([
    {"jsonrpc":"2.0","id":1,"method":"together","params":["a"]},
    {"jsonrpc":"2.0","id":2,"method":"together","params":["b"]},
    {"jsonrpc":"2.0","id":3,"method":"plain","params":["p"]}
  ])");
  const json::array& a = r.as_array();
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].at("error").at("code"), kInternalError);
  EXPECT_EQ(a[1].at("error").at("code"), kInternalError);
  EXPECT_EQ(a[2].at("result"), "plain");
}

// A waiting method's name starts with kWaitingMethodPrefix, which lets the HTTP server tell
// waiting requests by a scan of the body (HttpRouter::is_waiting).
TEST(MethodTableTest, AWaitingMethodMustBeNamedSo) {
  MethodTable t;
  auto noop = [](const Params&, RequestContext&) { return json::value(nullptr); };
  EXPECT_THROW(t.add({"sleepuntil", "test", {}, "", noop, {}, /*waits=*/true}), std::logic_error);
  EXPECT_NO_THROW(t.add({"waitforx", "test", {}, "", noop, {}, /*waits=*/true}));
  EXPECT_NO_THROW(t.add({"sleepuntil", "test", {}, "", noop}));
}

}  // namespace
}  // namespace tally::rpc
