// tally-cli against a real tallyd (a test chain with trivial proof-of-work and the devnet's
// funded keys): RPC calls and their errors, keys, signing, sending a transaction that gets
// mined, and decoding.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <memory>

#include "tests/e2e/process.h"

namespace tally::e2e {
namespace {

namespace json = boost::json;

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_.start("tally-cli-test", {"--rpcuser", "carol", "--rpcpassword", "hunter2"}, kFastChainId, /*blocks=*/2);
  }
  static void TearDownTestSuite() { suite_.stop(); }
  void SetUp() override { ASSERT_TRUE(suite_.error.empty()) << suite_.error; }

  // tally-cli with the node's datadir and the test chain spec.
  static RunResult cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {tally_cli_path(), "--datadir", suite_.node->datadir().string(), "--chain",
                                     suite_.spec.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // tally-cli with nothing but `args` (default datadir, embedded devnet spec).
  static RunResult bare_cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {tally_cli_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    // A HOME without a ~/.tally keeps the default datadir empty and predictable.
    SpawnOptions options;
    options.env = {{"HOME", (suite_.dir->path() / "home").string()}};
    return run(argv, 30s, options);
  }
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  static json::value parse(const RunResult& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << "not JSON: " << r.out;
    return v;
  }

  static SuiteNode suite_;
};

SuiteNode Cli::suite_;

TEST_F(Cli, GetBlockCountPrintsTheHeight) {
  const RunResult r = cli({"getblockcount"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GE(std::stoi(r.out), 2);
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(Cli, JsonArgumentsAndPrettyResults) {
  // A number argument; a string result is printed raw.
  const RunResult hash = cli({"getblockhash", "1"});
  ASSERT_EQ(hash.exit_code, 0) << hash.err;
  const std::string h = trimmed(hash.out);
  ASSERT_EQ(h.size(), 64u) << hash.out;

  // A string and a number; an object result is indented JSON.
  const RunResult block = cli({"getblock", h, "2"});
  ASSERT_EQ(block.exit_code, 0) << block.err;
  EXPECT_NE(block.out.find("\n  \"hash\": \"" + h + "\""), std::string::npos) << block.out;
  const json::value b = parse(block);
  EXPECT_EQ(b.at("height").as_int64(), 1);
  EXPECT_TRUE(b.at("tx").as_array().at(0).is_object());  // verbosity 2: whole transactions

  // JSON booleans, and named arguments.
  const RunResult header = cli({"getblockheader", h, "false"});
  ASSERT_EQ(header.exit_code, 0) << header.err;
  EXPECT_EQ(trimmed(header.out).size(), 232u);
  const RunResult named = cli({"--named", "getblock", "blockhash=" + h, "verbosity=0"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_GT(trimmed(named.out).size(), 232u);

  // An array argument.
  const RunResult test = cli({"testmempoolaccept", "[\"00\"]"});
  EXPECT_EQ(test.exit_code, 1);
  EXPECT_NE(test.err.find("error code: -22"), std::string::npos) << test.err;
}

TEST_F(Cli, RpcErrorsExitOneWithCodeAndMessage) {
  const RunResult r = cli({"getblockhash", "99999"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err, "error code: -8\nerror message:\nBlock height out of range\n");

  const RunResult unknown = cli({"nosuchmethod"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("error code: -32601"), std::string::npos) << unknown.err;

  const RunResult wrong_type = cli({"getblockhash", "\"one\""});
  EXPECT_EQ(wrong_type.exit_code, 1);
  EXPECT_NE(wrong_type.err.find("error code: -32602"), std::string::npos) << wrong_type.err;
}

TEST_F(Cli, ConnectionAndAuthFailuresExitOne) {
  const RunResult refused =
      bare_cli({"--rpcport", std::to_string(free_port()), "--rpcuser", "u", "--rpcpassword", "p", "getblockcount"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("cannot connect"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("Make sure tallyd is running"), std::string::npos) << refused.err;

  const RunResult no_cookie = bare_cli({"getblockcount"});
  EXPECT_EQ(no_cookie.exit_code, 1);
  EXPECT_NE(no_cookie.err.find(".cookie"), std::string::npos) << no_cookie.err;

  const RunResult wrong = cli({"--rpcuser", "carol", "--rpcpassword", "wrong", "getblockcount"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("401"), std::string::npos) << wrong.err;

  const RunResult bad_option = bare_cli({"--nosuchoption", "getblockcount"});
  EXPECT_EQ(bad_option.exit_code, 1);
  EXPECT_NE(bad_option.err.find("--nosuchoption"), std::string::npos) << bad_option.err;
}

TEST_F(Cli, UserPasswordAndExplicitPortWork) {
  // No datadir: the port comes from --rpcport, credentials from --rpcuser/--rpcpassword.
  const RunResult r = bare_cli({"--chain", suite_.spec.string(), "--rpcport", std::to_string(suite_.node->rpc_port()),
                                "--rpcuser", "carol", "--rpcpassword", "hunter2", "getbestblockhash"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(trimmed(r.out).size(), 64u);
}

TEST_F(Cli, HealthNeedsNoCredentialsAndFailsWhenNoNodeAnswers) {
  const RunResult ok = bare_cli({"--rpcport", std::to_string(suite_.node->rpc_port()), "health"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("\"status\":\"ok\""), std::string::npos) << ok.out;
  const RunResult down = bare_cli({"--rpcport", std::to_string(free_port()), "health"});
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("health"), std::string::npos) << down.err;
  EXPECT_EQ(bare_cli({"health", "extra"}).exit_code, 1);
}

TEST_F(Cli, KeygenWritesAPrivateKeyFileAndNeverOverwrites) {
  const fs::path file = suite_.dir->path() / "keygen.json";
  const RunResult r = cli({"keygen", "--out", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st{};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const json::value key = json::parse(read_text(file));
  const std::string address(key.at("address").as_string());
  EXPECT_EQ(trimmed(r.out), address);
  EXPECT_EQ(key.at("secret_key").as_string().size(), 64u);
  EXPECT_EQ(key.at("public_key").as_string().size(), 64u);

  const RunResult addr = cli({"address", file.string()});
  ASSERT_EQ(addr.exit_code, 0) << addr.err;
  EXPECT_EQ(trimmed(addr.out), address);
  const RunResult from_hex = cli({"address", std::string(key.at("secret_key").as_string())});
  EXPECT_EQ(trimmed(from_hex.out), address);

  const std::string before = read_text(file);
  const RunResult again = cli({"keygen", "--out", file.string()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("refusing to overwrite"), std::string::npos) << again.err;
  EXPECT_EQ(read_text(file), before);

  // Without --out the key is printed.
  const RunResult printed = cli({"keygen"});
  ASSERT_EQ(printed.exit_code, 0);
  EXPECT_EQ(parse(printed).at("secret_key").as_string().size(), 64u);
}

TEST_F(Cli, DevnetKeysMatchThePublishedList) {
  const auto keys = devnet_keys();
  ASSERT_EQ(keys.size(), 10u);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const RunResult r = bare_cli({"address", "devnet:" + std::to_string(i)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(trimmed(r.out), keys[i].address) << "devnet:" << i;
  }
  EXPECT_EQ(bare_cli({"address", "devnet:x"}).exit_code, 1);
  EXPECT_EQ(bare_cli({"address", "/no/such/file"}).exit_code, 1);
}

TEST_F(Cli, SendFromADevnetKeyIsMined) {
  const fs::path file = suite_.dir->path() / "recipient.json";
  const RunResult gen = cli({"keygen", "--out", file.string()});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const std::string to = trimmed(gen.out);

  // Two sends in a row: the second takes the nonce after the pooled first one.
  const RunResult first = cli({"send", "--key", "devnet:1", "--to", to, "--amount", "1.5tly"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const std::string txid = trimmed(first.out);
  ASSERT_EQ(txid.size(), 64u) << first.out;
  const RunResult second = cli({"send", "--key", "devnet:1", "--to", to, "--amount", "250", "--fee", "2000"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const std::string txid2 = trimmed(second.out);

  const RunResult pool = cli({"getrawmempool"});
  EXPECT_NE(pool.out.find(txid), std::string::npos) << pool.out;
  EXPECT_NE(pool.out.find(txid2), std::string::npos) << pool.out;

  const RunResult mined = cli({"generate", "1"});
  ASSERT_EQ(mined.exit_code, 0) << mined.err;

  const json::value account = parse(cli({"getaccount", to}));
  EXPECT_EQ(account.at("balance").to_number<std::uint64_t>(), 150'000'000u + 250u);
  EXPECT_EQ(account.at("nonce").to_number<std::uint64_t>(), 0u);

  const RunResult tx = cli({"getrawtransaction", txid, "true"});
  ASSERT_EQ(tx.exit_code, 0) << tx.err;
  const json::value t = parse(tx);
  EXPECT_GE(t.at("confirmations").as_int64(), 1);
  EXPECT_EQ(t.at("to").as_string(), to);
  EXPECT_EQ(t.at("amount").to_number<std::uint64_t>(), 150'000'000u);
  EXPECT_EQ(t.at("in_mempool").as_bool(), false);
  EXPECT_EQ(parse(cli({"getrawtransaction", txid2, "true"})).at("fee").to_number<std::uint64_t>(), 2000u);

  // The recipient can spend what it received, with its key file.
  const RunResult back = cli({"send", "--key", file.string(), "--to", devnet_keys()[1].address, "--amount", "1000"});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  // More than the balance: the node refuses, the CLI reports the RPC error.
  const RunResult too_much = cli({"send", "--key", file.string(), "--to", devnet_keys()[1].address, "--amount", "2tly"});
  EXPECT_EQ(too_much.exit_code, 1);
  EXPECT_NE(too_much.err.find("error code: -26"), std::string::npos) << too_much.err;
}

TEST_F(Cli, SendRefusesAnotherChain) {
  // Without --chain the CLI signs for the embedded devnet (chain id 7077); the node runs 7177.
  const RunResult r = bare_cli({"--datadir", suite_.node->datadir().string(), "send", "--key", "devnet:2", "--to",
                                devnet_keys()[3].address, "--amount", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("chain id 7177"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--chain"), std::string::npos) << r.err;
}

TEST_F(Cli, SignOfflineAndDecode) {
  const std::string to = devnet_keys()[4].address;
  const RunResult signed_tx = cli({"sign", "--key", "devnet:3", "--to", to, "--amount", "0.25tly", "--fee", "1500",
                                   "--nonce", "7"});
  ASSERT_EQ(signed_tx.exit_code, 0) << signed_tx.err;
  const std::string hex = trimmed(signed_tx.out);
  ASSERT_EQ(hex.size(), 288u);

  const json::value tx = parse(cli({"decode", hex}));
  EXPECT_EQ(tx.at("from").as_string(), devnet_keys()[3].address);
  EXPECT_EQ(tx.at("to").as_string(), to);
  EXPECT_EQ(tx.at("amount").to_number<std::uint64_t>(), 25'000'000u);
  EXPECT_EQ(tx.at("fee").to_number<std::uint64_t>(), 1500u);
  EXPECT_EQ(tx.at("nonce").to_number<std::uint64_t>(), 7u);
  EXPECT_EQ(tx.at("chain_id").to_number<std::uint32_t>(), 7177u);
  EXPECT_TRUE(tx.at("signature_valid").as_bool());

  // The node's own view of a block, decoded offline.
  const std::string hash = trimmed(cli({"getblockhash", "1"}).out);
  const std::string block_hex = trimmed(cli({"getblock", hash, "0"}).out);
  const RunResult decoded = cli({"decode", block_hex});
  ASSERT_EQ(decoded.exit_code, 0) << decoded.err;
  const json::value block = parse(decoded);
  EXPECT_EQ(block.at("hash").as_string(), hash);
  EXPECT_EQ(block.at("height").as_int64(), 1);
  EXPECT_TRUE(block.at("merkleroot_valid").as_bool());
  EXPECT_TRUE(block.at("pow_valid").as_bool());
  EXPECT_TRUE(block.at("tx").as_array().at(0).at("coinbase").as_bool());
  const json::value header = parse(cli({"decode", trimmed(cli({"getblockheader", hash, "false"}).out)}));
  EXPECT_EQ(header.at("hash").as_string(), hash);

  const RunResult bad = cli({"decode", "abcd"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_FALSE(bad.err.empty());
  EXPECT_EQ(cli({"sign", "--key", "devnet:3", "--to", to, "--amount", "1.123456789tly", "--nonce", "0"}).exit_code, 1);
  EXPECT_EQ(cli({"sign", "--key", "devnet:3", "--to", "tly1qqqq", "--amount", "1", "--nonce", "0"}).exit_code, 1);
  EXPECT_EQ(cli({"sign", "--key", "devnet:3", "--amount", "1"}).exit_code, 1);
}

TEST_F(Cli, RpcWaitWaitsForTheNodeToStart) {
  TempDir dir("tally-cli-wait");
  const fs::path datadir = dir / "late";
  // Started before the node exists: it waits for the cookie and node.json, then calls.
  SpawnOptions o;
  o.out = Redirect::to_file(dir / "out");
  o.err = Redirect::to_file(dir / "err");
  support::Child waiting = spawn({tally_cli_path(), "--datadir", datadir.string(), "--chain", suite_.spec.string(),
                                    "--rpcwait", "--rpcwaittimeout", "30", "getblockcount"},
                                   o);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(waiting.running());
  TallydProcess late(datadir, {"--chain", suite_.spec.string()});
  ASSERT_TRUE(late.start()) << read_text(late.stderr_path());
  EXPECT_EQ(waiting.wait(20s), 0) << read_text(dir / "err");
  EXPECT_EQ(trimmed(read_text(dir / "out")), "0");
  EXPECT_EQ(late.stop(), 0);

  // With nobody to wait for it gives up after --rpcwaittimeout.
  const auto start = std::chrono::steady_clock::now();
  const RunResult gave_up = bare_cli({"--datadir", datadir.string(), "--rpcwait", "--rpcwaittimeout", "1",
                                      "getblockcount"});
  EXPECT_EQ(gave_up.exit_code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST_F(Cli, HelpDocumentsEverything) {
  const RunResult r = bare_cli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"--datadir", "--rpcport", "--rpcconnect", "--rpcuser", "--chain", "keygen", "address",
                           "sign", "send", "decode", "devnet:N", "1.5tly"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  const RunResult rpc_help = cli({"help"});
  ASSERT_EQ(rpc_help.exit_code, 0) << rpc_help.err;
  EXPECT_NE(rpc_help.out.find("getblockcount"), std::string::npos);
  EXPECT_EQ(bare_cli({}).exit_code, 1);
}

}  // namespace
}  // namespace tally::e2e
