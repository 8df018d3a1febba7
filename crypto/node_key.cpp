#include "crypto/node_key.h"

#include <sstream>

#include "crypto/hex.h"

namespace tally::crypto {

namespace {
std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}
}  // namespace

std::string node_key_file_text(const SecretKey& key) { return to_hex(key.bytes()) + "\n"; }

std::expected<SecretKey, std::string> parse_node_key_file(std::string_view text) {
  auto bytes = from_hex(trim(text));
  if (!bytes || bytes->size() != 32) return std::unexpected(std::string("not a node key (64 hex digits)"));
  auto key = SecretKey::from_bytes(*bytes);
  if (!key) return std::unexpected(std::string("not a valid secret key"));
  return *key;
}

std::expected<CompressedPublicKey, std::string> parse_node_key(std::string_view hex) {
  auto key = fixed_from_hex<CompressedPublicKey>(hex);
  if (!key || !is_valid_compressed_key(*key))
    return std::unexpected("'" + std::string(hex) + "' is not a node key (66 hex digits of a compressed point)");
  return *key;
}

std::expected<std::vector<CompressedPublicKey>, std::string> parse_allow_list(std::string_view text) {
  std::vector<CompressedPublicKey> out;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const std::string_view key_text = trim(line);
    if (key_text.empty()) continue;
    auto key = parse_node_key(key_text);
    if (!key) return std::unexpected("line " + std::to_string(n) + ": " + key.error());
    out.push_back(*key);
  }
  return out;
}

}  // namespace tally::crypto
