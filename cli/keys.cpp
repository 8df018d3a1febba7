#include "cli/keys.h"

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "base/files.h"
#include "base/json_read.h"
#include "crypto/address.h"
#include "crypto/hex.h"
#include "crypto/sha256.h"
#include "cli/args.h"

namespace tally::cli {

namespace json = boost::json;

namespace {

std::expected<crypto::SecretKey, std::string> key_from_hex(std::string_view hex);

}  // namespace

// A key file as keygen --out writes it: {"secret_key", "public_key", "address"}.
struct KeyFile {
  crypto::SecretKey key;
};

// boost::json::value_to<KeyFile>. A public key that does not match means a damaged or
// hand-edited file: refused.
KeyFile tag_invoke(json::value_to_tag<KeyFile>, const json::value& v) {
  const json::object& o = base::json_object(v, "not a JSON object");
  KeyFile f{base::json_field(o, "secret_key", [](const json::value& s) {
    auto key = key_from_hex(base::json_string(s));
    if (!key) base::json_fail(key.error());
    return *key;
  })};
  base::json_optional(o, "public_key", [&](const json::value& p) {
    if (base::json_string(p) != crypto::to_hex(f.key.public_key())) base::json_fail("does not belong to secret_key");
    return true;
  });
  return f;
}

namespace {

constexpr std::uint64_t kMaxDevnetIndex = 1'000'000;

std::expected<crypto::SecretKey, std::string> key_from_hex(std::string_view hex) {
  auto bytes = crypto::from_hex(hex);
  if (!bytes) return std::unexpected(std::string("not hex: ") + crypto::to_string(bytes.error()));
  if (bytes->size() != 32) return std::unexpected("a secret key has 32 bytes (64 hex digits), got " + std::to_string(bytes->size()));
  auto key = crypto::SecretKey::from_bytes(*bytes);
  std::fill(bytes->begin(), bytes->end(), 0);
  if (!key) return std::unexpected(std::string("invalid secret key: ") + crypto::to_string(key.error()));
  return *key;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  return s.substr(b);
}

std::expected<crypto::SecretKey, std::string> key_from_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected("cannot read key file " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = trim(ss.str());
  if (text.empty() || text.front() != '{') {
    auto k = key_from_hex(text);
    if (!k) return std::unexpected("key file " + path.string() + ": " + k.error());
    return k;
  }
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return std::unexpected("key file " + path.string() + ": not valid JSON");
  auto file = base::read_json<KeyFile>(doc);
  if (!file) return std::unexpected("key file " + path.string() + ": " + file.error());
  return file->key;
}

}  // namespace

crypto::SecretKey devnet_key(std::uint64_t index) {
  const std::string seed = "Tally devnet key " + std::to_string(index);
  const crypto::Hash256 h =
      crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()));
  // A SHA-256 output is a valid secret key except with probability ~2^-128.
  return crypto::SecretKey::from_bytes(h.span()).value();
}

std::expected<crypto::SecretKey, std::string> load_key(std::string_view name) {
  if (name.starts_with("devnet:")) {
    auto index = parse_u64(name.substr(7));
    if (!index || *index > kMaxDevnetIndex)
      return std::unexpected("--key " + std::string(name) + ": expected devnet:N with N from 0 (the devnet funds 0 to 9)");
    return devnet_key(*index);
  }
  std::error_code ec;
  if (std::filesystem::is_regular_file(std::filesystem::path(name), ec)) return key_from_file(std::filesystem::path(name));
  if (name.size() == 64) {
    auto k = key_from_hex(name);
    if (k) return k;
    return std::unexpected("key '" + std::string(name.substr(0, 8)) + "...': " + k.error());
  }
  return std::unexpected("key '" + std::string(name) +
                         "': no such file, and not devnet:N or a 64-hex-digit secret key");
}

json::object key_json(const crypto::SecretKey& key, std::string_view prefix) {
  const crypto::PublicKey pub = key.public_key();
  json::object o;
  o["secret_key"] = crypto::to_hex(crypto::ByteSpan(key.bytes().data(), key.bytes().size()));
  o["public_key"] = crypto::to_hex(pub);
  o["address"] = crypto::encode_address(crypto::address_of(pub), prefix);
  return o;
}

std::expected<void, std::string> write_key_file(const std::filesystem::path& path, const crypto::SecretKey& key,
                                                std::string_view prefix) {
  return base::write_new_private_file(path, pretty_json(key_json(key, prefix)) + "\n");
}

}  // namespace tally::cli
