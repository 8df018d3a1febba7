// report.html: one self-contained page (inline CSS, inline SVG charts, no script, no
// network) with the summary, the convergence verdict, the charts (propagation CDF, agreement
// over time, height per node, reorg depths, block tree) and the detail tables. Every text
// that comes from a log is escaped. Pure function; thread-safe.
#pragma once

#include <string>

#include "study/analysis.h"
#include "study/run_log.h"

namespace tally::study {

std::string report_html(const RunLog& run, const Analysis& analysis);

}  // namespace tally::study
