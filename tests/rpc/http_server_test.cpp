// The RPC server over real sockets on 127.0.0.1 (port 0), backed by TestNode (a real chain,
// mempool and NetCore): authentication, routes, keep-alive and pipelining, limits,
// slowloris and idle timeouts, the connection cap, /health, /metrics, shutdown.
#include "rpc/http_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <thread>

#include "crypto/hex.h"
#include "http_client.h"
#include "rpc/auth.h"
#include "rpc/http_router.h"
#include "rpc/methods.h"
#include "json_test_util.h"
#include "support/temp_dir.h"
#include "test_node.h"

namespace tally::rpc {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::HttpClient;
using testing::HttpReply;
using testing::TestNode;

constexpr const char* kCount = R"({"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[]})";
constexpr const char* kSleep = R"({"jsonrpc":"2.0","id":1,"method":"sleep"})";

// The node's methods plus "sleep", which blocks until `release` is set. Destroying this
// object releases the call, however the test ends, or stopping the server would wait for it
// forever.
struct SleepMethod {
  std::atomic<bool> release{false};
  std::atomic<bool> entered{false};  // set once a "sleep" call has started
  ~SleepMethod() { release = true; }

  MethodTable table() {
    MethodTable t = node_methods();
    t.add({"sleep", "test", {}, "Blocks until released.", [this](const Params&, RequestContext&) {
             entered = true;
             while (!release) std::this_thread::sleep_for(5ms);
             return json::value(nullptr);
           }});
    return t;
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { start(RpcServerConfig{}); }
  void TearDown() override {
    if (server) server->stop();
  }

  // (Re)starts the server with `config` (cookie in the datadir, user alice).
  void start(RpcServerConfig config, std::optional<MethodTable> table = std::nullopt) {
    if (server) server->stop();
    config.port = 0;
    config.cookie_dir = datadir.path();
    config.users = {{"alice", "wonderland"}};
    server = table ? std::make_unique<RpcServer>(node, config, std::move(*table))
                   : std::make_unique<RpcServer>(node, config);
    auto p = server->start();
    ASSERT_TRUE(p) << p.error();
    port = *p;
    ASSERT_NE(port, 0);
    ASSERT_TRUE(server->cookie());
    cookie_auth = HttpClient::basic("__cookie__", server->cookie()->password);
  }

  std::optional<HttpReply> post(const std::string& body, const std::string& auth) {
    HttpClient c(port);
    return c.roundtrip("POST", "/", body, auth);
  }

  TestNode node;
  support::TempDir datadir{"tally-rpc-http"};
  std::unique_ptr<RpcServer> server;
  std::uint16_t port = 0;
  std::string cookie_auth;
  const std::string user_auth = HttpClient::basic("alice", "wonderland");
};

TEST_F(HttpServerTest, HealthNeedsNoAuth) {
  HttpClient c(port);
  auto r = c.roundtrip("GET", "/health", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  auto body = json::parse(r->body);
  EXPECT_EQ(body.at("status"), "ok");
  EXPECT_EQ(body.at("height"), 0);
  EXPECT_EQ(body.at("chain"), "tally-test");
  r = c.roundtrip("POST", "/health", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST_F(HttpServerTest, EventStreamNeedsCredentialsAndGet) {
  HttpClient anonymous(port);
  auto r = anonymous.roundtrip("GET", "/events", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  HttpClient post_it(port);
  r = post_it.roundtrip("POST", "/events", "{}", cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST_F(HttpServerTest, EventStreamDeliversEventsInOrder) {
  HttpClient c(port);
  ASSERT_TRUE(c.send(HttpClient::request("GET", "/events", "", user_auth)));
  auto head = c.read();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-type"), "text/event-stream");
  ASSERT_TRUE(c.read_until(": tally events\n\n"));
  // The subscription exists once the stream's first bytes were written.
  ASSERT_TRUE(node.events.has_subscribers());
  node.events.publish("tip_changed", R"({"height":1})");
  node.events.publish("tx_accepted", R"({"txid":"ab"})");
  ASSERT_TRUE(c.read_until("\"txid\":\"ab\"}\n\n")) << c.buffered();
  const std::string& got = c.buffered();
  const auto first = got.find("event: tip_changed\ndata: {\"height\":1}\n\n");
  const auto second = got.find("event: tx_accepted\ndata: {\"txid\":\"ab\"}\n\n");
  ASSERT_NE(first, std::string::npos) << got;
  EXPECT_LT(first, second);
}

TEST_F(HttpServerTest, AClientThatFallsBehindIsDroppedAndTheNodeGoesOn) {
  HttpClient slow(port);
  int small = 4096;
  ::setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(slow.send(HttpClient::request("GET", "/events", "", cookie_auth)));
  ASSERT_TRUE(slow.read());
  ASSERT_TRUE(slow.read_until(": tally events\n\n"));
  // It reads nothing more. Publishing never waits for it: once the socket buffers and its
  // queue are full, it is dropped and its connection reset (a graceful close would wait for
  // this client to drain the server's send buffer through its 4 KiB window, which took over
  // 20 s under ASan in CI).
  const std::string payload = "{\"pad\":\"" + std::string(8000, 'x') + "\"}";
  for (int i = 0; i < 4000 && node.events.dropped() == 0; ++i) {
    node.events.publish("block_connected", payload);
    if (i % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(node.events.dropped(), 1u);
  EXPECT_TRUE(slow.wait_closed(std::chrono::seconds(20)));
  auto health = HttpClient(port).roundtrip("GET", "/health", "");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpServerTest, AuthenticationOnEveryOtherPath) {
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/"}, {"GET", "/metrics"}, {"GET", "/nope"}, {"GET", "/"}}) {
    HttpClient c(port);
    auto r = c.roundtrip(method, target, method == "POST" ? kCount : "");
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 401) << method << " " << target;
    EXPECT_EQ(r->header("www-authenticate"), "Basic realm=\"jsonrpc\"");
  }
  auto r = post(kCount, HttpClient::basic("alice", "wrong"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = post(kCount, HttpClient::basic("__cookie__", std::string(64, '0')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = post(kCount, "Bearer abc");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);

  for (const std::string& auth : {cookie_auth, user_auth}) {
    r = post(kCount, auth);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("content-type"), "application/json");
    EXPECT_EQ(json::parse(r->body).at("result"), 0);
  }
  HttpClient c(port);
  r = c.roundtrip("GET", "/nope", "", user_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.roundtrip("GET", "/", "", user_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "POST");
}

TEST_F(HttpServerTest, CookieFileIsPrivateAndRemovedOnStop) {
  const auto file = datadir.path() / ".cookie";
  struct stat st{};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto c = read_cookie(file);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "__cookie__");
  EXPECT_EQ(c->password, server->cookie()->password);
  server->stop();
  EXPECT_FALSE(std::filesystem::exists(file));
  server->stop();  // idempotent
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  HttpClient c(port);
  for (int i = 0; i < 5; ++i) {
    auto r = c.roundtrip("POST", "/", kCount, cookie_auth);
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->header("connection"), "close");
  }
  auto r = c.roundtrip("GET", "/health", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  HttpClient c(port);
  std::string all;
  for (int id = 1; id <= 6; ++id) {
    // A mix of quick (/health) and worker-pool requests: the order must still hold.
    if (id == 3) all += HttpClient::request("GET", "/health", "");
    else all += HttpClient::request("POST", "/", R"({"jsonrpc":"2.0","id":)" + std::to_string(id) +
                                                     R"(,"method":"uptime"})", cookie_auth);
  }
  ASSERT_TRUE(c.send(all));
  for (int id = 1; id <= 6; ++id) {
    auto r = c.read();
    ASSERT_TRUE(r) << id;
    ASSERT_EQ(r->status, 200);
    auto body = json::parse(r->body);
    if (id == 3) EXPECT_EQ(body.at("status"), "ok");
    else EXPECT_EQ(body.at("id"), id);
  }
}

TEST_F(HttpServerTest, NotificationsAndBatches) {
  auto r = post(R"({"jsonrpc":"2.0","method":"getblockcount"})", cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->body, "");
  r = post(R"([{"jsonrpc":"2.0","method":"uptime"},{"jsonrpc":"2.0","method":"uptime"}])", cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  r = post(R"([{"jsonrpc":"2.0","id":1,"method":"uptime"},{"jsonrpc":"2.0","id":2,"method":"getblockcount"}])",
           cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto body = json::parse(r->body);
  ASSERT_EQ(body.as_array().size(), 2u);
  EXPECT_EQ(body.as_array()[0].at("result"), 42);
  r = post("{not json", cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body).at("error").at("code"), kParseError);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  RpcServerConfig config;
  config.max_body_bytes = 64 * 1024;
  start(config);
  HttpClient c(port);
  const std::string big(100 * 1024, ' ');
  ASSERT_TRUE(c.send(HttpClient::request("POST", "/", big, cookie_auth)));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(3s));
  // Just under the limit is parsed (and is a JSON-RPC parse error, not an HTTP error).
  HttpClient ok(port);
  auto r2 = ok.roundtrip("POST", "/", std::string(60 * 1024, ' ') + "{", cookie_auth);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
}

TEST_F(HttpServerTest, DefaultBodyLimitIsFourMiB) {
  HttpClient c(port);
  // Only the header: the Content-Length alone is refused, before any body is sent.
  ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + cookie_auth +
                     "\r\nContent-Length: " + std::to_string(4 * 1024 * 1024 + 1) + "\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(HttpServerTest, OversizedHeaderIs431AndGarbageIs400) {
  HttpClient c(port);
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.wait_closed(3s));

  HttpClient g(port);
  ASSERT_TRUE(g.send("THIS IS NOT HTTP\r\n\r\n"));
  r = g.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(HttpServerTest, ExpectContinueGetsA100First) {
  HttpClient c(port);
  const std::string body = kCount;
  ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: " + cookie_auth + "\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nExpect: 100-continue\r\n\r\n"));
  auto cont = c.read(2s);
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send(body));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, TooManyConnectionsGet503) {
  RpcServerConfig config;
  config.max_connections = 3;
  start(config);
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<HttpClient>(port));
    auto r = clients.back()->roundtrip("POST", "/", kCount, cookie_auth);  // an authenticated session now
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  HttpClient extra(port);
  ASSERT_TRUE(extra.connected());
  auto r = extra.read(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(extra.wait_closed(3s));
  // The open ones still work; once one closes there is room again.
  r = clients[0]->roundtrip("POST", "/", kCount, cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  clients[1]->close();
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    HttpClient again(port);
    auto a = again.roundtrip("GET", "/health", "");
    served = a && a->status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

// The connection-exhaustion attack once measured against tallyd: hundreds of idle TCP
// connections made every honest call answer "too many connections". Now idle connections
// that never authenticated are capped apart, the oldest is closed for each newcomer, and
// they time out soon; the authenticated client is served at once.
TEST_F(HttpServerTest, IdleUnauthenticatedConnectionsNeverLockOutAnAuthenticatedClient) {
  RpcServerConfig config;
  config.max_connections = 4;
  config.max_unauthenticated = 8;  // (100 idle connections: 12 times as many)
  config.unauthenticated_idle_timeout = 1s;
  start(config);
  std::vector<std::unique_ptr<HttpClient>> idle;
  for (int i = 0; i < 100; ++i) {
    idle.push_back(std::make_unique<HttpClient>(port));
    ASSERT_TRUE(idle.back()->connected());
  }
  for (int i = 0; i < 3; ++i) {  // repeatedly, while the idle ones are still open
    auto r = post(kCount, cookie_auth);
    ASSERT_TRUE(r) << "attempt " << i;
    EXPECT_EQ(r->status, 200);
  }
  // A client that fails to authenticate is still unauthenticated: it is capped the same way.
  auto bad = post(kCount, HttpClient::basic("alice", "wrong"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  // The newest idle connection, never evicted, is closed by its own timeout.
  EXPECT_TRUE(idle.back()->wait_closed(5s));
}

TEST_F(HttpServerTest, SlowlorisIsCutOffWhileOthersAreServed) {
  RpcServerConfig config;
  config.request_timeout = 1s;
  start(config);
  HttpClient slow(port);
  std::atomic<bool> slow_closed{false};
  std::atomic<bool> stop_trickle{false};
  std::thread trickle([&] {
    const std::string header = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + cookie_auth +
                               "\r\nX-Padding: " + std::string(100, 'p') + "\r\n\r\n";
    for (char ch : header) {
      if (stop_trickle || !slow.send(std::string(1, ch))) {
        slow_closed = true;
        return;
      }
      std::this_thread::sleep_for(50ms);  // the whole header would take ~9 s
    }
  });
  // Meanwhile another client is answered promptly, again and again.
  HttpClient fast(port);
  const auto start_time = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = fast.roundtrip("POST", "/", kCount, cookie_auth);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
    std::this_thread::sleep_for(50ms);
  }
  // The trickling client is disconnected once its request deadline passes.
  EXPECT_TRUE(slow.wait_closed(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start_time, 6s);
  // The trickle thread stops before the socket is closed: closing it under the thread's
  // send was a data race (ThreadSanitizer, scripts/tsan.sh).
  stop_trickle = true;
  trickle.join();
  slow.close();
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionsAreClosed) {
  RpcServerConfig config;
  config.idle_timeout = 500ms;
  start(config);
  HttpClient c(port);
  auto r = c.roundtrip("GET", "/health", "");
  ASSERT_TRUE(r);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.wait_closed(3s));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 400ms);
}

TEST_F(HttpServerTest, LongCallsDoNotBlockHealthOrOtherConnections) {
  SleepMethod sleep;
  RpcServerConfig config;
  config.worker_threads = 1;
  start(config, sleep.table());
  HttpClient sleeper(port);
  ASSERT_TRUE(sleeper.send(HttpClient::request("POST", "/", kSleep, cookie_auth)));
  std::this_thread::sleep_for(100ms);
  // The only worker is busy: /health and authentication failures are still answered at once.
  HttpClient h(port);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = h.roundtrip("GET", "/health", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = h.roundtrip("POST", "/", kCount, "Basic eDp5");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  sleep.release = true;
  r = sleeper.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// A method that waits until released, flagged as waiting (Method::waits). The destructor
// releases it, so a failed assertion never leaves the server's stop waiting for it.
struct WaitMethod {
  std::atomic<int> waiting{0};
  std::atomic<bool> release{false};
  ~WaitMethod() { release = true; }

  void add_to(MethodTable& t) {
    t.add({"waitforrelease", "test", {}, "Waits until released.",
           [this](const Params&, RequestContext&) {
             ++waiting;
             while (!release) std::this_thread::sleep_for(5ms);
             --waiting;
             return json::value(nullptr);
           },
           {}, /*waits=*/true});
  }
};

// A method that waits runs on the wait pool: with one worker and one waiter, a wait in
// progress leaves the worker to other calls, and a batch naming a waiting method through a
// JSON escape queues behind the first wait on the one wait thread.
TEST_F(HttpServerTest, WaitingCallsRunApartFromTheWorkers) {
  WaitMethod wait;  // declared before the server use below: released before the fixture stops it
  MethodTable table = node_methods();
  wait.add_to(table);
  RpcServerConfig config;
  config.worker_threads = 1;
  config.wait_threads = 1;
  start(config, std::move(table));

  constexpr const char* kWait = R"({"jsonrpc":"2.0","id":1,"method":"waitforrelease"})";
  constexpr const char* kEscapedWaitInBatch =
      R"([{"jsonrpc":"2.0","id":2,"method":"getblockcount"},{"jsonrpc":"2.0","id":3,"method":"\u0077aitforrelease"}])";
  HttpClient waiter(port);
  ASSERT_TRUE(waiter.send(HttpClient::request("POST", "/", kWait, cookie_auth)));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (wait.waiting.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(wait.waiting.load(), 1);
  HttpClient second(port);
  ASSERT_TRUE(second.send(HttpClient::request("POST", "/", kEscapedWaitInBatch, cookie_auth)));

  // The worker is free: a call that is not quick (it goes to the workers) is answered.
  constexpr const char* kHelp = R"({"jsonrpc":"2.0","id":4,"method":"help","params":[]})";
  HttpClient other(port);
  auto r = other.roundtrip("POST", "/", kHelp, cookie_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("waitforrelease"), std::string::npos) << r->body;
  // The batch waits behind the first wait, on the one wait thread.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(wait.waiting.load(), 1);

  wait.release = true;
  r = waiter.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = second.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"id\":3"), std::string::npos) << r->body;
}

// Which requests the router sends to the wait pool: never a wait to the workers, and no
// parse for bodies that cannot name a waiting method.
TEST(HttpRouterWaiting, TellsWaitingRequestsApart) {
  TestNode node;
  WaitMethod wait;
  MethodTable table = node_methods();
  wait.add_to(table);
  Authenticator auth;
  HttpRouter router(node, table, auth, 100);
  auto waits = [&](std::string body, std::string method = "POST", std::string target = "/") {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    return router.is_waiting(r);
  };
  EXPECT_TRUE(waits(R"({"jsonrpc":"2.0","id":1,"method":"waitforrelease"})"));
  EXPECT_TRUE(waits(R"({"jsonrpc":"2.0","id":1,"method":"waitfornewblock","params":[10]})"));
  EXPECT_TRUE(waits(R"({"jsonrpc":"2.0","id":1,"method":"\u0077aitforrelease"})"));
  EXPECT_TRUE(waits(R"([1,"waitforrelease",{"method":5},{"method":"waitforrelease"}])"));
  EXPECT_FALSE(waits(R"([1,"waitforrelease",{"method":5},{"method":"getblockcount"}])"));
  EXPECT_FALSE(waits(R"({"jsonrpc":"2.0","id":1,"method":"getblockcount"})"));
  EXPECT_FALSE(waits(R"({"jsonrpc":"2.0","id":1,"method":"decoderawtransaction","params":["waitforrelease"]})"));
  EXPECT_FALSE(waits(R"({"method":"waitforrelease"})", "GET"));
  EXPECT_FALSE(waits(R"({"method":"waitforrelease"})", "POST", "/metrics"));
  // Nested deeper than the JSON-RPC dispatcher allows: it will answer a parse error, so the
  // request may go either way; just deeper than Boost.JSON's default (32): still told apart.
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  EXPECT_TRUE(waits(R"({"jsonrpc":"2.0","id":1,"method":"waitforrelease","pad":)" + deep + "}"));
  // Unparsable, or too large to parse on an I/O thread: the wait pool, to be safe.
  EXPECT_TRUE(waits(R"({"method":"waitforrelease")"));
  EXPECT_TRUE(waits(R"({"method":"getblockcount","params":[")" + std::string(5000, 'a') + R"("],"x":"waitfor"})"));
  EXPECT_FALSE(waits(R"({"method":"getblockcount","params":[")" + std::string(5000, 'a') + R"("]})"));
}

TEST_F(HttpServerTest, StopWaitsForARunningCallThenCloses) {
  SleepMethod sleep;
  start(RpcServerConfig{}, sleep.table());
  HttpClient sleeper(port);
  ASSERT_TRUE(sleeper.send(HttpClient::request("POST", "/", kSleep, cookie_auth)));
  while (!sleep.entered) std::this_thread::sleep_for(5ms);
  std::thread releaser([&] {
    std::this_thread::sleep_for(200ms);
    sleep.release = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  server->stop();  // the call is on the worker pool: the session has no pending I/O meanwhile
  const auto took = std::chrono::steady_clock::now() - t0;
  releaser.join();
  EXPECT_GE(took, 150ms) << "stop() waited for the running call";
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(sleeper.wait_closed(1s));
  EXPECT_FALSE(std::filesystem::exists(datadir.path() / ".cookie"));
}

TEST_F(HttpServerTest, ACallThatAsksForStopStillGetsItsReply) {
  // As the node's `stop`: the handler asks another thread to stop the server and returns.
  // Here the stop begins while the call is still running, which once closed the
  // connection before the reply was written.
  MethodTable table = node_methods();
  std::atomic<bool> stop_asked{false};
  table.add({"askstop", "test", {}, "Asks for a stop, then answers.", [&](const Params&, RequestContext&) {
               stop_asked = true;
               std::this_thread::sleep_for(100ms);
               return json::value("stopping");
             }});
  start(RpcServerConfig{}, std::move(table));
  HttpClient client(port);
  ASSERT_TRUE(client.send(HttpClient::request("POST", "/", R"({"jsonrpc":"2.0","id":1,"method":"askstop"})", cookie_auth)));
  while (!stop_asked) std::this_thread::sleep_for(1ms);
  std::thread stopper([&] { server->stop(); });
  auto r = client.read(5s);
  stopper.join();
  ASSERT_TRUE(r) << "the reply was lost";
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"stopping\""), std::string::npos) << r->body;
  EXPECT_TRUE(client.wait_closed(1s));
}

TEST_F(HttpServerTest, StopFromAHandlerIsRefusedNotADeadlock) {
  MethodTable table = node_methods();
  std::unique_ptr<RpcServer>* srv = &server;
  table.add({"selfstop", "test", {}, "Calls RpcServer::stop() from a handler.",
             [srv](const Params&, RequestContext&) {
               (*srv)->stop();
               return json::value(nullptr);
             }});
  start(RpcServerConfig{}, std::move(table));
  auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"selfstop"})", cookie_auth);
  ASSERT_TRUE(r);
  auto body = json::parse(r->body);
  EXPECT_EQ(body.at("error").at("code"), kInternalError);
  EXPECT_NE(body.at("error").at("message").as_string().find("own threads"), std::string::npos);
  r = post(kCount, cookie_auth);
  ASSERT_TRUE(r) << "still serving";
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, MetricsEndpoint) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(post(kCount, cookie_auth));
  ASSERT_TRUE(post(R"({"jsonrpc":"2.0","id":1,"method":"nosuchmethod"})", cookie_auth));
  HttpClient c(port);
  auto r = c.roundtrip("GET", "/metrics", "", user_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = r->body;
  EXPECT_NE(m.find("# TYPE tally_rpc_request_duration_seconds histogram"), std::string::npos) << m;
  EXPECT_NE(m.find("tally_rpc_request_duration_seconds_count{method=\"getblockcount\"} 3"), std::string::npos) << m;
  EXPECT_NE(m.find("tally_rpc_request_duration_seconds_bucket{method=\"getblockcount\",le=\"+Inf\"} 3"),
            std::string::npos);
  EXPECT_NE(m.find("tally_rpc_requests_total{method=\"getblockcount\",result=\"ok\"} 3"), std::string::npos);
  EXPECT_NE(m.find("tally_rpc_requests_total{method=\"unknown\",result=\"error\"} 1"), std::string::npos);
  EXPECT_NE(m.find("tally_rpc_http_responses_total{path=\"/\",code=\"200\"} 4"), std::string::npos) << m;
  EXPECT_NE(m.find("tally_chain_height 0"), std::string::npos);
  EXPECT_NE(m.find("tally_peers{direction=\"inbound\"} 0"), std::string::npos);
  EXPECT_NE(m.find("tally_rpc_connections "), std::string::npos);
}

TEST_F(HttpServerTest, StopClosesOpenConnectionsPromptly) {
  HttpClient idle(port);
  auto r = idle.roundtrip("GET", "/health", "");
  ASSERT_TRUE(r);
  HttpClient half(port);
  ASSERT_TRUE(half.send("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"));
  std::this_thread::sleep_for(50ms);
  const auto t0 = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_TRUE(idle.wait_closed(1s));
  EXPECT_TRUE(half.wait_closed(1s));
  HttpClient after(port);
  EXPECT_FALSE(after.connected() && after.roundtrip("GET", "/health", ""));
}

TEST_F(HttpServerTest, BusyPortIsAStartError) {
  RpcServerConfig config;
  config.port = port;  // taken by the fixture's server
  RpcServer second(node, config);
  auto r = second.start();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(std::to_string(port)), std::string::npos) << r.error();
  RpcServerConfig bad;
  bad.bind_address = "not-an-ip";
  RpcServer third(node, bad);
  EXPECT_FALSE(third.start());
}

TEST_F(HttpServerTest, RealLedgerOverHttp) {
  // A transaction submitted over HTTP is mined by generate and shows up in the account.
  const auto tx = node.harness().transfer(1, 2, 777, 50, 0);
  const std::string hex = crypto::to_hex(tx.encode());
  auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"sendrawtransaction","params":[")" + hex + "\"]}", user_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("result"), crypto::to_hex(tx.txid()));
  const std::string to = crypto::encode_address(ledger::testing::test_address(0), node.spec().address_prefix);
  r = post(R"({"jsonrpc":"2.0","id":2,"method":"generate","params":[1,")" + to + "\"]}", user_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("result").as_array().size(), 1u);
  const std::string a2 = crypto::encode_address(ledger::testing::test_address(2), node.spec().address_prefix);
  r = post(R"({"jsonrpc":"2.0","id":3,"method":"getaccount","params":{"address":")" + a2 + "\"}}", user_auth);
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body).at("result").at("balance"), ledger::testing::kInitialBalance + 777);
  HttpClient h(port);
  auto health = h.roundtrip("GET", "/health", "");
  ASSERT_TRUE(health);
  EXPECT_EQ(json::parse(health->body).at("height"), 1);
}

}  // namespace
}  // namespace tally::rpc
