#include "crypto/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/hex.h"

namespace tally::crypto {
namespace {

ByteSpan ascii(const std::string& s) { return ByteSpan(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); }

// FIPS 180-2 / NIST CSRC example values.
TEST(Sha256, NistExamples) {
  EXPECT_EQ(to_hex(sha256(ascii("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256(ascii(""))), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256(ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(ascii("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
                                "nopqrlmnopqrsmnopqrstnopqrstu"))),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  Sha256 million;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.write(ascii(chunk));
  EXPECT_EQ(to_hex(million.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, DoubleHashIsHashOfHash) {
  const Hash256 once = sha256(ascii("hello"));
  EXPECT_EQ(sha256d(ascii("hello")), sha256(once.span()));
  // Known value: sha256d("hello").
  EXPECT_EQ(to_hex(sha256d(ascii("hello"))), "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
}

TEST(Sha256, IncrementalEqualsOneShotAndResets) {
  Sha256 h;
  h.write(ascii("ab")).write(ascii("c"));
  EXPECT_EQ(h.finalize(), sha256(ascii("abc")));
  EXPECT_EQ(h.write(ascii("abc")).finalize(), sha256(ascii("abc")));
}

TEST(TaggedHash, MatchesDefinition) {
  const Hash256 tag = sha256(ascii("BIP0340/challenge"));
  Bytes pre(tag.begin(), tag.end());
  pre.insert(pre.end(), tag.begin(), tag.end());
  pre.push_back(0x42);
  const std::uint8_t data[] = {0x42};
  EXPECT_EQ(tagged_hash("BIP0340/challenge", data), sha256(pre));
  const TaggedHasher hasher("BIP0340/challenge");
  EXPECT_EQ(hasher.hash(data), sha256(pre));
  EXPECT_NE(tagged_hash("other", data), sha256(pre));
}

}  // namespace
}  // namespace tally::crypto
