#include "core/histogram.hpp"

#include <gtest/gtest.h>

namespace hotline::core {
namespace {

TEST(histogram, buckets_are_cumulative_and_the_overflow_counts_only_in_count) {
  histogram h({0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 2.0, 7.0}) h.observe(v);
  EXPECT_EQ(h.cumulative(), (std::vector<std::uint64_t>{2, 3, 4}));
  EXPECT_EQ(h.count(), 6u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.005 + 0.01 + 0.05 + 0.5 + 2.0 + 7.0);
}

TEST(histogram, an_empty_histogram_has_zero_everywhere) {
  histogram h({1, 2});
  EXPECT_EQ(h.cumulative(), (std::vector<std::uint64_t>{0, 0}));
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.sum(), 0);
}

}  // namespace
}  // namespace hotline::core
