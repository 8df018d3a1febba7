// Base64 (RFC 4648, standard alphabet, with padding) on Crypto++'s codec, for HTTP Basic
// authentication. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tally::crypto {

std::string base64_encode(std::string_view data);
// Strict: only the canonical encoding of some bytes is accepted (length a multiple of 4,
// padding only at the end, no other characters); anything else is nullopt.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace tally::crypto
