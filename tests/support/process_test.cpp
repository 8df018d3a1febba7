// support::Child and support::run: capture, exit codes, exec failures as errors, environment,
// working directory, redirects, timeouts and kills, sessions and process groups,
// descriptor hygiene, and the signal a child gets when the thread that spawned it dies.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/process.h"
#include "support/temp_dir.h"

namespace tally::support {
namespace {

using namespace std::chrono_literals;

SpawnOptions shell(const std::string& script) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.out = Redirect::capture();
  o.err = Redirect::capture();
  return o;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True once `pid` no longer runs (gone, or a zombie nobody reaped yet).
bool gone(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!stat || !std::getline(stat, line)) return true;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(SupportProcess, CapturesStdoutAndStderrApart) {
  auto r = run(shell("echo out; echo err >&2; echo more"), 10s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "out\nmore\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SupportProcess, CapturesLargeOutputWithoutBlocking) {
  // More than a pipe holds (64 KiB) on both streams at once.
  auto r = run(shell("i=0; while [ $i -lt 3000 ]; do echo 0123456789012345678901234567890123456789; "
                     "echo abcdefghijabcdefghijabcdefghijabcdefghij >&2; i=$((i+1)); done"),
               30s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), 3000u * 41);
  EXPECT_EQ(r->err.size(), 3000u * 41);
}

TEST(SupportProcess, StderrCanJoinStdout) {
  SpawnOptions o = shell("echo a; echo b >&2");
  o.err = Redirect::to_stdout();
  auto r = run(o, 10s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->out, "a\nb\n");
  EXPECT_EQ(r->err, "");
}

TEST(SupportProcess, ExitCodesAndSignals) {
  auto seven = run(shell("exit 7"), 10s);
  ASSERT_TRUE(seven) << seven.error();
  EXPECT_EQ(seven->exit_code, 7);
  auto killed = run(shell("kill -9 $$"), 10s);
  ASSERT_TRUE(killed) << killed.error();
  EXPECT_EQ(killed->exit_code, 128 + SIGKILL);
}

TEST(SupportProcess, ExecFailuresAreErrors) {
  SpawnOptions missing;
  missing.argv = {"/nonexistent/tally-program", "x"};
  auto a = Child::spawn(missing);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().find("/nonexistent/tally-program"), std::string::npos) << a.error();

  SpawnOptions unknown;
  unknown.argv = {"tally-no-such-program-anywhere"};
  auto b = Child::spawn(unknown);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().find("tally-no-such-program-anywhere"), std::string::npos) << b.error();

  // An executable file exec refuses (no interpreter line, not ELF): the exec error itself.
  TempDir dir("tally-process-test");
  const auto script = dir / "not-a-program";
  std::ofstream(script) << "\x01\x02\x03 garbage";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  SpawnOptions bad;
  bad.argv = {script.string()};
  auto c = Child::spawn(bad);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().find("exec failed"), std::string::npos) << c.error();

  SpawnOptions bad_cwd = shell("true");
  bad_cwd.cwd = dir / "no-such-dir";
  auto d = Child::spawn(bad_cwd);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().find("no-such-dir"), std::string::npos) << d.error();

  SpawnOptions bad_file = shell("true");
  bad_file.out = Redirect::to_file(dir / "no-such-dir" / "log");
  auto e = Child::spawn(bad_file);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().find("cannot open"), std::string::npos) << e.error();

  EXPECT_FALSE(Child::spawn(SpawnOptions{}));
}

TEST(SupportProcess, EnvironmentIsInheritedWithOverrides) {
  ::setenv("TALLY_PROCESS_TEST_KEPT", "kept", 1);
  ::setenv("TALLY_PROCESS_TEST_REPLACED", "old", 1);
  SpawnOptions o = shell("printf '%s %s %s' \"$TALLY_PROCESS_TEST_KEPT\" \"$TALLY_PROCESS_TEST_REPLACED\" "
                         "\"$TALLY_PROCESS_TEST_NEW\"");
  o.env = {{"TALLY_PROCESS_TEST_REPLACED", "new"}, {"TALLY_PROCESS_TEST_NEW", "added"}};
  auto r = run(o, 10s);
  ::unsetenv("TALLY_PROCESS_TEST_KEPT");
  ::unsetenv("TALLY_PROCESS_TEST_REPLACED");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->out, "kept new added");
}

TEST(SupportProcess, WorkingDirectoryStdinAndFiles) {
  TempDir dir("tally-process-test");
  SpawnOptions o = shell("pwd; cat; echo done");  // cat reads /dev/null: ends at once
  o.cwd = dir.path();
  auto r = run(o, 10s);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->out, std::filesystem::canonical(dir.path()).string() + "\ndone\n");

  std::ofstream(dir / "input") << "from a file\n";
  SpawnOptions from_file = shell("cat");
  from_file.stdin_from = dir / "input";
  EXPECT_EQ(run(from_file, 10s)->out, "from a file\n");

  SpawnOptions to_file = shell("echo one; echo two >&2");
  to_file.out = Redirect::to_file(dir / "log");
  to_file.err = Redirect::append_to(dir / "log");
  ASSERT_EQ(run(to_file, 10s)->exit_code, 0);
  SpawnOptions append = shell("echo three");
  append.out = Redirect::append_to(dir / "log");
  append.err = Redirect::null();
  ASSERT_EQ(run(append, 10s)->exit_code, 0);
  const std::string log = read_all(dir / "log");
  EXPECT_NE(log.find("three\n"), std::string::npos) << log;
  EXPECT_NE(log.find("two\n"), std::string::npos) << log;
}

TEST(SupportProcess, TimeoutKillsTheChild) {
  const auto start = std::chrono::steady_clock::now();
  auto r = run(shell("echo started; exec sleep 30"), 300ms);
  ASSERT_TRUE(r) << r.error();
  EXPECT_FALSE(r->exit_code);
  EXPECT_EQ(r->out, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(SupportProcess, StopEscalatesToSigkill) {
  // The shell ignores SIGTERM; stop() must still end it within its grace.
  auto c = Child::spawn(shell("trap '' TERM; echo ready; while :; do sleep 0.05; done"));
  ASSERT_TRUE(c) << c.error();
  ASSERT_TRUE(eventually([&] { return c->running() && c->out() == "ready\n"; }, 10s)) << c->out();
  EXPECT_EQ(c->wait(100ms), std::nullopt);
  EXPECT_EQ(c->stop(200ms), 128 + SIGKILL);
  EXPECT_FALSE(c->running());
  EXPECT_EQ(c->exit_code(), 128 + SIGKILL);
  EXPECT_TRUE(gone(c->pid()));
}

TEST(SupportProcess, DestructorStopsAndReleaseLetsGo) {
  int pid = 0;
  {
    auto c = Child::spawn(shell("exec sleep 30"));
    ASSERT_TRUE(c) << c.error();
    pid = c->pid();
    EXPECT_TRUE(c->running());
  }
  EXPECT_TRUE(gone(pid));  // reaped by the destructor: no zombie left

  auto d = Child::spawn(shell("exec sleep 30"));
  ASSERT_TRUE(d) << d.error();
  const int released = d->release();
  d = Child();  // no longer ours to stop
  EXPECT_FALSE(gone(released));
  ::kill(released, SIGKILL);
  int st = 0;
  EXPECT_EQ(::waitpid(released, &st, 0), released);
}

TEST(SupportProcess, NewSessionAndGroupSignal) {
  SpawnOptions o = shell("sleep 30 & echo $!; cut -d' ' -f6 /proc/$$/stat; wait");
  o.new_session = true;
  auto c = Child::spawn(o);
  ASSERT_TRUE(c) << c.error();
  ASSERT_TRUE(eventually([&] { c->running(); return std::count(c->out().begin(), c->out().end(), '\n') >= 2; }, 10s))
      << c->out();
  std::istringstream lines(c->out());
  int helper = 0, session = 0;
  lines >> helper >> session;
  EXPECT_EQ(session, c->pid());  // its own session (and group)
  c->signal_group(SIGKILL);
  EXPECT_EQ(c->wait(10s), 128 + SIGKILL);
  EXPECT_TRUE(eventually([&] { return gone(helper); }, 10s)) << "the group's helper survived";
}

TEST(SupportProcess, NoDescriptorLeaksIntoTheChild) {
  const int leaky = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 3);
  auto r = run(shell("ls /proc/$$/fd"), 10s);
  ::close(leaky);
  ASSERT_TRUE(r) << r.error();
  std::istringstream fds(r->out);
  for (int fd; fds >> fd;) EXPECT_LT(fd, 3) << "descriptor " << fd << " leaked; all: " << r->out;
}

TEST(SupportProcess, DiesWithTheSpawningThread) {
  int pid = 0;
  std::thread spawner([&] {
    SpawnOptions o = shell("exec sleep 30");
    o.parent_death_signal = SIGKILL;
    auto c = Child::spawn(o);
    if (c) pid = c->release();  // the thread ends; the kernel sends SIGKILL
  });
  spawner.join();
  ASSERT_GT(pid, 0);
  int st = 0;
  ASSERT_TRUE(eventually([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, 10s));
  EXPECT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGKILL);
}

TEST(SupportProcess, FindProgram) {
  EXPECT_FALSE(find_program("sh").empty());
  EXPECT_TRUE(find_program("sh").is_absolute());
  EXPECT_TRUE(find_program("tally-no-such-program-anywhere").empty());
  EXPECT_EQ(find_program("/bin/sh"), std::filesystem::path("/bin/sh"));
  EXPECT_TRUE(find_program("/nonexistent/sh").empty());
  EXPECT_EQ(command_line({"ip", "netns", "exec", "a b"}), "ip netns exec 'a b'");
}

}  // namespace
}  // namespace tally::support
