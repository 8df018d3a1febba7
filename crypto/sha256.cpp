#include "crypto/sha256.h"

#include <cryptopp/sha.h>

namespace tally::crypto {

// One hasher per thread: constructing a CryptoPP::SHA256 costs as much as hashing a header.
Hash256 sha256(ByteSpan data) {
  thread_local CryptoPP::SHA256 h;
  Hash256 out;
  h.CalculateDigest(out.data(), data.data(), data.size());
  return out;
}

Hash256 sha256d(ByteSpan data) {
  thread_local CryptoPP::SHA256 h;
  Hash256 once;
  h.CalculateDigest(once.data(), data.data(), data.size());
  Hash256 out;
  h.CalculateDigest(out.data(), once.data(), once.size());
  return out;
}

Sha256::Sha256() : impl_(std::make_unique<CryptoPP::SHA256>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(const Sha256& other) : impl_(std::make_unique<CryptoPP::SHA256>(*other.impl_)) {}
Sha256& Sha256::operator=(const Sha256& other) {
  if (this != &other) impl_ = std::make_unique<CryptoPP::SHA256>(*other.impl_);
  return *this;
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

Sha256& Sha256::write(ByteSpan data) {
  impl_->Update(data.data(), data.size());
  return *this;
}

Sha256& Sha256::write(const void* data, std::size_t size) {
  impl_->Update(static_cast<const CryptoPP::byte*>(data), size);
  return *this;
}

Hash256 Sha256::finalize() {
  Hash256 out;
  impl_->Final(out.data());
  return out;
}

TaggedHasher::TaggedHasher(std::string_view tag) {
  const Hash256 tag_hash = sha256(ByteSpan(reinterpret_cast<const std::uint8_t*>(tag.data()), tag.size()));
  primed_.write(tag_hash.span()).write(tag_hash.span());
}

Hash256 TaggedHasher::hash(ByteSpan data) const {
  Sha256 h = primed_;
  return h.write(data).finalize();
}

Hash256 tagged_hash(std::string_view tag, ByteSpan data) { return TaggedHasher(tag).hash(data); }

}  // namespace tally::crypto
