// The per-address login throttle at its edges, on simulated time.
#include "api/login_throttle.hpp"

#include <gtest/gtest.h>

#include "api/access.hpp"

namespace hotline::api {
namespace {

TEST(login_throttle, admits_ten_attempts_a_window_then_refuses_until_it_ends) {
  login_throttle t;
  for (std::size_t i = 0; i < login_attempts_per_window_max; ++i) {
    EXPECT_TRUE(t.admit("10.0.0.1", 1'000 + static_cast<std::int64_t>(i)).allowed) << i;
  }
  const auto refused = t.admit("10.0.0.1", 31'000);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ms, 30'000);
  EXPECT_TRUE(refused.first_refusal);
  EXPECT_FALSE(t.admit("10.0.0.1", 31'001).first_refusal);  // recorded once per window
  EXPECT_TRUE(t.admit("10.0.0.2", 31'001).allowed);         // other addresses are apart
  EXPECT_TRUE(t.admit("10.0.0.1", 1'000 + login_window_ms).allowed);
}

TEST(login_throttle, tracks_a_bounded_number_of_addresses) {
  login_throttle t;
  for (std::size_t i = 0; i < login_addresses_tracked_max; ++i) {
    ASSERT_TRUE(t.admit("a" + std::to_string(i), 0).allowed);
  }
  const auto full = t.admit("newcomer", 10'000);
  EXPECT_FALSE(full.allowed);
  EXPECT_EQ(full.retry_after_ms, login_window_ms - 10'000);
  EXPECT_EQ(t.tracked(), login_addresses_tracked_max);
  // Once the old windows end they are forgotten and the newcomer gets in.
  EXPECT_TRUE(t.admit("newcomer", login_window_ms).allowed);
  EXPECT_EQ(t.tracked(), 1u);
}

}  // namespace
}  // namespace hotline::api
