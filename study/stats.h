// Summary statistics of a sample: nearest-rank percentiles, so every reported percentile
// is a value that was actually observed. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace tally::study {

struct Distribution {
  std::size_t count = 0;
  // Empty when count == 0.
  std::optional<double> min, mean, p50, p90, p99, max;
};

// The nearest-rank percentile: the ceil(p/100 * n)-th smallest value (1-based; the
// smallest for p = 0). REQUIRES: `sorted` is sorted ascending. nullopt when empty.
std::optional<double> percentile(const std::vector<double>& sorted, double p);

// Sorts a copy and summarizes it.
Distribution summarize(std::vector<double> values);

// The k-th smallest (1-based) of `values` when there are at least k; for "time until k of
// N nodes had it": k = ceil(fraction * n).
std::optional<double> kth_smallest(std::vector<double> values, std::size_t k);

// ceil(fraction * n) without floating-point surprises (0.9 * 10 is 9, not 10).
std::size_t rank_of(double fraction, std::size_t n);

}  // namespace tally::study
