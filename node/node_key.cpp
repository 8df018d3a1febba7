#include "node/node_key.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/files.h"
#include "crypto/hex.h"

namespace tally::node {

std::expected<crypto::SecretKey, std::string> load_or_create_node_key(const std::filesystem::path& datadir) {
  const auto path = datadir / "nodekey";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = base::read_file(path);
    if (!text) return std::unexpected(path.string() + ": " + text.error());
    std::string hex = *text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
    auto bytes = crypto::from_hex(hex);
    if (!bytes || bytes->size() != 32)
      return std::unexpected(path.string() + ": not a node key (64 hex digits); move it away to make a new identity");
    auto key = crypto::SecretKey::from_bytes(*bytes);
    if (!key)
      return std::unexpected(path.string() + ": not a valid secret key; move it away to make a new identity");
    return *key;
  }
  const crypto::SecretKey key = crypto::SecretKey::generate();
  if (auto w = base::write_file_atomic(path, crypto::to_hex(key.bytes()) + "\n"); !w)
    return std::unexpected(path.string() + ": " + w.error());
  if (::chmod(path.c_str(), 0600) != 0) return std::unexpected(path.string() + ": cannot make it private (chmod 0600)");
  return key;
}

std::expected<crypto::CompressedPublicKey, std::string> parse_node_key(std::string_view hex) {
  auto key = crypto::fixed_from_hex<crypto::CompressedPublicKey>(hex);
  if (!key || !crypto::is_valid_compressed_key(*key))
    return std::unexpected("'" + std::string(hex) + "' is not a node key (66 hex digits of a compressed point)");
  return *key;
}

std::expected<PeerArgument, std::string> parse_peer_argument(const std::string& text) {
  PeerArgument out;
  std::string endpoint = text;
  if (const auto at = text.find('@'); at != std::string::npos) {
    auto key = parse_node_key(std::string_view(text).substr(0, at));
    if (!key) return std::unexpected(key.error());
    out.key = *key;
    endpoint = text.substr(at + 1);
  }
  auto address = p2p::parse_net_address(endpoint);
  if (!address) return std::unexpected(address.error());
  out.address = *address;
  return out;
}

std::expected<std::vector<crypto::CompressedPublicKey>, std::string> read_allow_file(
    const std::filesystem::path& path) {
  auto text = base::read_file(path);
  if (!text) return std::unexpected(path.string() + ": " + text.error());
  std::vector<crypto::CompressedPublicKey> out;
  std::istringstream in(*text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    auto key = parse_node_key(std::string_view(line).substr(first, last - first + 1));
    if (!key) return std::unexpected(path.string() + ":" + std::to_string(n) + ": " + key.error());
    out.push_back(*key);
  }
  return out;
}

}  // namespace tally::node
