// Base64 on Crypto++ (crypto/base64.h): RFC 4648 vectors, round trips, strict refusals.
#include "crypto/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace tally::crypto {
namespace {

TEST(Base64, RoundTripsAndRejectsGarbage) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  for (std::string s : {std::string(), std::string("a"), std::string("ab"), std::string("abc"), std::string("abcd"),
                        std::string("\x00\xff\x10 binary", 10)})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_FALSE(base64_decode("Zg="));      // length not a multiple of 4
  EXPECT_FALSE(base64_decode("Z==="));     // too much padding
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // data after padding
  EXPECT_FALSE(base64_decode("Zm9*"));
  EXPECT_FALSE(base64_decode("Zm9vZm8 "));  // a character the decoder would skip
  EXPECT_FALSE(base64_decode("Zh=="));     // not canonical: stray bits in the last character
}

}  // namespace
}  // namespace tally::crypto
