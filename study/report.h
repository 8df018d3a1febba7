// The study's entry point: reads a devnet directory (DIR/devnet.json, each node's
// events.jsonl, DIR/control.jsonl), computes the figures and writes DIR/report.json and
// DIR/report.html. Used by `tally-study DIR` and `tally-devnet report DIR`.
//
// Thread-safe for different directories; only reads the logs and writes the two reports.
#pragma once

#include <expected>
#include <filesystem>
#include <string>

#include "study/analysis.h"
#include "study/run_log.h"

namespace tally::study {

struct Report {
  std::filesystem::path json_path;  // DIR/report.json
  std::filesystem::path html_path;  // DIR/report.html
  RunLog run;
  Analysis analysis;

  // A few lines for a terminal: blocks, stale rate, propagation, reorgs, agreement, verdict.
  std::string summary() const;
};

// Reads DIR, analyses it and writes both reports (replacing earlier ones atomically). Fails
// when DIR holds no event log or a report cannot be written; malformed lines never fail it
// (they are counted in the report).
[[nodiscard]] std::expected<Report, std::string> write_report(const std::filesystem::path& dir);

// The same analysis without writing anything.
[[nodiscard]] std::expected<Report, std::string> build_report(const std::filesystem::path& dir);

}  // namespace tally::study
