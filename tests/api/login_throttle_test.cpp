// The per-address login throttle and the per-(user, address) lockout at their edges, on
// simulated time.
#include "api/login_throttle.hpp"

#include <gtest/gtest.h>

#include "api/access.hpp"
#include "core/limits.hpp"

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

TEST(login_throttle, a_full_table_forgets_ended_windows_before_open_ones) {
  login_throttle t;
  // a0 and a1 use their windows up, a0's first; the others arrive with a1.
  for (std::size_t i = 0; i < login_attempts_per_window_max; ++i) {
    ASSERT_TRUE(t.admit("a0", 0).allowed);
    ASSERT_TRUE(t.admit("a1", 1'000).allowed);
  }
  for (std::size_t i = 2; i < login_addresses_tracked_max; ++i) {
    ASSERT_TRUE(t.admit("a" + std::to_string(i), 1'000).allowed);
  }
  ASSERT_EQ(t.tracked(), login_addresses_tracked_max);
  // Once a0's window has ended, a newcomer takes its place and every open window stays: a1,
  // the oldest still open, is still refused.
  EXPECT_TRUE(t.admit("newcomer", login_window_ms).allowed);
  EXPECT_EQ(t.tracked(), login_addresses_tracked_max);
  EXPECT_FALSE(t.admit("a1", login_window_ms).allowed);
}

TEST(login_throttle, a_table_full_of_open_windows_evicts_the_oldest_rather_than_refusing) {
  login_throttle t;
  for (std::size_t i = 0; i < login_attempts_per_window_max; ++i) {
    ASSERT_TRUE(t.admit("a0", 0).allowed);
  }
  ASSERT_FALSE(t.admit("a0", 0).allowed);
  for (std::size_t i = 1; i < login_addresses_tracked_max; ++i) {
    ASSERT_TRUE(t.admit("a" + std::to_string(i), static_cast<std::int64_t>(i)).allowed);
  }
  // At the limit nothing is evicted: a0 is still refused.
  ASSERT_EQ(t.tracked(), login_addresses_tracked_max);
  ASSERT_FALSE(t.admit("a0", 10'000).allowed);
  // One more address: admitted, with the oldest window (a0's) forgotten to make room.
  EXPECT_TRUE(t.admit("newcomer", 10'000).allowed);
  EXPECT_EQ(t.tracked(), login_addresses_tracked_max);
  EXPECT_TRUE(t.admit("a0", 10'000).allowed);  // the price: a0 starts a fresh window early
  EXPECT_EQ(t.tracked(), login_addresses_tracked_max);
}

constexpr std::string_view hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";

TEST(login_lockouts, the_fifth_wrong_password_in_a_row_locks_the_pair_for_the_lockout) {
  login_lockouts l;
  for (std::int64_t i = 1; i < login_failures_max; ++i) {
    const auto f = l.note_failure("officer-kim", "10.0.0.9", hash, 1'000);
    EXPECT_EQ(f.in_a_row, i);
    EXPECT_FALSE(f.locks);
    EXPECT_FALSE(l.locked("officer-kim", "10.0.0.9", hash, 1'000));
  }
  const auto fifth = l.note_failure("officer-kim", "10.0.0.9", hash, 2'000);
  EXPECT_TRUE(fifth.locks);
  EXPECT_EQ(fifth.in_a_row, login_failures_max);
  EXPECT_TRUE(l.locked("officer-kim", "10.0.0.9", hash, 2'000 + login_lockout_ms - 1));
  // Only that pair: the same user elsewhere, and other users here, are not locked.
  EXPECT_FALSE(l.locked("officer-kim", "10.0.0.1", hash, 2'000));
  EXPECT_FALSE(l.locked("officer-lee", "10.0.0.9", hash, 2'000));
  EXPECT_FALSE(l.locked("officer-kim", "10.0.0.9", hash, 2'000 + login_lockout_ms));
  // The count starts again after the lock.
  EXPECT_EQ(l.note_failure("officer-kim", "10.0.0.9", hash, 2'000 + login_lockout_ms).in_a_row, 1);
}

TEST(login_lockouts, a_success_or_a_quiet_lockout_period_restarts_the_count) {
  login_lockouts l;
  for (std::int64_t i = 1; i < login_failures_max; ++i) l.note_failure("kim", "10.0.0.9", hash, 0);
  l.note_success("kim", "10.0.0.9");
  EXPECT_EQ(l.note_failure("kim", "10.0.0.9", hash, 0).in_a_row, 1);
  // Wrong passwords are in a row while each comes within the lockout period of the one before.
  EXPECT_EQ(l.note_failure("kim", "10.0.0.9", hash, login_lockout_ms - 1).in_a_row, 2);
  EXPECT_EQ(l.note_failure("kim", "10.0.0.9", hash, 2 * login_lockout_ms - 1).in_a_row, 1);
}

TEST(login_lockouts, a_new_password_voids_the_lock) {
  login_lockouts l;
  for (std::int64_t i = 0; i < login_failures_max; ++i) l.note_failure("kim", "10.0.0.9", hash, 0);
  ASSERT_TRUE(l.locked("kim", "10.0.0.9", hash, 1));
  EXPECT_FALSE(l.locked("kim", "10.0.0.9", "$argon2id$another", 1));
  EXPECT_EQ(l.tracked(), 0u);
}

TEST(login_lockouts, a_full_table_keeps_its_locks_and_evicts_the_oldest_unlocked_pair) {
  login_lockouts l;
  for (std::int64_t i = 0; i < login_failures_max; ++i) l.note_failure("kim", "10.0.0.9", hash, 0);
  for (std::size_t i = 1; i < limits::login_lockout_pairs_tracked_max; ++i) {
    l.note_failure("user" + std::to_string(i), "10.0.1.1", hash, static_cast<std::int64_t>(i));
  }
  ASSERT_EQ(l.tracked(), limits::login_lockout_pairs_tracked_max);
  // A newcomer evicts user1, the oldest pair that is not locked, and the lock holds.
  l.note_failure("newcomer", "10.0.2.2", hash, 100'000);
  EXPECT_EQ(l.tracked(), limits::login_lockout_pairs_tracked_max);
  EXPECT_TRUE(l.locked("kim", "10.0.0.9", hash, 100'000));
  EXPECT_EQ(l.note_failure("user1", "10.0.1.1", hash, 100'000).in_a_row, 1);  // forgotten
  EXPECT_EQ(l.note_failure("user3", "10.0.1.1", hash, 100'000).in_a_row, 2);  // kept
}

TEST(login_lockouts, a_full_table_forgets_ended_pairs_first) {
  login_lockouts l;
  for (std::size_t i = 0; i < limits::login_lockout_pairs_tracked_max; ++i) {
    l.note_failure("user" + std::to_string(i), "10.0.1.1", hash, i == 0 ? 0 : login_lockout_ms);
  }
  // user0's only failure is a lockout period old: it goes, and user1 (the oldest open) stays.
  l.note_failure("newcomer", "10.0.2.2", hash, login_lockout_ms);
  EXPECT_EQ(l.tracked(), limits::login_lockout_pairs_tracked_max);
  EXPECT_EQ(l.note_failure("user1", "10.0.1.1", hash, login_lockout_ms).in_a_row, 2);
}

}  // namespace
}  // namespace hotline::api
