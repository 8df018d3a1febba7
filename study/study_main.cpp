// tally-study DIR: analyses a devnet directory's event logs and writes DIR/report.json and
// DIR/report.html (see docs/STUDY.md).
#include <cstdio>
#include <string_view>

#include "study/report.h"

int main(int argc, char** argv) {
  if (argc != 2 || std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help") {
    std::fprintf(argc == 2 ? stdout : stderr,
                 "usage: tally-study DIR\n"
                 "  Reads DIR/devnet.json, every node's events.jsonl and DIR/control.jsonl;\n"
                 "  writes DIR/report.json and DIR/report.html (docs/STUDY.md explains the figures).\n");
    return argc == 2 ? 0 : 2;
  }
  auto report = tally::study::write_report(argv[1]);
  if (!report) {
    std::fprintf(stderr, "tally-study: %s\n", report.error().c_str());
    return 1;
  }
  std::fputs(report->summary().c_str(), stdout);
  return 0;
}
