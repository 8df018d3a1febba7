#include "node/node_key.h"

#include <algorithm>
#include <cctype>

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
  if (address) {
    out.address = *address;
    return out;
  }
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos || endpoint.front() == '[' || !is_host_name(endpoint.substr(0, colon)))
    return std::unexpected(address.error() + "; or a host name, name:port");
  // The same port rule as for addresses, so that "localhost:0008" is refused here as there.
  const std::string port_text = endpoint.substr(colon + 1);
  const auto port = p2p::parse_port(port_text);
  if (!port) return std::unexpected("bad port '" + port_text + "' in '" + endpoint + "' (expected 1..65535)");
  out.host_name = endpoint.substr(0, colon);
  out.port = *port;
  return out;
}

bool is_host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  if (text.back() == '.') text.remove_suffix(1);  // a fully qualified name
  std::string_view last;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t dot = std::min(text.find('.', start), text.size());
    const std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (const char ch : label)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') return false;
    last = label;
    start = dot + 1;
  }
  return !std::all_of(last.begin(), last.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
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
