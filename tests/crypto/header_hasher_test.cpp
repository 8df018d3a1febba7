#include "crypto/header_hasher.h"

#include <gtest/gtest.h>

#include "crypto/sha256.h"

namespace tally::crypto {
namespace {

TEST(Sha256dMidstate, MatchesPlainSha256dForEveryTailLength) {
  Bytes message(64 + Sha256dMidstate::kMaxTail);
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i * 7 + 3);
  const Sha256dMidstate mid(ByteSpan(message).first(64));
  for (std::size_t tail = 0; tail <= Sha256dMidstate::kMaxTail; ++tail) {
    const ByteSpan whole = ByteSpan(message).first(64 + tail);
    EXPECT_EQ(mid.hash(whole.subspan(64)), sha256d(whole)) << "tail length " << tail;
  }
}

}  // namespace
}  // namespace tally::crypto
