#include "study/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tally::study {

std::size_t rank_of(double fraction, std::size_t n) {
  const double exact = fraction * static_cast<double>(n);
  auto k = static_cast<std::size_t>(std::ceil(exact - 1e-9));
  return std::clamp<std::size_t>(k, n == 0 ? 0 : 1, n);
}

std::optional<double> percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nullopt;
  return sorted[rank_of(p / 100.0, sorted.size()) - 1];
}

Distribution summarize(std::vector<double> values) {
  Distribution d;
  d.count = values.size();
  if (values.empty()) return d;
  std::ranges::sort(values);
  d.min = values.front();
  d.max = values.back();
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  d.p50 = percentile(values, 50);
  d.p90 = percentile(values, 90);
  d.p99 = percentile(values, 99);
  return d;
}

std::optional<double> kth_smallest(std::vector<double> values, std::size_t k) {
  if (k == 0 || values.size() < k) return std::nullopt;
  std::ranges::nth_element(values, values.begin() + static_cast<std::ptrdiff_t>(k - 1));
  return values[k - 1];
}

}  // namespace tally::study
