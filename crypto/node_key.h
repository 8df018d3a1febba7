// Node keys of the encrypted transport as text (docs/PROTOCOL.md, "Encrypted transport"):
// the nodekey file's content (the secret as 64 hex digits and a newline), public keys as 66
// hex digits (compressed points) and allowlists (one key a line). Pure functions, no I/O:
// tallyd and tally-devnet read and write the files (node/node_key.h adds KEY@host:port).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.h"

namespace tally::crypto {

// What a nodekey file holds.
std::string node_key_file_text(const SecretKey& key);
// The secret of a nodekey file's content (surrounding whitespace ignored).
[[nodiscard]] std::expected<SecretKey, std::string> parse_node_key_file(std::string_view text);

// 66 hex digits of a compressed point on the curve.
[[nodiscard]] std::expected<CompressedPublicKey, std::string> parse_node_key(std::string_view hex);

// Node keys, one per line; blank lines and '#' comments are skipped. Errors name the line
// ("line 3: ...").
[[nodiscard]] std::expected<std::vector<CompressedPublicKey>, std::string> parse_allow_list(
    std::string_view text);

}  // namespace tally::crypto
