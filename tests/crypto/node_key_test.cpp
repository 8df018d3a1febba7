// Node keys as text (crypto/node_key.h): the nodekey file, public keys and allowlists; every malformed input is refused with a message that says what is wrong.
#include "crypto/node_key.h"

#include <gtest/gtest.h>

#include "crypto/hex.h"

namespace tally::crypto {
namespace {

TEST(NodeKeyText, TheNodeKeyFileRoundTripsAndDamageIsRefused) {
  const SecretKey key = SecretKey::generate();
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

TEST(NodeKeyText, PublicKeys) {
  const std::string pub = to_hex(SecretKey::generate().compressed_public_key().span());
  ASSERT_TRUE(parse_node_key(pub));
  EXPECT_FALSE(parse_node_key(pub.substr(2)));                           // too short
  EXPECT_FALSE(parse_node_key("04" + pub.substr(2)));                    // not a compressed prefix
  EXPECT_FALSE(parse_node_key("02" + std::string(64, 'f')));             // x beyond the field
  EXPECT_FALSE(parse_node_key(std::string(pub).replace(5, 1, "g")));     // not hex
  EXPECT_NE(parse_node_key("nope").error().find("66 hex digits"), std::string::npos);

}

TEST(NodeKeyText, AllowListsSkipCommentsAndNameTheBadLine) {
  const std::string a = to_hex(SecretKey::generate().compressed_public_key().span());
  const std::string b = to_hex(SecretKey::generate().compressed_public_key().span());
  auto keys = parse_allow_list("# devnet\n" + a + "  # node0\n\n\t" + b + "\r\n");
  ASSERT_TRUE(keys) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ(to_hex((*keys)[1].span()), b);
  auto bad = parse_allow_list(a + "\n# fine\nnot-a-key\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("line 3: ", 0), 0u) << bad.error();
  EXPECT_TRUE(parse_allow_list("# nothing\n\n")->empty());
}

}  // namespace
}  // namespace tally::crypto
