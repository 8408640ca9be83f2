// Deadlines, escalation and link tests on a simulated clock.
#include "core/watch.hpp"

#include <gtest/gtest.h>

namespace hotline::core {
namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t t0 = 1'795'000'000'000;  // a fixed UTC instant

tracked msg(std::string id, precedence p, std::string form = "FREE-TEXT", bool outbound = true) {
  return {std::move(id), "navy", outbound, p, std::move(form), t0};
}

TEST(watch, each_precedence_escalates_at_its_allied_deadline) {
  watch w({}, {});
  w.track(msg("f", precedence::flash));
  w.track(msg("i", precedence::immediate));
  w.track(msg("p", precedence::priority));
  w.track(msg("r", precedence::routine));
  EXPECT_TRUE(w.tick(t0 + 10 * minute_ms - 1).escalations.empty());
  auto due = w.tick(t0 + 10 * minute_ms);
  ASSERT_EQ(due.escalations.size(), 1u);
  EXPECT_EQ(due.escalations[0].msg.id, "f");
  EXPECT_EQ(w.tick(t0 + 30 * minute_ms).escalations.at(0).msg.id, "i");
  EXPECT_EQ(w.tick(t0 + 180 * minute_ms).escalations.at(0).msg.id, "p");
  EXPECT_EQ(w.tick(t0 + 360 * minute_ms).escalations.at(0).msg.id, "r");
  EXPECT_EQ(w.pending(), 0u);
}

TEST(watch, an_acknowledged_message_never_escalates) {
  watch w({}, {});
  w.track(msg("f", precedence::flash));
  w.acknowledged("f");
  EXPECT_TRUE(w.tick(t0 + 60 * minute_ms).escalations.empty());
}

TEST(watch, a_message_escalates_once) {
  watch w({}, {});
  w.track(msg("f", precedence::flash));
  EXPECT_EQ(w.tick(t0 + 11 * minute_ms).escalations.size(), 1u);
  EXPECT_TRUE(w.tick(t0 + 12 * minute_ms).escalations.empty());
}

TEST(watch, answers_need_no_acknowledgement) {
  watch w({}, {});
  w.track(msg("a", precedence::flash, "ACK"));
  w.track(msg("r", precedence::flash, "LINK-TEST-REPLY"));
  EXPECT_EQ(w.pending(), 0u);
}

TEST(watch, agreement_deadlines_override_the_defaults) {
  deadline_policy d;
  d.ack_within_ms[0] = 2 * minute_ms;
  watch w(d, {});
  w.track(msg("f", precedence::flash));
  EXPECT_EQ(w.tick(t0 + 2 * minute_ms).escalations.size(), 1u);
}

TEST(watch, link_tests_follow_the_daily_schedule) {
  // 09:00 and 16:00 Asia/Seoul (UTC+9) are 00:00 and 07:00 UTC.
  link_test_policy p;
  p.at_minutes_utc = {0, 7 * 60};
  watch w({}, {{"navy", p}});
  std::int64_t midnight = t0 / 86'400'000 * 86'400'000 + 86'400'000;
  EXPECT_TRUE(w.tick(midnight - 1).link_tests_to_send.empty());
  EXPECT_EQ(w.next_link_test_ms("navy"), midnight);
  auto due = w.tick(midnight);
  ASSERT_EQ(due.link_tests_to_send.size(), 1u);
  EXPECT_TRUE(w.tick(midnight + minute_ms).link_tests_to_send.empty());
  EXPECT_EQ(w.next_link_test_ms("navy"), midnight + 7 * 60 * minute_ms);
  EXPECT_EQ(w.tick(midnight + 7 * 60 * minute_ms).link_tests_to_send.size(), 1u);
}

TEST(watch, an_unanswered_link_test_is_a_missed_test) {
  link_test_policy p;
  p.every_ms = 60 * minute_ms;
  p.answer_within_ms = 5 * minute_ms;
  watch w({}, {{"navy", p}});
  w.track(msg("lt", precedence::priority, "LINK-TEST"));
  auto due = w.tick(t0 + 5 * minute_ms);
  ASSERT_EQ(due.escalations.size(), 1u);
  EXPECT_TRUE(due.escalations[0].missed_link_test);
}

TEST(watch, an_answered_link_test_is_not_missed) {
  link_test_policy p;
  p.every_ms = 60 * minute_ms;
  watch w({}, {{"navy", p}});
  w.track(msg("lt", precedence::priority, "LINK-TEST"));
  w.acknowledged("lt");
  EXPECT_TRUE(w.tick(t0 + 30 * minute_ms).escalations.empty());
}

TEST(watch, a_restart_does_not_resend_the_test_of_a_slot_already_served) {
  link_test_policy p;
  p.every_ms = 60 * minute_ms;
  watch w({}, {{"navy", p}});
  std::int64_t slot = (t0 / p.every_ms + 1) * p.every_ms;
  w.link_test_sent("navy", slot);
  EXPECT_TRUE(w.tick(slot + minute_ms).link_tests_to_send.empty());
  EXPECT_EQ(w.next_link_test_ms("navy"), slot + p.every_ms);
}

TEST(watch, wakes_at_the_nearest_deadline) {
  watch w({}, {});
  w.track(msg("r", precedence::routine));
  w.track(msg("f", precedence::flash));
  EXPECT_EQ(w.next_wakeup_ms(), t0 + 10 * minute_ms);
}

}  // namespace
}  // namespace hotline::core
