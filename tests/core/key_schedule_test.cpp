// Key schedule: each station's keys by era, and the key in effect at any instant.
#include <gtest/gtest.h>

#include "core/key_schedule.hpp"

namespace hotline::test {
namespace {

signing::secret_key key_of(const std::string& name) {
  return signing::secret_key::from_seed(signing::sha256("schedule-key:" + name));
}

TEST(key_schedule, the_key_in_effect_is_the_last_era_started_at_or_before_the_time) {
  signing::key_schedule s;
  s.pin("rok", key_of("v1").public_half());
  s.add("rok", 1'000, key_of("v2").public_half());
  s.add("rok", 2'000, key_of("v3").public_half());
  EXPECT_EQ(*s.at("rok", -5), key_of("v1").public_half());
  EXPECT_EQ(*s.at("rok", 999), key_of("v1").public_half());
  EXPECT_EQ(*s.at("rok", 1'000), key_of("v2").public_half());
  EXPECT_EQ(*s.at("rok", 1'999), key_of("v2").public_half());
  EXPECT_EQ(*s.at("rok", 5'000), key_of("v3").public_half());
  EXPECT_EQ(s.at("ru", 5'000), nullptr);
  EXPECT_TRUE(s.knows("rok"));
  EXPECT_FALSE(s.knows("ru"));
  EXPECT_EQ(s.eras("rok").size(), 3U);
}

TEST(key_schedule, a_schedule_that_starts_late_has_no_key_before_it) {
  signing::key_schedule s;
  s.add("rok", 1'000, key_of("v2").public_half());
  EXPECT_EQ(s.at("rok", 999), nullptr);
  EXPECT_NE(s.at("rok", 1'000), nullptr);
}

TEST(key_schedule, an_era_out_of_order_is_ignored_and_one_at_the_same_instant_replaces) {
  signing::key_schedule s;
  s.add("rok", 1'000, key_of("a").public_half());
  s.add("rok", 500, key_of("b").public_half());
  EXPECT_EQ(*s.at("rok", 2'000), key_of("a").public_half());
  EXPECT_EQ(s.at("rok", 700), nullptr);
  s.add("rok", 1'000, key_of("c").public_half());
  EXPECT_EQ(*s.at("rok", 2'000), key_of("c").public_half());
}

TEST(key_schedule, a_signer_signs_with_the_key_of_the_time_given) {
  signing::signer none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.at(0).empty());
  signing::signer s(key_of("v1"));
  s.add(1'000, key_of("v2"));
  EXPECT_EQ(s.size(), 2U);
  EXPECT_EQ(s.at(999).public_half(), key_of("v1").public_half());
  EXPECT_EQ(s.at(1'000).public_half(), key_of("v2").public_half());
  s.add(2'000, signing::secret_key{});
  EXPECT_EQ(s.size(), 2U) << "an empty key is not an era";
}

}  // namespace
}  // namespace hotline::test
