// tally-cli's pure parts, in process: the command line, JSON arguments, amounts, the pretty
// printer and key loading.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "crypto/hex.h"
#include "cli/args.h"
#include "cli/keys.h"
#include "tests/e2e/process.h"

namespace tally::cli {
namespace {

namespace json = boost::json;

std::expected<CliOptions, std::string> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tally-cli");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_cli(static_cast<int>(argv.size()), argv.data());
}

TEST(CliArgs, Amounts) {
  EXPECT_EQ(parse_amount("0"), 0u);
  EXPECT_EQ(parse_amount("150000000"), 150000000u);
  EXPECT_EQ(parse_amount("1tly"), 100000000u);
  EXPECT_EQ(parse_amount("1.5TLY"), 150000000u);
  EXPECT_EQ(parse_amount(".5tly"), 50000000u);
  EXPECT_EQ(parse_amount("0.00000001tly"), 1u);
  EXPECT_EQ(parse_amount("18446744073709551615"), 18446744073709551615u);
  EXPECT_EQ(parse_amount("184467440737.09551615tly"), 18446744073709551615u);
  for (const char* bad : {"", "tly", ".tly", "1.5", "-1", "+1", "1e3", "0x10", "1 tly", "1.5btc", "0.000000001tly",
                          "18446744073709551616", "184467440737.09551616tly", "184467440738tly", "1..5tly"})
    EXPECT_FALSE(parse_amount(bad)) << bad;
}

TEST(CliArgs, JsonArguments) {
  EXPECT_EQ(parse_json_arg("1"), json::value(1));
  EXPECT_EQ(parse_json_arg("-1"), json::value(-1));
  EXPECT_EQ(parse_json_arg("true"), json::value(true));
  EXPECT_EQ(parse_json_arg("null"), json::value(nullptr));
  EXPECT_EQ(parse_json_arg("[1,\"a\"]"), (json::array{1, "a"}));
  EXPECT_EQ(parse_json_arg("{\"a\":1}"), (json::object{{"a", 1}}));
  EXPECT_EQ(parse_json_arg("\"7\""), json::value("7"));
  EXPECT_EQ(parse_json_arg("abc"), json::value("abc"));
  EXPECT_EQ(parse_json_arg(""), json::value(""));
  EXPECT_EQ(parse_json_arg("tly1s7ph7lf8xm3ru5mxpmaevshavtkqlugj6t2msn"),
            json::value("tly1s7ph7lf8xm3ru5mxpmaevshavtkqlugj6t2msn"));
  // Hashes: hex with leading zeros is not JSON; all-digit hashes must not become numbers.
  const std::string digits(64, '1');
  EXPECT_EQ(parse_json_arg(digits), json::value(digits));
  EXPECT_EQ(parse_json_arg("00ab"), json::value("00ab"));
}

TEST(CliArgs, PrettyJson) {
  EXPECT_EQ(pretty_json(json::parse(R"({"a":1,"b":[true,null,{}],"c":[],"d":"x","e":1.5})")),
            "{\n  \"a\": 1,\n  \"b\": [\n    true,\n    null,\n    {}\n  ],\n  \"c\": [],\n  \"d\": \"x\",\n"
            "  \"e\": 1.5\n}");
  EXPECT_EQ(pretty_json(json::value(1.0)), "1");
  EXPECT_EQ(pretty_json(json::value("a\"b")), "\"a\\\"b\"");
}

TEST(CliArgs, GlobalOptionsAndCommand) {
  auto o = parse({"--datadir", "/d", "--rpcport=1234", "-rpcconnect=10.0.0.1", "--named", "getblock", "h", "-1",
                  "--not-an-option-here"});
  ASSERT_TRUE(o) << o.error();
  EXPECT_EQ(o->datadir, std::filesystem::path("/d"));
  EXPECT_EQ(o->rpcport, 1234);
  EXPECT_EQ(o->rpcconnect, "10.0.0.1");
  EXPECT_TRUE(o->named);
  EXPECT_EQ(o->command, "getblock");
  EXPECT_EQ(o->args, (std::vector<std::string>{"h", "-1", "--not-an-option-here"}));

  EXPECT_TRUE(parse({"--help"})->help);
  EXPECT_TRUE(parse({})->command.empty());
  EXPECT_EQ(parse({"-1"})->command, "-1");  // a number is never an option
  EXPECT_FALSE(parse({"--rpcport", "0", "x"}));
  EXPECT_FALSE(parse({"--rpcport", "70000", "x"}));
  EXPECT_FALSE(parse({"--rpcport"}));
  EXPECT_FALSE(parse({"--rpcpassword", "p", "x"}));
  EXPECT_FALSE(parse({"--bogus", "x"}));
  EXPECT_FALSE(parse({"--named=maybe", "x"}));
  EXPECT_FALSE(parse({"--timeout", "0", "x"}));
  auto user = parse({"--rpcuser", "u", "--rpcpassword", "p", "--rpcwait", "--rpcwaittimeout", "5", "x"});
  ASSERT_TRUE(user);
  EXPECT_EQ(user->rpcuser, "u");
  EXPECT_EQ(user->rpcpassword, "p");
  EXPECT_TRUE(user->rpcwait);
  EXPECT_EQ(user->rpcwait_timeout_s, 5);
}

TEST(CliArgs, CommandOptions) {
  auto a = parse_command_args({"--key", "devnet:1", "--to=tly1x", "extra"}, {"key", "to"});
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->get("key"), "devnet:1");
  EXPECT_EQ(a->get("to"), "tly1x");
  EXPECT_FALSE(a->get("amount"));
  EXPECT_EQ(a->positional, std::vector<std::string>{"extra"});
  EXPECT_FALSE(parse_command_args({"--nope", "1"}, {"key"}));
  EXPECT_FALSE(parse_command_args({"--key"}, {"key"}));
  EXPECT_FALSE(parse_command_args({"--key", "a", "--key", "b"}, {"key"}));
}

TEST(CliKeys, DevnetKeysAndKeyFiles) {
  const auto published = e2e::devnet_keys();
  for (std::size_t i = 0; i < published.size(); ++i) {
    const crypto::SecretKey k = devnet_key(i);
    EXPECT_EQ(crypto::to_hex(crypto::ByteSpan(k.bytes().data(), 32)), published[i].secret_key);
    EXPECT_EQ(key_json(k, "tly").at("address").as_string(), published[i].address);
  }
  EXPECT_TRUE(load_key("devnet:0"));
  EXPECT_FALSE(load_key("devnet:"));
  EXPECT_FALSE(load_key("devnet:-1"));
  EXPECT_TRUE(load_key(published[3].secret_key));
  EXPECT_FALSE(load_key(std::string(64, '0')));  // zero is not a key
  EXPECT_FALSE(load_key(std::string(64, 'g')));

  e2e::TempDir dir;
  const auto file = dir / "k.json";
  const crypto::SecretKey key = crypto::SecretKey::generate();
  ASSERT_TRUE(write_key_file(file, key, "tly"));
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_FALSE(write_key_file(file, key, "tly"));
  auto loaded = load_key(file.string());
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded->bytes(), key.bytes());

  // A bare hex file works; a file whose public key does not match is refused.
  e2e::write_text(dir / "hex.txt", published[2].secret_key + "\n");
  EXPECT_EQ(load_key((dir / "hex.txt").string())->public_key(), devnet_key(2).public_key());
  json::object tampered = key_json(key, "tly");
  tampered["public_key"] = published[0].public_key;
  e2e::write_text(dir / "bad.json", json::serialize(tampered));
  auto bad = load_key((dir / "bad.json").string());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("public_key"), std::string::npos);
  e2e::write_text(dir / "junk.json", "{not json");
  EXPECT_FALSE(load_key((dir / "junk.json").string()));
}

}  // namespace
}  // namespace tally::cli
