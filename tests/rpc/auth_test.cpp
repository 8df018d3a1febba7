// Cookie file and HTTP Basic authentication.
#include "crypto/base64.h"
#include "rpc/auth.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace tally::rpc {
namespace {

TEST(BasicAuth, ParsesTheHeader) {
  auto c = parse_basic_auth("Basic " + crypto::base64_encode("alice:s3cr:et"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cr:et") << "only the first ':' separates";
  EXPECT_TRUE(parse_basic_auth("basic   " + crypto::base64_encode("a:b")));
  EXPECT_FALSE(parse_basic_auth(""));
  EXPECT_FALSE(parse_basic_auth("Bearer abc"));
  EXPECT_FALSE(parse_basic_auth("Basic " + crypto::base64_encode("no-colon")));
  EXPECT_FALSE(parse_basic_auth("Basic !!!!"));
}

TEST(Authenticator, AcceptsOnlyAllowedPairs) {
  Authenticator auth;
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("a:b"))) << "no credentials: nothing is allowed";
  auth.allow({"alice", "pw1"});
  auth.allow({"bob", "pw2"});
  EXPECT_EQ(auth.check("Basic " + crypto::base64_encode("alice:pw1")), "alice");
  EXPECT_EQ(auth.check("Basic " + crypto::base64_encode("bob:pw2")), "bob");
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("alice:pw2")));
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("alice:pw1x")));
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("alice:")));
  EXPECT_FALSE(auth.check(""));
  EXPECT_THROW(auth.allow({"", "x"}), std::invalid_argument);
  EXPECT_THROW(auth.allow({"a:b", "x"}), std::invalid_argument);
}

TEST(RpcAuth, HashedLinesMatchBitcoinCoresFormatAndAuthenticate) {
  // Reference: Python's hmac.new(b"cafe0123", b"hunter2", hashlib.sha256).hexdigest().
  const std::string line = "carol:cafe0123$6732f597bfe2cc1528eea91c3ca0561a316791b1ee9d69cebc78910f39a9221c";
  EXPECT_EQ(rpcauth_line("carol", "hunter2", "cafe0123"), line);
  auto hashed = parse_rpcauth(line);
  ASSERT_TRUE(hashed) << hashed.error();
  EXPECT_EQ(hashed->user, "carol");
  EXPECT_EQ(hashed->salt, "cafe0123");

  Authenticator auth;
  auth.allow({"alice", "pw1"});
  auth.allow_hashed(*hashed);
  EXPECT_EQ(auth.check("Basic " + crypto::base64_encode("carol:hunter2")), "carol");
  EXPECT_EQ(auth.check("Basic " + crypto::base64_encode("alice:pw1")), "alice");
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("carol:hunter3")));
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("carl:hunter2")));
  EXPECT_FALSE(auth.check("Basic " + crypto::base64_encode("alice:hunter2")));

  for (const char* bad : {"", "carol", "carol:salt", ":s$00", "carol:$6732", "carol:s$zz",
                          "carol:s$6732f597bfe2cc1528eea91c3ca0561a316791b1ee9d69cebc78910f39a922"}) {
    auto r = parse_rpcauth(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_FALSE(r.error().empty());
    }
  }
}

TEST(Cookie, WrittenWithMode0600AndRemovedOnlyIfOurs) {
  support::TempDir dir("tally-auth");
  auto c = write_cookie(dir.path());
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->user, "__cookie__");
  EXPECT_EQ(c->password.size(), 64u);
  EXPECT_EQ(c->password.find_first_not_of("0123456789abcdef"), std::string::npos);

  const auto file = dir.path() / ".cookie";
  struct stat st{};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(file);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "__cookie__:" + c->password);
  auto read = read_cookie(file);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->password, c->password);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ".cookie.tmp"));

  // A second node writing its cookie gets a fresh password; the first one's removal then
  // leaves the newer cookie alone.
  auto c2 = write_cookie(dir.path());
  ASSERT_TRUE(c2);
  EXPECT_NE(c2->password, c->password);
  remove_cookie(dir.path(), *c);
  EXPECT_TRUE(std::filesystem::exists(file));
  remove_cookie(dir.path(), *c2);
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST(Cookie, UnwritableDirectoryIsAnError) {
  auto c = write_cookie("/nonexistent/tally/datadir");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("/nonexistent"), std::string::npos);
}

}  // namespace
}  // namespace tally::rpc
