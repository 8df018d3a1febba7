// tallyd's RPC server over the wire: JSON-RPC 2.0 edge cases, authentication, /health,
// /metrics (checked with promtool when installed), and the limits: body size, header size,
// connection cap, many clients, and a slowloris client that must not slow down others.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <thread>

#include "crypto/base64.h"
#include "tests/e2e/process.h"
#include "tests/rpc/http_client.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

// Raw HTTP/1.1 connections, for requests RpcClient would never send.
using rpc::testing::HttpClient;

std::string post_request(const std::string& body, const std::string& authorization) {
  return HttpClient::request("POST", "/", body, authorization);
}

class DaemonHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { suite_.start("tally-http-e2e", {"--rpcuser", "alice", "--rpcpassword", "wonderland", "--rpcauth",
                              "carol:cafe0123$6732f597bfe2cc1528eea91c3ca0561a316791b1ee9d69cebc78910f39a9221c"});
  }
  static void TearDownTestSuite() { suite_.stop(); }
  void SetUp() override { ASSERT_TRUE(suite_.error.empty()) << suite_.error; }

  static std::string cookie_auth() {
    const auto& c = suite_.node->credentials();
    return "Basic " + crypto::base64_encode(c.user + ":" + c.password);
  }
  // POST a raw body with the cookie; the HTTP status and the parsed body (null if empty).
  static std::pair<int, json::value> post(const std::string& body) {
    auto client = suite_.node->client();
    auto r = client.post(body);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r) return {0, nullptr};
    if (r->second.empty()) return {r->first, nullptr};
    boost::system::error_code ec;
    json::value v = json::parse(r->second, ec);
    EXPECT_FALSE(ec) << r->second;
    return {r->first, v};
  }
  static int error_code(const json::value& response) {
    return static_cast<int>(response.at("error").at("code").as_int64());
  }

  static SuiteNode suite_;
};

SuiteNode DaemonHttp::suite_;

TEST_F(DaemonHttp, SingleCallsAndIds) {
  auto [status, r] = post(R"({"jsonrpc":"2.0","id":"abc","method":"getblockcount"})");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(r.at("jsonrpc").as_string(), "2.0");
  EXPECT_EQ(r.at("id").as_string(), "abc");
  EXPECT_GE(r.at("result").as_int64(), 0);
  EXPECT_FALSE(r.as_object().contains("error"));
  // Named parameters, a null id, no params member.
  auto [s2, named] = post(R"({"jsonrpc":"2.0","id":null,"method":"getblockhash","params":{"height":0}})");
  EXPECT_EQ(s2, 200);
  EXPECT_TRUE(named.at("id").is_null());
  EXPECT_EQ(named.at("result").as_string().size(), 64u);
}

TEST_F(DaemonHttp, MalformedRequests) {
  // Parse error: id null, -32700.
  auto [s1, parse] = post(R"({"jsonrpc":"2.0","id":1,"method":)");
  EXPECT_EQ(s1, 200);
  EXPECT_EQ(error_code(parse), -32700);
  EXPECT_TRUE(parse.at("id").is_null());
  // Not an object.
  EXPECT_EQ(error_code(post("42").second), -32600);
  EXPECT_EQ(error_code(post("\"getblockcount\"").second), -32600);
  // Wrong or missing "jsonrpc": -32600 with the id echoed.
  auto [s3, wrong_version] = post(R"({"jsonrpc":"1.0","id":7,"method":"getblockcount"})");
  EXPECT_EQ(error_code(wrong_version), -32600);
  EXPECT_EQ(wrong_version.at("id").as_int64(), 7);
  EXPECT_EQ(error_code(post(R"({"id":8,"method":"getblockcount"})").second), -32600);
  // A method that is not a string, params that are neither array nor object, a bad id.
  EXPECT_EQ(error_code(post(R"({"jsonrpc":"2.0","id":1,"method":5})").second), -32600);
  EXPECT_EQ(error_code(post(R"({"jsonrpc":"2.0","id":1,"method":"getblockcount","params":3})").second), -32600);
  EXPECT_EQ(error_code(post(R"({"jsonrpc":"2.0","id":{"a":1},"method":"getblockcount"})").second), -32600);
  // Unknown method.
  EXPECT_EQ(error_code(post(R"({"jsonrpc":"2.0","id":1,"method":"nope"})").second), -32601);
  // Nesting deeper than the parser allows is a parse error, not a crash.
  EXPECT_EQ(error_code(post(std::string(100, '[') + std::string(100, ']')).second), -32700);
  // The server still answers.
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"uptime"})").second.at("id").as_int64(), 1);
}

TEST_F(DaemonHttp, Batches) {
  // Empty batch: one error object, not an array.
  auto [s1, empty] = post("[]");
  EXPECT_EQ(s1, 200);
  ASSERT_TRUE(empty.is_object());
  EXPECT_EQ(error_code(empty), -32600);
  // Only notifications: nothing to answer, HTTP 204.
  auto [s2, notes] = post(R"([{"jsonrpc":"2.0","method":"getblockcount"},{"jsonrpc":"2.0","method":"uptime"}])");
  EXPECT_EQ(s2, 204);
  EXPECT_TRUE(notes.is_null());
  // A single notification too.
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","method":"getblockcount"})").first, 204);
  // Mixed: answers for the calls and the invalid entries, none for the notification.
  auto [s3, mixed] = post(
      R"([{"jsonrpc":"2.0","id":1,"method":"getblockcount"},{"jsonrpc":"2.0","method":"uptime"},1,)"
      R"({"jsonrpc":"2.0","id":2,"method":"nope"}])");
  EXPECT_EQ(s3, 200);
  ASSERT_TRUE(mixed.is_array());
  ASSERT_EQ(mixed.as_array().size(), 3u);
  EXPECT_EQ(mixed.at(0).at("id").as_int64(), 1);
  EXPECT_GE(mixed.at(0).at("result").as_int64(), 0);
  EXPECT_EQ(error_code(mixed.at(1)), -32600);
  EXPECT_EQ(error_code(mixed.at(2)), -32601);
  // A batch over the limit (1000) is refused as a whole.
  std::string big = "[";
  for (int i = 0; i < 1001; ++i) big += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":1,"method":"uptime"})";
  big += "]";
  auto [s4, too_big] = post(big);
  EXPECT_EQ(s4, 200);
  EXPECT_EQ(error_code(too_big), -32600);
}

TEST_F(DaemonHttp, HugeNumbersAndWrongParameterTypes) {
  auto code = [](const std::string& params) {
    return error_code(post(R"({"jsonrpc":"2.0","id":1,"method":"getblockhash","params":)" + params + "}").second);
  };
  EXPECT_EQ(code("[1e400]"), -8);
  EXPECT_EQ(code("[18446744073709551616]"), -8);  // 2^64
  EXPECT_EQ(code("[18446744073709551615]"), -8);  // uint64 max
  EXPECT_EQ(code("[-9223372036854775809]"), -8);
  EXPECT_EQ(code("[4294967296]"), -8);
  EXPECT_EQ(code("[99999999999999999999999999999999999999999]"), -8);
  EXPECT_EQ(code("[1.5]"), -32602);
  EXPECT_EQ(code("[\"0\"]"), -32602);
  EXPECT_EQ(code("[true]"), -32602);
  EXPECT_EQ(code("[[0]]"), -32602);
  EXPECT_EQ(code("[{}]"), -32602);
  EXPECT_EQ(code("[0, 1]"), -32602);            // too many
  EXPECT_EQ(code("{\"heigth\":0}"), -32602);    // unknown name
  EXPECT_EQ(code("[]"), -32602);                // missing
  // An integral double is accepted where exact: 0.0 and 0e0 mean 0.
  auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"getblockhash","params":[0e0]})").second;
  EXPECT_EQ(r.at("result").as_string().size(), 64u) << json::serialize(r);
  // A huge id is echoed back whatever it is, as a number.
  auto huge_id = post(R"({"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"uptime"})").second;
  EXPECT_TRUE(huge_id.at("id").is_number()) << json::serialize(huge_id);
}

TEST_F(DaemonHttp, Authentication) {
  const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"getblockcount"})";
  {
    HttpClient none(suite_.node->rpc_port());
    ASSERT_TRUE(none.send(post_request(body, "")));
    auto r = none.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_TRUE(r->header("www-authenticate").starts_with("Basic")) << r->header("www-authenticate");
  }
  {
    HttpClient garbage(suite_.node->rpc_port());
    ASSERT_TRUE(garbage.send(post_request(body, "Bearer xyz")));
    auto r = garbage.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
  }
  rpc::RpcClient wrong("127.0.0.1", suite_.node->rpc_port(), rpc::Credentials{"alice", "wrong"});
  auto w = wrong.call("getblockcount", json::array());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().kind, rpc::RpcCallError::Kind::kHttp);
  EXPECT_EQ(w.error().code, 401);
  rpc::RpcClient wrong_user("127.0.0.1", suite_.node->rpc_port(), rpc::Credentials{"bob", "wonderland"});
  EXPECT_FALSE(wrong_user.call("getblockcount", json::array()));
  rpc::RpcClient stale_cookie("127.0.0.1", suite_.node->rpc_port(), rpc::Credentials{"__cookie__", std::string(64, '0')});
  EXPECT_FALSE(stale_cookie.call("getblockcount", json::array()));

  // The cookie (mode 0600) and the configured user both work.
  EXPECT_EQ(fs::status(suite_.node->datadir() / ".cookie").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto by_cookie = suite_.node->client().call("getblockcount", json::array());
  EXPECT_TRUE(by_cookie);
  rpc::RpcClient by_user("127.0.0.1", suite_.node->rpc_port(), rpc::Credentials{"alice", "wonderland"});
  EXPECT_TRUE(by_user.call("getblockcount", json::array()));
  // --rpcauth: the node holds only the salted HMAC of carol's password.
  rpc::RpcClient by_rpcauth("127.0.0.1", suite_.node->rpc_port(), rpc::Credentials{"carol", "hunter2"});
  EXPECT_TRUE(by_rpcauth.call("getblockcount", json::array()));
  rpc::RpcClient rpcauth_wrong("127.0.0.1", suite_.node->rpc_port(), rpc::Credentials{"carol", "hunter"});
  EXPECT_FALSE(rpcauth_wrong.call("getblockcount", json::array()));

  // /metrics needs credentials; /health does not; unknown paths need them too.
  HttpClient metrics(suite_.node->rpc_port());
  ASSERT_TRUE(metrics.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(metrics.read()->status, 401);
  HttpClient other(suite_.node->rpc_port());
  ASSERT_TRUE(other.send("GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(other.read()->status, 401);
}

TEST_F(DaemonHttp, EventStreamCarriesTheNodesEventsInTheEventLogSchema) {
  HttpClient refused(suite_.node->rpc_port());
  ASSERT_TRUE(refused.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto no = refused.read();
  ASSERT_TRUE(no);
  EXPECT_EQ(no->status, 401);

  HttpClient c(suite_.node->rpc_port());
  ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: " + cookie_auth() + "\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(c.read_until(": tally events\n\n"));
  auto mined = suite_.node->client().call("generate", json::array{1});
  ASSERT_TRUE(mined);
  const std::string hash(mined->as_array().at(0).as_string());
  ASSERT_TRUE(c.read_until("event: tip_changed\n")) << c.buffered();
  ASSERT_TRUE(c.read_until(hash + "\",\"height\"")) << c.buffered();
  // Each data line is an event-log line (events/event.h), as tally-study reads them.
  const std::string& got = c.buffered();
  const auto at = got.find("event: block_connected\ndata: ");
  ASSERT_NE(at, std::string::npos) << got;
  const auto start = at + std::string("event: block_connected\ndata: ").size();
  const json::value line = json::parse(got.substr(start, got.find('\n', start) - start));
  EXPECT_EQ(line.at("event").as_string(), "block_connected");
  EXPECT_EQ(line.at("hash").as_string(), hash);
}

TEST_F(DaemonHttp, HealthWithoutAuthentication) {
  HttpClient c(suite_.node->rpc_port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const json::value v = json::parse(r->body);
  EXPECT_EQ(v.at("status").as_string(), "ok");
  EXPECT_EQ(v.at("chain").as_string(), "tally-e2e");
  // Keep-alive: a second request on the same connection; a wrong method is 405.
  ASSERT_TRUE(c.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"));
  auto r2 = c.read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 405);
}

TEST_F(DaemonHttp, MetricsPassPromtool) {
  // Some traffic first, so counters and histograms have samples.
  auto client = suite_.node->client();
  ASSERT_TRUE(client.call("generate", json::array{1}));
  ASSERT_TRUE(client.call("getblockcount", json::array()));
  (void)client.call("nosuchmethod", json::array());
  auto r = client.get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->first, 200);
  const std::string& text = r->second;
  EXPECT_NE(text.find("tally_chain_height"), std::string::npos);
  EXPECT_NE(text.find("tally_rpc_requests_total"), std::string::npos);
  EXPECT_NE(text.find("# TYPE"), std::string::npos);

  const fs::path promtool = "/usr/bin/promtool";
  if (!fs::exists(promtool)) GTEST_SKIP() << "promtool not installed";
  const fs::path file = suite_.dir->path() / "metrics.txt";
  write_text(file, text);
  SpawnOptions o;
  o.stdin_from = file;
  const RunResult check = run({promtool.string(), "check", "metrics"}, 30s, o);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n--- metrics ---\n" << text;
  EXPECT_TRUE(check.out.empty() && check.err.empty()) << check.out << check.err;
}

TEST_F(DaemonHttp, OversizedBodyAndHeaders) {
  HttpClient big(suite_.node->rpc_port());
  // Refused from the Content-Length alone, before any body byte is sent.
  ASSERT_TRUE(big.send("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + cookie_auth() +
                       "\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"));
  auto r = big.read(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);

  HttpClient header(suite_.node->rpc_port());
  ASSERT_TRUE(header.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(20000, 'a') + "\r\n\r\n"));
  auto h = header.read(5s);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 431);

  HttpClient garbage(suite_.node->rpc_port());
  ASSERT_TRUE(garbage.send("HELLO\r\n\r\n"));
  auto g = garbage.read(5s);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 400);
}

TEST_F(DaemonHttp, ManyConcurrentClientsAndTheConnectionCap) {
  // 100 connections open at once, each answered.
  const std::string body = post_request(R"({"jsonrpc":"2.0","id":1,"method":"getblockcount"})", cookie_auth());
  std::vector<std::unique_ptr<HttpClient>> conns;
  for (int i = 0; i < 100; ++i) {
    conns.push_back(std::make_unique<HttpClient>(suite_.node->rpc_port()));
    ASSERT_TRUE(conns.back()->connected());
    ASSERT_TRUE(conns.back()->send(body));
  }
  int answered = 0;
  for (auto& c : conns) {
    auto r = c->read(10s);
    if (r && r->status == 200) ++answered;
  }
  EXPECT_EQ(answered, 100);
  // Beyond the cap (128 open connections) a connection gets 503 and is closed.
  for (int i = 0; i < 40; ++i) conns.push_back(std::make_unique<HttpClient>(suite_.node->rpc_port()));
  int refused = 0;
  for (std::size_t i = 100; i < conns.size(); ++i) {
    ASSERT_TRUE(conns[i]->connected());
    conns[i]->send(body);
    auto r = conns[i]->read(5s);
    if (r && r->status == 503) ++refused;
  }
  EXPECT_GE(refused, 1);
  EXPECT_LE(refused, 40);
  conns.clear();
  // Once they are gone the server answers again.
  EXPECT_TRUE(wait_until([&] { return suite_.node->client().call("getblockcount", json::array()).has_value(); }, 5s));
  auto again = suite_.node->client().call("getblockcount", json::array());
  EXPECT_TRUE(again);
}

TEST_F(DaemonHttp, SlowClientDoesNotDelayOthers) {
  // A slowloris client trickles a request's headers, one byte every 20 ms.
  std::atomic<bool> stop{false};
  std::atomic<int> trickled{0};
  std::atomic<bool> slow_broken{false};
  std::thread slow([&] {
    HttpClient s(suite_.node->rpc_port());
    const std::string request = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(400, 's');
    for (char ch : request) {
      if (stop) break;
      if (!s.send(std::string_view(&ch, 1))) {
        slow_broken = true;
        break;
      }
      ++trickled;
      std::this_thread::sleep_for(20ms);
    }
  });
  // Meanwhile other clients are answered promptly.
  auto client = suite_.node->client();
  std::this_thread::sleep_for(100ms);
  std::chrono::milliseconds slowest{0};
  for (int i = 0; i < 30; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto r = client.call("getblockcount", json::array());
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    slowest = std::max(slowest, took);
    EXPECT_TRUE(r);
    HttpClient health(suite_.node->rpc_port());
    health.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    auto h = health.read(2s);
    EXPECT_TRUE(h && h->status == 200);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_LT(slowest, 1000ms);
  stop = true;
  slow.join();
  // The slow client was still trickling (within the server's 10 s request deadline).
  EXPECT_GT(trickled.load(), 20);
  EXPECT_FALSE(slow_broken.load());
}

}  // namespace
}  // namespace tally::e2e
