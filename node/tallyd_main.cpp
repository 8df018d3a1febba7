// tallyd: the Tally full node daemon. See `tallyd --help` and README.md.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include <pthread.h>
#include <unistd.h>

#include "node/config.h"
#include "node/node.h"

int main(int argc, char** argv) {
  auto parsed = tally::node::parse_config(argc, argv);
  if (!parsed) {
    std::cerr << "tallyd: error: " << parsed.error() << "\n";
    return 1;
  }
  if (parsed->exit_now) return 0;

  // Signals are taken by one thread with sigwait: the first SIGINT/SIGTERM asks for a clean
  // shutdown, a second one forces the exit. Every thread started after this inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  tally::node::Node node(parsed->config);
  if (auto r = node.start(); !r) {
    std::cerr << "tallyd: error: " << r.error() << "\n";
    return 1;
  }
  std::thread signal_thread([&] {
    int received = 0;
    for (int count = 0;; ++count) {
      if (sigwait(&signals, &received) != 0) continue;
      if (count == 0) {
        node.request_stop();
      } else {
        static const char kMsg[] = "tallyd: second signal, exiting now\n";
        (void)!write(2, kMsg, sizeof kMsg - 1);
        _exit(130);
      }
    }
  });
  signal_thread.detach();
  node.wait_for_stop();
  node.shutdown();
  if (auto failure = node.failure()) {
    // Also on stderr: with a full disk, debug.log may not take the line.
    std::cerr << "tallyd: error: " << *failure
              << "\ntallyd: stopped; every block written before the failure is kept: fix the cause (free disk space, "
                 "restore a damaged datadir) and start again\n";
    return 1;
  }
  return 0;
}
