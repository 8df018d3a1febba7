#include "study/analysis.h"

#include "study/analysis_context.h"

namespace tally::study {

std::string_view to_string(TipRelation r) {
  switch (r) {
    case TipRelation::kOnTip: return "on_tip";
    case TipRelation::kBehind: return "behind";
    case TipRelation::kAhead: return "ahead";
    case TipRelation::kDiverged: return "diverged";
    case TipRelation::kUnknown: break;
  }
  return "unknown";
}

Analysis analyze(const RunLog& run) {
  Analysis a;
  detail::Context ctx(run, a);
  detail::compute_timeline(ctx);
  detail::compute_propagation(ctx);
  detail::compute_forks(ctx);
  detail::compute_confirmations(ctx);
  detail::compute_agreement(ctx);
  if (!run.edges.empty()) a.overlay = overlay_stats(run.nodes.size(), run.edges);
  if (!a.forks.parent_links_complete)
    a.limitations.push_back(
        "final_chain: some parent links were not derivable from the logs; the final chain was completed from a "
        "majority node's active chain");
  return a;
}

}  // namespace tally::study
