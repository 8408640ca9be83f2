// Histogram: counts of observations at or below fixed upper bounds, with their sum, in the shape
// Prometheus exposes (cumulative buckets, _sum, _count).
//
// The bounds are fixed when it is made, ascending; an observation above the last bound counts
// only in the implicit +Inf bucket (`count`). Observations are in whatever unit the owner names
// in the metric (seconds, records). Not thread-safe; O(bounds) per observation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace hotline::core {

class histogram {
 public:
  explicit histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}

  void observe(double value) {
    const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    for (auto i = static_cast<std::size_t>(at); i < counts_.size(); ++i) ++counts_[i];
    sum_ += value;
    ++count_;
  }

  const std::vector<double>& bounds() const { return bounds_; }
  // Observations at or below bounds()[i] (cumulative).
  const std::vector<std::uint64_t>& cumulative() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace hotline::core
