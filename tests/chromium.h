// Headless Chromium for tests that render a page (the study report, the devnet dashboard):
// where it is, the flags a closed machine needs (no sandbox as root, no background
// networking, a fresh profile), a bounded run that kills Chromium's helpers too, and the
// console errors it logged. Header-only; thread-safety: none needed.
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.h"

namespace tally::chromium {

// $TALLY_CHROMIUM, else Debian's /usr/bin/chromium (scripts/install-deps.sh installs it).
inline std::string chromium_path() {
  if (const char* env = std::getenv("TALLY_CHROMIUM"); env && *env) return env;
  return "/usr/bin/chromium";
}

struct ChromiumRun {
  bool finished = false;
  std::string out, err;
};

// Runs argv in a session of its own with stdout/stderr captured; after `timeout` the whole
// group (Chromium forks helpers) is killed, and so are helpers left behind after it exits.
inline ChromiumRun run_bounded(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  support::SpawnOptions o;
  o.argv = argv;
  o.out = support::Redirect::capture();
  o.err = support::Redirect::capture();
  o.new_session = true;
  o.parent_death_signal = SIGKILL;
  auto r = support::run(o, timeout);
  if (!r) return ChromiumRun{false, "", r.error()};
  return ChromiumRun{r->exit_code.has_value(), std::move(r->out), std::move(r->err)};
}

inline std::vector<std::string> chromium_args(const std::filesystem::path& profile) {
  return {chromium_path(),
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--user-data-dir=" + profile.string(),
          "--enable-logging=stderr",
          "--v=0"};
}

// Console output as Chromium logs it on stderr ("...:INFO:CONSOLE:1] \"message\", source: ..."),
// uncaught exceptions and failed loads.
inline std::vector<std::string> console_errors(const std::string& err) {
  std::vector<std::string> out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos ||
        line.find("net::ERR_") != std::string::npos)
      out.push_back(line);
  return out;
}

}  // namespace tally::chromium
