// The encrypted transport between protocol cores over real TCP on 127.0.0.1
// (docs/PROTOCOL.md, "Encrypted transport"): nodes that know nothing of each other's keys
// (Noise XX) and diallers that know the listener's key (XK) sync and relay, each learning the
// other's key; a dial to the wrong key, a peer outside the allowlist, a plaintext peer and
// another network are refused and counted, and the node keeps serving its honest peer.
#include <gtest/gtest.h>

#include "crypto/noise.h"
#include "tcp_node.h"

namespace tally::p2p {
namespace {

using namespace std::chrono_literals;
using testing::RawPeer;
using testing::TcpNet;

const Bytes kPrologue = {'t', 'a', 'l', 'l', 'y', '-', 't', 'e', 's', 't'};

struct Keys {
  std::vector<crypto::SecretKey> secret;
  explicit Keys(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) secret.push_back(crypto::SecretKey::generate());
  }
  crypto::CompressedPublicKey pub(std::size_t i) const { return secret[i].compressed_public_key(); }
};

std::optional<crypto::CompressedPublicKey> key_of_peer(TcpNet& net, std::size_t i) {
  return net.on_io([&]() -> std::optional<crypto::CompressedPublicKey> {
    for (const auto& p : net.node(i).core->peer_stats())
      if (p.established) return net.node(i).transport->peer_key(p.id);
    return std::nullopt;
  });
}
TransportCounters counters(TcpNet& net, std::size_t i) {
  return net.on_io([&] { return net.node(i).transport->counters(); });
}

TEST(EncryptedTransport, NodesWithoutEachOthersKeysSyncRelayAndLearnTheKeys) {
  Keys keys(3);
  TcpNet net(3, {}, [&](std::size_t i, TransportConfig& tc) {
    tc.node_key = keys.secret[i];
    tc.prologue = kPrologue;
  });
  net.connect(1, 0);
  net.connect(2, 1);
  net.mine(0);
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(2); }, 10s));
  EXPECT_EQ(key_of_peer(net, 0), keys.pub(1));
  EXPECT_EQ(key_of_peer(net, 2), keys.pub(1));
  EXPECT_GE(counters(net, 1).handshakes_completed, 2u);
  EXPECT_EQ(counters(net, 1).handshakes_failed, 0u);
  // A block bigger than one record (65,535 bytes) crosses as several.
  const auto txs = [&] {
    std::vector<ledger::Transaction> out;
    for (int i = 0; i < 600; ++i)
      out.push_back(ledger::make_transfer(ledger::testing::test_key(i % 5), net.spec().chain_id,
                                          ledger::testing::test_address(7), 100 + i, 100,
                                          static_cast<std::uint64_t>(i / 5)));
    return out;
  }();
  net.on_io([&] {
    for (const auto& tx : txs) EXPECT_TRUE(net.node(0).mempool.accept(tx, net.node(0).harness.chain->state(), testing::wall_ms()));
    return 0;
  });
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(3); }, 20s)) << net.height(1) << " " << net.height(2);
  EXPECT_EQ(net.on_io([&] { return net.node(2).harness.chain->state_hash(); }),
            net.on_io([&] { return net.node(0).harness.chain->state_hash(); }));
}

TEST(EncryptedTransport, ADialToAKnownKeyAuthenticatesTheListenerAndFailsForAnyOther) {
  Keys keys(3);
  TcpNet net(3, {}, [&](std::size_t i, TransportConfig& tc) {
    tc.node_key = keys.secret[i];
    tc.prologue = kPrologue;
  });
  net.on_io([&] {
    net.node(1).transport->set_known_key(net.node(0).address(), keys.pub(0));  // the truth
    net.node(2).transport->set_known_key(net.node(0).address(), keys.pub(2));  // someone else
    return 0;
  });
  net.connect(1, 0);
  net.connect(2, 0);
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.height(1) == 1; }, 10s));
  EXPECT_EQ(key_of_peer(net, 1), keys.pub(0));
  EXPECT_TRUE(net.wait_until([&] { return counters(net, 2).handshakes_failed >= 1; }, 10s));
  EXPECT_EQ(net.height(2), 0u) << "a listener that is not who the dialler expects gets no connection";
  EXPECT_EQ(counters(net, 0).handshakes_completed, 1u);
}

// Node 2 connects to node 0, which hears node 2's key with its listen endpoint; node 1 asks
// node 0 for addresses (discovery) and dials node 2 by the key that came with the address (XK).
TEST(EncryptedTransport, KeysTravelInAddressGossipAndDialsAuthenticateThem) {
  Keys keys(3);
  TcpNet net(
      3, [](std::size_t i, NetConfig& c) { c.discovery = i == 1; },
      [&](std::size_t i, TransportConfig& tc) {
        tc.node_key = keys.secret[i];
        tc.prologue = kPrologue;
      });
  net.connect(2, 0);
  ASSERT_TRUE(net.wait_until(
      [&] { return net.on_io([&] { return net.node(0).book.find(net.node(2).address()) != nullptr; }); }, 10s));
  EXPECT_EQ(net.on_io([&] { return net.node(0).book.find(net.node(2).address())->node_key; }), keys.pub(2));
  net.connect(1, 0);
  ASSERT_TRUE(net.wait_until([&] { return counters(net, 1).dials_with_key >= 1; }, 10s));
  ASSERT_TRUE(net.wait_until([&] { return counters(net, 2).handshakes_completed >= 2; }, 10s));
  net.mine(2);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(1); }, 10s));
  const AddrInfo info = net.on_io([&] { return *net.node(1).book.find(net.node(2).address()); });
  EXPECT_EQ(info.node_key, keys.pub(2));
  EXPECT_TRUE(info.key_verified);
  EXPECT_EQ(counters(net, 1).handshakes_failed, 0u);
}

// A wrong key heard for an address fails the authenticated dial; it is dropped, and the next
// dial learns and verifies the true key (XX).
TEST(EncryptedTransport, AWrongKeyFromGossipCostsOneDialAndIsReplacedByTheTrueOne) {
  Keys keys(3);
  TcpNet net(
      2, [](std::size_t i, NetConfig& c) { c.discovery = i == 1; },
      [&](std::size_t i, TransportConfig& tc) {
        tc.node_key = keys.secret[i];
        tc.prologue = kPrologue;
      });
  net.on_io([&] {
    const auto now = testing::wall_ms();
    EXPECT_TRUE(net.node(1).book.add(net.node(0).address(), net.node(0).address(), static_cast<std::uint32_t>(now / 1000),
                                     keys.pub(2)));
    net.node(1).core->on_tick(now);
    net.node(1).transport->pump();
    return 0;
  });
  ASSERT_TRUE(net.wait_until([&] { return counters(net, 1).handshakes_failed >= 1; }, 10s));
  ASSERT_TRUE(net.wait_until([&] { return key_of_peer(net, 1) == keys.pub(0); }, 15s));
  const AddrInfo info = net.on_io([&] { return *net.node(1).book.find(net.node(0).address()); });
  EXPECT_EQ(info.node_key, keys.pub(0));
  EXPECT_TRUE(info.key_verified);
  EXPECT_EQ(counters(net, 1).dials_with_key, 1u);
}

TEST(EncryptedTransport, AnAllowlistRefusesOtherKeysInBothDirections) {
  Keys keys(3);
  TcpNet net(3, {}, [&](std::size_t i, TransportConfig& tc) {
    tc.node_key = keys.secret[i];
    tc.prologue = kPrologue;
    if (i == 0) tc.allowed_keys = {keys.pub(1)};
  });
  net.connect(1, 0);  // allowed
  net.connect(2, 0);  // inbound, not allowed
  net.connect(0, 2);  // outbound, not allowed either
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.height(1) == 1; }, 10s));
  EXPECT_TRUE(net.wait_until([&] { return counters(net, 0).peers_not_allowed >= 2; }, 10s))
      << counters(net, 0).peers_not_allowed;
  EXPECT_EQ(net.height(2), 0u);
  EXPECT_EQ(net.on_io([&] { return net.node(0).core->peer_stats().size(); }), 1u);
}

TEST(EncryptedTransport, PlaintextPeersAndOtherNetworksAreRefusedAndTheNodeKeepsServing) {
  Keys keys(2);
  TcpNet net(2, {}, [&](std::size_t i, TransportConfig& tc) {
    tc.node_key = keys.secret[i];
    tc.prologue = kPrologue;
    tc.handshake_timeout_ms = 1000;
  });
  net.connect(1, 0);
  net.mine(0);
  ASSERT_TRUE(net.wait_until([&] { return net.all_at(1); }, 10s));
  {
    RawPeer plaintext(net.node(0).port);
    plaintext.handshake(net.spec(), 4500);  // a version frame: its first byte is no Noise version
    EXPECT_TRUE(plaintext.closed_by_peer(5s));
  }
  {
    // A dialler of another network (prologue): act one passes (XX's carries no tag), act two
    // does not, and the listener's handshake times out or fails.
    const Bytes other = {'o', 't', 'h', 'e', 'r'};
    auto hs = crypto::noise::Handshake::initiator(crypto::SecretKey::generate(), std::nullopt, other).value();
    RawPeer stranger(net.node(0).port);
    stranger.send(hs.take_output());
    auto act2 = stranger.read_exactly(99, 5s);
    ASSERT_EQ(act2.size(), 99u);
    EXPECT_FALSE(hs.feed(act2).has_value());
  }
  {
    // A peer that connects and says nothing is dropped when its handshake time is up.
    RawPeer silent(net.node(0).port);
    EXPECT_TRUE(net.wait_until([&] { return counters(net, 0).handshakes_failed >= 3; }, 5s))
        << counters(net, 0).handshakes_failed;
  }
  const std::uint32_t h = net.height(0) + 1;
  net.mine(0);
  EXPECT_TRUE(net.wait_until([&] { return net.height(1) == h; }, 10s));
  EXPECT_GE(counters(net, 0).handshakes_failed, 1u);
}

}  // namespace
}  // namespace tally::p2p
