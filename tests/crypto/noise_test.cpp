// The encrypted transport's handshakes and records (crypto/noise.h) against BOLT 8's
// published test vectors (Appendix A of 08-transport.md: initiator, responder and message
// encryption with two key rotations), and the XX pattern Tally adds for diallers that do not
// know the listener's key: both ends authenticated, tampering detected.
#include "crypto/noise.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "crypto/hex.h"

namespace tally::crypto::noise {
namespace {

Bytes hex(std::string_view h) {
  if (h.starts_with("0x")) h.remove_prefix(2);
  return *from_hex(h);
}
SecretKey key(std::string_view h) { return *SecretKey::from_bytes(hex(h)); }
CompressedPublicKey pub(std::string_view h) {
  CompressedPublicKey k;
  const Bytes b = hex(h);
  std::copy(b.begin(), b.end(), k.bytes.begin());
  return k;
}
const Bytes kPrologue = {'l', 'i', 'g', 'h', 't', 'n', 'i', 'n', 'g'};

constexpr std::string_view kRsPub = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";
constexpr std::string_view kLsPriv = "1111111111111111111111111111111111111111111111111111111111111111";
constexpr std::string_view kEPriv = "1212121212121212121212121212121212121212121212121212121212121212";
constexpr std::string_view kRespLsPriv = "2121212121212121212121212121212121212121212121212121212121212121";
constexpr std::string_view kRespEPriv = "2222222222222222222222222222222222222222222222222222222222222222";
constexpr std::string_view kAct1 =
    "00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a";
constexpr std::string_view kAct2 =
    "0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae";
constexpr std::string_view kAct3 =
    "00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c4662"
    "63b47fdf31e560e139ba";

Handshake bolt8_initiator() {
  return *Handshake::initiator(key(kLsPriv), pub(kRsPub), kPrologue, key(kEPriv));
}
Handshake bolt8_responder() { return Handshake::responder(key(kRespLsPriv), kPrologue, key(kRespEPriv)); }

TEST(NoiseBolt8, InitiatorSuccessfulHandshake) {
  Handshake hs = bolt8_initiator();
  EXPECT_EQ(to_hex(hs.take_output()), kAct1);
  ASSERT_EQ(hs.feed(hex(kAct2)).value(), 50u);
  ASSERT_TRUE(hs.done());
  EXPECT_EQ(to_hex(hs.take_output()), kAct3);
  EXPECT_EQ(hs.remote_static(), pub(kRsPub));
}

TEST(NoiseBolt8, InitiatorAct2Errors) {
  {  // short read: waits for the rest
    Handshake hs = bolt8_initiator();
    const Bytes act2 = hex(kAct2);
    ASSERT_EQ(hs.feed(ByteSpan(act2).first(49)).value(), 49u);
    EXPECT_FALSE(hs.done());
  }
  auto fails = [](std::string_view act2, Error want) {
    Handshake hs = bolt8_initiator();
    auto r = hs.feed(hex(act2));
    ASSERT_FALSE(r.has_value()) << act2;
    EXPECT_EQ(r.error(), want) << act2;
    EXPECT_FALSE(hs.done());
  };
  fails("0102466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae",
        Error::kBadVersion);
  fails("0004466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae",
        Error::kBadKey);
  fails("0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730af",
        Error::kBadTag);
}

TEST(NoiseBolt8, ResponderSuccessfulHandshake) {
  Handshake hs = bolt8_responder();
  ASSERT_EQ(hs.feed(hex(kAct1)).value(), 50u);
  EXPECT_EQ(to_hex(hs.take_output()), kAct2);
  ASSERT_EQ(hs.feed(hex(kAct3)).value(), 66u);
  ASSERT_TRUE(hs.done());
  EXPECT_EQ(hs.remote_static(), pub("034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa"));
  EXPECT_EQ(hs.pattern(), Pattern::kXK);
}

TEST(NoiseBolt8, ResponderErrors) {
  auto act1_fails = [](std::string_view act1, Error want) {
    Handshake hs = bolt8_responder();
    auto r = hs.feed(hex(act1));
    ASSERT_FALSE(r.has_value()) << act1;
    EXPECT_EQ(r.error(), want) << act1;
  };
  // (act1 bad version 0x01 names Tally's XX pattern, whose act one is 34 bytes: see below.)
  act1_fails("02036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a",
             Error::kBadVersion);
  act1_fails("00046360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a",
             Error::kBadKey);
  act1_fails("00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6b",
             Error::kBadTag);
  {
    Handshake hs = bolt8_responder();
    const Bytes act1 = hex(kAct1);
    ASSERT_EQ(hs.feed(ByteSpan(act1).first(49)).value(), 49u);
    EXPECT_TRUE(hs.take_output().empty());
  }
  auto act3_fails = [](std::string_view act3, Error want) {
    Handshake hs = bolt8_responder();
    ASSERT_TRUE(hs.feed(hex(kAct1)).has_value());
    EXPECT_EQ(to_hex(hs.take_output()), kAct2);
    auto r = hs.feed(hex(act3));
    ASSERT_FALSE(r.has_value()) << act3;
    EXPECT_EQ(r.error(), want) << act3;
    EXPECT_FALSE(hs.done());
  };
  act3_fails("01b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc"
             "68b1c466263b47fdf31e560e139ba",
             Error::kBadVersion);
  act3_fails("00c9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc"
             "68b1c466263b47fdf31e560e139ba",
             Error::kBadTag);
  act3_fails("00bfe3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa2235536ad09a8ee351870c2bb7f78b754a26c6cef7"
             "9a98d25139c856d7efd252c2ae73c",
             Error::kBadKey);
  act3_fails("00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc"
             "68b1c466263b47fdf31e560e139bb",
             Error::kBadTag);
}

TEST(NoiseBolt8, MessageEncryptionWithKeyRotation) {
  Handshake initiator = bolt8_initiator();
  (void)initiator.take_output();
  ASSERT_TRUE(initiator.feed(hex(kAct2)).has_value());
  Session session = initiator.take_session().value();
  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  const std::map<int, std::string> expected = {
      {0, "cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95"},
      {1, "72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1"},
      {500, "178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8"},
      {501, "1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd"},
      {1000, "4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09"},
      {1001, "2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36"}};
  // The responder opens all 1,002 records (it rotates its keys in step).
  Handshake responder = bolt8_responder();
  ASSERT_TRUE(responder.feed(hex(kAct1)).has_value());
  (void)responder.take_output();
  ASSERT_TRUE(responder.feed(hex(kAct3)).has_value());
  Session other = responder.take_session().value();
  Bytes opened;
  for (int i = 0; i <= 1001; ++i) {
    const Bytes record = session.seal(hello);
    if (auto it = expected.find(i); it != expected.end()) {
      EXPECT_EQ(to_hex(record), it->second) << "record " << i;
    }
    ASSERT_TRUE(other.open(record, opened).has_value()) << i;
  }
  EXPECT_EQ(opened.size(), 1002u * hello.size());
}

struct Pair {
  Session initiator;
  Session responder;
};

// A whole XX handshake between fresh keys, bytes passed through in chunks of `chunk`.
Pair xx_handshake(const SecretKey& a, const SecretKey& b, std::size_t chunk) {
  const Bytes prologue = {'t', 'a', 'l', 'l', 'y'};
  Handshake i = Handshake::initiator(a, std::nullopt, prologue).value();
  Handshake r = Handshake::responder(b, prologue);
  auto pass = [chunk](Handshake& from, Handshake& to) {
    const Bytes out = from.take_output();
    for (std::size_t at = 0; at < out.size(); at += chunk) {
      const auto part = ByteSpan(out).subspan(at, std::min(chunk, out.size() - at));
      EXPECT_EQ(to.feed(part).value(), part.size());
    }
  };
  pass(i, r);
  pass(r, i);
  pass(i, r);
  EXPECT_TRUE(i.done());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(i.pattern(), Pattern::kXX);
  EXPECT_EQ(r.pattern(), Pattern::kXX);
  EXPECT_EQ(i.remote_static(), b.compressed_public_key());
  EXPECT_EQ(r.remote_static(), a.compressed_public_key());
  return Pair{i.take_session().value(), r.take_session().value()};
}

TEST(NoiseXx, BothEndsLearnEachOthersKeyAndTalk) {
  const SecretKey a = SecretKey::generate(), b = SecretKey::generate();
  for (std::size_t chunk : {1u, 7u, 1000u}) {
    Pair p = xx_handshake(a, b, chunk);
    Bytes big(200'000);
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31);
    const Bytes sealed = p.initiator.seal(big);
    EXPECT_EQ(sealed.size(), big.size() + 4 * (2 + 2 * kTagSize)) << "four records of at most 65,535 bytes";
    Bytes opened;
    for (std::size_t at = 0; at < sealed.size(); at += 4096)
      ASSERT_TRUE(p.responder.open(ByteSpan(sealed).subspan(at, std::min<std::size_t>(4096, sealed.size() - at)), opened));
    EXPECT_EQ(opened, big);
    Bytes back;
    ASSERT_TRUE(p.initiator.open(p.responder.seal(Bytes{1, 2, 3}), back));
    EXPECT_EQ(back, (Bytes{1, 2, 3}));
  }
}

TEST(NoiseXx, TamperingAndWrongPrologueAreDetected) {
  const SecretKey a = SecretKey::generate(), b = SecretKey::generate();
  Pair p = xx_handshake(a, b, 1000);
  Bytes record = p.initiator.seal(Bytes{9, 9, 9});
  record[20] ^= 1;
  Bytes out;
  auto r = p.responder.open(record, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Error::kBadTag);
  EXPECT_FALSE(p.responder.open(p.initiator.seal(Bytes{1}), out).has_value()) << "a failed session stays failed";

  // Two networks (prologues) never complete a handshake with each other.
  Handshake i = Handshake::initiator(a, std::nullopt, Bytes{'x'}).value();
  Handshake resp = Handshake::responder(b, Bytes{'y'});
  ASSERT_TRUE(resp.feed(i.take_output()).has_value());  // act one of XX carries no tag
  auto act2 = i.feed(resp.take_output());
  ASSERT_FALSE(act2.has_value());
  EXPECT_EQ(act2.error(), Error::kBadTag);

  // An XK dialler that expects another key fails at act one.
  Handshake wrong = Handshake::initiator(a, SecretKey::generate().compressed_public_key(), Bytes{'t'}).value();
  Handshake listener = Handshake::responder(b, Bytes{'t'});
  auto act1 = listener.feed(wrong.take_output());
  ASSERT_FALSE(act1.has_value());
  EXPECT_EQ(act1.error(), Error::kBadTag);
  // And an XK dial with a key that is no point is refused before anything is sent.
  CompressedPublicKey junk{};
  junk.bytes[0] = 0x02;
  junk.bytes[1] = 0xff;
  for (auto& byte : junk.bytes) byte = byte ? byte : 0xff;
  EXPECT_FALSE(Handshake::initiator(a, junk, Bytes{'t'}).has_value());
}

}  // namespace
}  // namespace tally::crypto::noise
