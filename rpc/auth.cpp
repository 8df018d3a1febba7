// Cookie file and HTTP Basic authentication.
#include "rpc/auth.h"

#include <cryptopp/misc.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crypto/base64.h"
#include "crypto/hex.h"
#include "crypto/hmac.h"
#include "crypto/random.h"
#include "crypto/sha256.h"

namespace tally::rpc {

namespace {

std::array<std::uint8_t, 32> digest_of(std::string_view user, std::string_view password) {
  std::string joined;
  joined.reserve(user.size() + 1 + password.size());
  joined.append(user).append(":").append(password);
  const auto h = crypto::sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(joined.data()), joined.size()));
  return h.bytes;
}

std::array<std::uint8_t, 32> hmac_of(std::string_view salt, std::string_view password) {
  return crypto::hmac_sha256(crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                             crypto::ByteSpan(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()))
      .bytes;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::expected<Credentials, std::string> write_cookie(const std::filesystem::path& datadir) {
  std::array<std::uint8_t, 32> secret{};
  crypto::random_bytes(secret);
  Credentials c{std::string(kCookieUser), crypto::to_hex(crypto::ByteSpan(secret.data(), secret.size()))};
  const std::string content = c.user + ":" + c.password;

  const std::filesystem::path file = datadir / kCookieFileName;
  const std::filesystem::path tmp = datadir / (std::string(kCookieFileName) + ".tmp");
  std::error_code ignored;
  std::filesystem::remove(tmp, ignored);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return std::unexpected("cannot create " + tmp.string() + ": " + errno_text());
  // The umask cannot widen 0600, but an inherited ACL default could: set it explicitly.
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t written = 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  const std::string write_error = ok ? "" : errno_text();
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(tmp, ignored);
    return std::unexpected("cannot write " + tmp.string() + ": " + write_error);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::filesystem::remove(tmp, ignored);
    return std::unexpected("cannot rename cookie into " + file.string() + ": " + ec.message());
  }
  return c;
}

std::expected<Credentials, std::string> read_cookie(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::unexpected("cannot read " + file.string());
  std::string line;
  std::getline(in, line);
  const std::size_t colon = line.find(':');
  if (colon == std::string::npos) return std::unexpected(file.string() + " is not a cookie file (no ':')");
  return Credentials{line.substr(0, colon), line.substr(colon + 1)};
}

void remove_cookie(const std::filesystem::path& datadir, const Credentials& mine) {
  const std::filesystem::path file = datadir / kCookieFileName;
  auto current = read_cookie(file);
  if (current && current->user == mine.user && current->password == mine.password) {
    std::error_code ec;
    std::filesystem::remove(file, ec);
  }
}

std::expected<HashedCredentials, std::string> parse_rpcauth(std::string_view line) {
  const std::size_t colon = line.find(':');
  const std::size_t dollar = line.rfind('$');
  if (colon == std::string_view::npos || dollar == std::string_view::npos || dollar < colon)
    return std::unexpected("expected user:salt$hmac (hex HMAC-SHA256 of the password, keyed by the salt)");
  HashedCredentials c;
  c.user = std::string(line.substr(0, colon));
  c.salt = std::string(line.substr(colon + 1, dollar - colon - 1));
  if (c.user.empty()) return std::unexpected("the user name is empty");
  if (c.salt.empty()) return std::unexpected("the salt is empty");
  auto hmac = crypto::from_hex(line.substr(dollar + 1));
  if (!hmac || hmac->size() != 32) return std::unexpected("the hmac must be 64 hex digits");
  std::copy(hmac->begin(), hmac->end(), c.hmac.begin());
  return c;
}

std::string rpcauth_line(std::string_view user, std::string_view password, std::string_view salt) {
  const auto h = hmac_of(salt, password);
  return std::string(user) + ":" + std::string(salt) + "$" + crypto::to_hex(crypto::ByteSpan(h.data(), h.size()));
}

std::optional<Credentials> parse_basic_auth(std::string_view authorization) {
  // Scheme names are case-insensitive (RFC 7235); one or more spaces follow.
  if (authorization.size() < 6) return std::nullopt;
  std::string scheme(authorization.substr(0, 5));
  for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme != "basic" || authorization[5] != ' ') return std::nullopt;
  std::string_view token = authorization.substr(6);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  auto decoded = crypto::base64_decode(token);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

void Authenticator::allow(const Credentials& c) {
  if (c.user.empty() || c.user.find(':') != std::string::npos)
    throw std::invalid_argument("RPC user names must be non-empty and must not contain ':'");
  allowed_.push_back(Entry{c.user, digest_of(c.user, c.password), std::nullopt});
}

void Authenticator::allow_hashed(const HashedCredentials& c) {
  if (c.user.empty() || c.user.find(':') != std::string::npos)
    throw std::invalid_argument("RPC user names must be non-empty and must not contain ':'");
  allowed_.push_back(Entry{c.user, c.hmac, c.salt});
}

std::optional<std::string> Authenticator::check(std::string_view authorization) const {
  auto given = parse_basic_auth(authorization);
  if (!given) return std::nullopt;
  const auto digest = digest_of(given->user, given->password);
  std::optional<std::string> user;
  for (const Entry& e : allowed_) {
    // No early exit: every entry costs the same whatever matched.
    if (e.salt) {
      const auto hmac = hmac_of(*e.salt, given->password);
      const bool same_user = given->user.size() == e.user.size() &&
                             CryptoPP::VerifyBufsEqual(reinterpret_cast<const CryptoPP::byte*>(given->user.data()),
                                                       reinterpret_cast<const CryptoPP::byte*>(e.user.data()),
                                                       e.user.size());
      if (CryptoPP::VerifyBufsEqual(e.digest.data(), hmac.data(), hmac.size()) && same_user && !user) user = e.user;
      continue;
    }
    if (CryptoPP::VerifyBufsEqual(e.digest.data(), digest.data(), digest.size()) && !user) user = e.user;
  }
  return user;
}

}  // namespace tally::rpc
