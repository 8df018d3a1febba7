// tally-cli's keys: where a secret key comes from and the key file format.
//
// A key is named by one of
//   devnet:N     the N-th well-known devnet key, secret = SHA-256("Tally devnet key " + N)
//                (genesis/devnet-keys.json; DEVNET ONLY, the secrets are public);
//   a file       JSON {"secret_key": hex, "public_key": hex, "address": text} as keygen
//                writes it (mode 0600), or a file holding only the 64 hex digits;
//   64 hex       the secret key itself.
//
// Thread-safety: the functions are reentrant.
#pragma once

#include <boost/json/object.hpp>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

#include "crypto/keys.h"

namespace tally::cli {

// SHA-256("Tally devnet key " + decimal index), as genesis/devnet-keys.json documents.
crypto::SecretKey devnet_key(std::uint64_t index);

// Resolves a key name (see above). Errors say which form was tried and why it failed.
[[nodiscard]] std::expected<crypto::SecretKey, std::string> load_key(std::string_view name);

// {"secret_key", "public_key", "address"} with the address under `prefix`.
boost::json::object key_json(const crypto::SecretKey& key, std::string_view prefix);

// Creates `path` with mode 0600 holding key_json() pretty-printed. Refuses to overwrite an
// existing file (O_EXCL), so a key is never lost to a typo.
[[nodiscard]] std::expected<void, std::string> write_key_file(const std::filesystem::path& path,
                                                              const crypto::SecretKey& key, std::string_view prefix);

}  // namespace tally::cli
