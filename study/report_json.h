// report.json: every figure of an Analysis under stable field names (docs/STUDY.md lists
// them). Times in milliseconds are relative to what the field name says; absent figures
// (an empty sample, an undefined rate) are null, never 0. Pure function; thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include "study/analysis.h"
#include "study/run_log.h"

namespace tally::study {

inline constexpr const char* kReportSchema = "tally-study/1";

boost::json::object report_json(const RunLog& run, const Analysis& analysis);

}  // namespace tally::study
