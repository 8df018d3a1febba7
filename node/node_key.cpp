#include "node/node_key.h"

#include "base/files.h"

namespace tally::node {

std::expected<PeerArgument, std::string> parse_peer_argument(const std::string& text) {
  PeerArgument out;
  std::string endpoint = text;
  if (const auto at = text.find('@'); at != std::string::npos) {
    auto key = crypto::parse_node_key(std::string_view(text).substr(0, at));
    if (!key) return std::unexpected(key.error());
    out.key = *key;
    endpoint = text.substr(at + 1);
  }
  auto address = p2p::parse_net_address(endpoint);
  if (!address) return std::unexpected(address.error());
  out.address = *address;
  return out;
}

std::expected<crypto::SecretKey, std::string> load_or_create_node_key(const std::filesystem::path& datadir) {
  const auto path = datadir / "nodekey";
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = base::read_file(path);
    if (!text) return std::unexpected(path.string() + ": " + text.error());
    auto key = crypto::parse_node_key_file(*text);
    if (!key) return std::unexpected(path.string() + ": " + key.error() + "; move it away to make a new identity");
    return *key;
  }
  const crypto::SecretKey key = crypto::SecretKey::generate();
  if (auto w = base::write_new_private_file(path, crypto::node_key_file_text(key)); !w) return std::unexpected(w.error());
  return key;
}

std::expected<std::vector<crypto::CompressedPublicKey>, std::string> read_allow_file(
    const std::filesystem::path& path) {
  auto text = base::read_file(path);
  if (!text) return std::unexpected(text.error());
  auto keys = crypto::parse_allow_list(*text);
  if (!keys) return std::unexpected(path.string() + ": " + keys.error());
  if (keys->empty()) return std::unexpected(path.string() + ": no keys in it");
  return keys;
}

}  // namespace tally::node
