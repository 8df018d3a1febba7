// RPC authentication: the cookie file and HTTP Basic credentials.
//
// At start the server writes "<datadir>/.cookie" holding "__cookie__:<64 hex digits>" (a
// fresh random 32-byte password) with mode 0600, and removes it on a clean stop; local tools
// read it to authenticate. Configured --rpcuser/--rpcpassword credentials work alongside.
// Passwords are compared in constant time (over SHA-256 digests, so neither the length nor
// the content of a configured password leaks through timing). --rpcauth gives a user whose
// password the node never sees: "user:salt$hmac", hmac = hex HMAC-SHA256(key = salt,
// message = password), the line Bitcoin Core's rpcauth takes, so a configuration file or a
// Kubernetes Secret mounted into the node need not hold the password itself.
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

// A hashed credential (--rpcauth).
struct HashedCredentials {
  std::string user;
  std::string salt;
  std::array<std::uint8_t, 32> hmac{};  // HMAC-SHA256(key = salt, message = password)
};
// "user:salt$hex-hmac" -> credentials, or why not.
[[nodiscard]] std::expected<HashedCredentials, std::string> parse_rpcauth(std::string_view line);
// The --rpcauth line for this user and password, with this salt (hex, for example 16 random
// bytes): what `tally-devnet k8s` puts in the Secret beside the password for clients.
std::string rpcauth_line(std::string_view user, std::string_view password, std::string_view salt);

// "Basic <base64(user:password)>" -> credentials; nullopt when malformed.
std::optional<Credentials> parse_basic_auth(std::string_view authorization);

class Authenticator {
 public:
  // REQUIRES: user is not empty and contains no ':'.
  void allow(const Credentials& c);
  void allow_hashed(const HashedCredentials& c);
  bool empty() const { return allowed_.empty(); }
  // The user name when `authorization` (the header's value) carries allowed credentials.
  // Every allowed entry is compared, in constant time each.
  std::optional<std::string> check(std::string_view authorization) const;

 private:
  struct Entry {
    std::string user;
    std::array<std::uint8_t, 32> digest;  // SHA-256("user:password"), or the rpcauth HMAC
    std::optional<std::string> salt;      // set for an rpcauth entry
  };
  std::vector<Entry> allowed_;
};

}  // namespace tally::rpc
