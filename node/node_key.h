// The node's identity on the encrypted transport, on disk: <datadir>/nodekey (made on first
// start, mode 0600) and --peerallowfile lists; the text formats are p2p/node_key.h's.
// Thread-safe (no shared state).
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "p2p/node_key.h"

namespace tally::node {

// Reads <datadir>/nodekey, or creates it (mode 0600 from the start) when absent. A damaged
// file is an error that says so: the node never replaces an identity it cannot read.
[[nodiscard]] std::expected<crypto::SecretKey, std::string> load_or_create_node_key(const std::filesystem::path& datadir);

// The keys of an allowlist file; errors name the file and line. An empty list is an error
// (it would admit nobody, which is never what a file was meant to say).
[[nodiscard]] std::expected<std::vector<crypto::CompressedPublicKey>, std::string> read_allow_file(
    const std::filesystem::path& path);

}  // namespace tally::node
