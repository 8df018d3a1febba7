// Node keys as text (p2p/node_key.h): the nodekey file, public keys, KEY@host:port and
// allowlists; every malformed input is refused with a message that says what is wrong.
#include "p2p/node_key.h"

#include <gtest/gtest.h>

#include "crypto/hex.h"

namespace tally::p2p {
namespace {

TEST(NodeKeyText, TheNodeKeyFileRoundTripsAndDamageIsRefused) {
  const crypto::SecretKey key = crypto::SecretKey::generate();
  const std::string text = node_key_file_text(key);
  EXPECT_EQ(text.size(), 65u);
  auto back = parse_node_key_file("  " + text + "\n");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->bytes(), key.bytes());
  // Empty, not hex, short, long, zero, above the curve order.
  for (const std::string& bad : std::vector<std::string>{"", "xyz", std::string(62, 'a'), std::string(66, 'a'),
                                                          std::string(64, '0'), std::string(64, 'f')}) {
    auto r = parse_node_key_file(bad);
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_NE(parse_node_key_file("xyz").error().find("64 hex digits"), std::string::npos);
}

TEST(NodeKeyText, PublicKeysAndPeerArguments) {
  const std::string pub = crypto::to_hex(crypto::SecretKey::generate().compressed_public_key().span());
  ASSERT_TRUE(parse_node_key(pub));
  EXPECT_FALSE(parse_node_key(pub.substr(2)));                           // too short
  EXPECT_FALSE(parse_node_key("04" + pub.substr(2)));                    // not a compressed prefix
  EXPECT_FALSE(parse_node_key("02" + std::string(64, 'f')));             // x beyond the field
  EXPECT_FALSE(parse_node_key(std::string(pub).replace(5, 1, "g")));     // not hex
  EXPECT_NE(parse_node_key("nope").error().find("66 hex digits"), std::string::npos);

  auto plain = parse_peer_argument("127.0.0.1:17077");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->key);
  auto keyed = parse_peer_argument(pub + "@127.0.0.1:17077");
  ASSERT_TRUE(keyed);
  ASSERT_TRUE(keyed->key);
  EXPECT_EQ(crypto::to_hex(keyed->key->span()), pub);
  EXPECT_EQ(keyed->address, plain->address);
  EXPECT_FALSE(parse_peer_argument("zz@127.0.0.1:17077"));
  EXPECT_FALSE(parse_peer_argument(pub + "@"));
  EXPECT_FALSE(parse_peer_argument(pub + "@not-an-endpoint"));
}

TEST(NodeKeyText, AllowListsSkipCommentsAndNameTheBadLine) {
  const std::string a = crypto::to_hex(crypto::SecretKey::generate().compressed_public_key().span());
  const std::string b = crypto::to_hex(crypto::SecretKey::generate().compressed_public_key().span());
  auto keys = parse_allow_list("# devnet\n" + a + "  # node0\n\n\t" + b + "\r\n");
  ASSERT_TRUE(keys) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(crypto::to_hex((*keys)[1].span()), b);
  auto bad = parse_allow_list(a + "\n# fine\nnot-a-key\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("line 3: ", 0), 0u) << bad.error();
  EXPECT_TRUE(parse_allow_list("# nothing\n\n")->empty());
}

}  // namespace
}  // namespace tally::p2p
