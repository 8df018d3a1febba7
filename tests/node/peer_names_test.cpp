// Peers given by DNS name (node/peer_names.h): parsing name:port arguments, and the resolution
// schedule with an injected resolver: the first address is taken, kept while the name still
// resolves to it, replaced when it does not, retried sooner after a failure.
#include "node/peer_names.h"

#include <gtest/gtest.h>

#include <map>

#include "node/node_key.h"

namespace tally::node {
namespace {

p2p::NetAddress v4(std::uint32_t ip, std::uint16_t port) { return p2p::NetAddress::ipv4(ip, port); }

TEST(PeerArguments, HostNamesAreAcceptedBesideAddresses) {
  auto ip = parse_peer_argument("10.0.0.5:17077");
  ASSERT_TRUE(ip) << ip.error();
  ASSERT_TRUE(ip->address);
  EXPECT_TRUE(ip->host_name.empty());

  auto pod = parse_peer_argument("tally-3.tally.default.svc.cluster.local:17077");
  ASSERT_TRUE(pod) << pod.error();
  EXPECT_FALSE(pod->address);
  EXPECT_EQ(pod->host_name, "tally-3.tally.default.svc.cluster.local");
  EXPECT_EQ(pod->port, 17077);

  auto fq = parse_peer_argument("seed-1.example.:80");
  ASSERT_TRUE(fq) << fq.error();
  EXPECT_EQ(fq->host_name, "seed-1.example.");

  for (const char* bad : {"tally-3:0", "tally-3:70000", "tally-3:", "tally-3", "-bad.name:1", "bad-.name:1",
                          "a..b:1", "under_score:1", "999.1.1.1:80", "1.2.3:80", "[::1:80", "na me:1",
                          // ports are read as for addresses (found by the node_peer_argument fuzzer:
                          // "localhost:" and 60 digits was a host name "localhost" with port 8)
                          "tally-3:000017077", "localhost:0000000000008", "tally-3:+80"}) {
    auto r = parse_peer_argument(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_FALSE(is_host_name(std::string(64, 'a') + ".x"));
  EXPECT_TRUE(is_host_name(std::string(63, 'a') + ".x"));
}

TEST(PeerNames, FirstAddressIsKeptWhileTheNameResolvesToItAndReplacedWhenItMoves) {
  std::map<std::string, std::vector<p2p::NetAddress>> dns;
  auto resolve = [&](const std::string& host, std::uint16_t) -> std::expected<std::vector<p2p::NetAddress>, std::string> {
    auto it = dns.find(host);
    if (it == dns.end()) return std::unexpected(std::string("Name or service not known"));
    return it->second;
  };
  PeerNames names({NamedPeer{"a.tally", 17077, NamedPeer::Role::kFixed, std::nullopt},
                   NamedPeer{"b.tally", 17077, NamedPeer::Role::kSeed, std::nullopt}},
                  PeerNames::Timing{30'000, 2'000});
  dns["a.tally"] = {v4(0x0a000001, 17077), v4(0x0a000002, 17077)};

  std::vector<std::pair<std::size_t, std::string>> failures;
  auto changes = names.resolve_due(0, resolve, &failures);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].index, 0u);
  EXPECT_FALSE(changes[0].previous);
  EXPECT_EQ(changes[0].current, v4(0x0a000001, 17077));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].first, 1u);
  EXPECT_EQ(names.next_due_ms(), 2'000) << "a name that does not resolve is retried sooner";

  // b appears; a's answer reorders but still holds the current address: no flapping.
  dns["b.tally"] = {v4(0x0a000009, 17077)};
  dns["a.tally"] = {v4(0x0a000002, 17077), v4(0x0a000001, 17077)};
  EXPECT_TRUE(names.resolve_due(1'000, resolve).empty()) << "nothing is due yet";
  changes = names.resolve_due(2'000, resolve);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].index, 1u);
  EXPECT_EQ(changes[0].current, v4(0x0a000009, 17077));
  EXPECT_TRUE(names.resolve_due(30'000, resolve).empty());

  // The pod of a moved to another address; a failed lookup keeps the last good one.
  dns["a.tally"] = {v4(0x0a000007, 17077)};
  dns.erase("b.tally");
  failures.clear();
  changes = names.resolve_due(60'000, resolve, &failures);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].previous, v4(0x0a000001, 17077));
  EXPECT_EQ(changes[0].current, v4(0x0a000007, 17077));
  EXPECT_EQ(failures.size(), 1u);
  EXPECT_EQ(names.current(1), v4(0x0a000009, 17077));
}

TEST(PeerNames, TheSystemResolverAnswersForLocalhostAndSaysWhyForANameThatDoesNotExist) {
  auto local = resolve_with_system("localhost", 17077);
  ASSERT_TRUE(local) << local.error();
  ASSERT_FALSE(local->empty());
  EXPECT_EQ(local->front().port, 17077);
  auto none = resolve_with_system("no-such-host.invalid", 1);
  ASSERT_FALSE(none);
  EXPECT_FALSE(none.error().empty());
}

}  // namespace
}  // namespace tally::node
