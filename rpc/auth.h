// RPC authentication: the cookie file and HTTP Basic credentials.
//
// At start the server writes "<datadir>/.cookie" holding "__cookie__:<64 hex digits>" (a
// fresh random 32-byte password) with mode 0600, and removes it on a clean stop; local tools
// read it to authenticate. Configured --rpcuser/--rpcpassword credentials work alongside.
// Passwords are compared in constant time (over SHA-256 digests, so neither the length nor
// the content of a configured password leaks through timing).
//
// Thread-safety: the free functions are reentrant; a const Authenticator may be shared.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally::rpc {

inline constexpr std::string_view kCookieUser = "__cookie__";
inline constexpr std::string_view kCookieFileName = ".cookie";

struct Credentials {
  std::string user;
  std::string password;
};

// Writes a fresh cookie to datadir/.cookie (created with mode 0600 through a temporary file
// and a rename, so readers never see a partial file) and returns its credentials.
[[nodiscard]] std::expected<Credentials, std::string> write_cookie(const std::filesystem::path& datadir);
// Reads "user:password" from a cookie file.
[[nodiscard]] std::expected<Credentials, std::string> read_cookie(const std::filesystem::path& file);
// Removes datadir/.cookie if it still holds `mine` (a newer node's cookie is left alone).
void remove_cookie(const std::filesystem::path& datadir, const Credentials& mine);

// "Basic <base64(user:password)>" -> credentials; nullopt when malformed.
std::optional<Credentials> parse_basic_auth(std::string_view authorization);

class Authenticator {
 public:
  // REQUIRES: user is not empty and contains no ':'.
  void allow(const Credentials& c);
  bool empty() const { return allowed_.empty(); }
  // The user name when `authorization` (the header's value) carries allowed credentials.
  // Every allowed entry is compared, in constant time each.
  std::optional<std::string> check(std::string_view authorization) const;

 private:
  struct Entry {
    std::string user;
    std::array<std::uint8_t, 32> digest;  // SHA-256("user:password")
  };
  std::vector<Entry> allowed_;
};

}  // namespace tally::rpc
