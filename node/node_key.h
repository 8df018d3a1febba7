// The node's identity on the encrypted transport: its static secp256k1 key in
// <datadir>/nodekey (64 hex digits, mode 0600, made on first start), node keys written as
// 66 hex digits (compressed points), "KEY@host:port" peer arguments and allowlist files.
// Pure functions apart from the files they name; thread-safe.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crypto/keys.h"
#include "p2p/messages.h"

namespace tally::node {

// Reads <datadir>/nodekey, or creates it (mode 0600) when absent. A damaged file is an error
// that says so: the node never replaces an identity it cannot read.
[[nodiscard]] std::expected<crypto::SecretKey, std::string> load_or_create_node_key(const std::filesystem::path& datadir);

// 66 hex digits of a compressed point on the curve.
[[nodiscard]] std::expected<crypto::CompressedPublicKey, std::string> parse_node_key(std::string_view hex);

// "host:port" or "KEY@host:port".
struct PeerArgument {
  p2p::NetAddress address;
  std::optional<crypto::CompressedPublicKey> key;
};
[[nodiscard]] std::expected<PeerArgument, std::string> parse_peer_argument(const std::string& text);

// Node keys, one per line; blank lines and '#' comments are skipped. Errors name the line.
[[nodiscard]] std::expected<std::vector<crypto::CompressedPublicKey>, std::string> read_allow_file(
    const std::filesystem::path& path);

}  // namespace tally::node
