// The node's identity on the encrypted transport, on disk: <datadir>/nodekey (made on first
// start, mode 0600), --peerallowfile lists (text formats: crypto/node_key.h), and
// "[KEY@]host:port" peer arguments.
// Thread-safe (no shared state).
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <optional>

#include "crypto/node_key.h"
#include "p2p/messages.h"

namespace tally::node {

// "host:port" or "KEY@host:port". The host is an IP address, localhost, or a DNS name
// (RFC 1123: letters, digits and '-' in dot-separated labels, not all digits at the end),
// which the node resolves later and again (node/peer_names.h): then `address` is empty and
// `host_name`/`port` say what to resolve.
struct PeerArgument {
  std::optional<p2p::NetAddress> address;
  std::string host_name;
  std::uint16_t port = 0;
  std::optional<crypto::CompressedPublicKey> key;
};
[[nodiscard]] std::expected<PeerArgument, std::string> parse_peer_argument(const std::string& text);
// True for an RFC 1123 host name that is not an IPv4 address (the last label is not all digits).
bool is_host_name(std::string_view text);

// Reads <datadir>/nodekey, or creates it (mode 0600 from the start) when absent. A damaged
// file is an error that says so: the node never replaces an identity it cannot read.
[[nodiscard]] std::expected<crypto::SecretKey, std::string> load_or_create_node_key(const std::filesystem::path& datadir);

// The keys of an allowlist file; errors name the file and line. An empty list is an error
// (it would admit nobody, which is never what a file was meant to say).
[[nodiscard]] std::expected<std::vector<crypto::CompressedPublicKey>, std::string> read_allow_file(
    const std::filesystem::path& path);

}  // namespace tally::node
