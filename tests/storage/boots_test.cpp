// store::next_boot(): the station's starts, numbered in order, durably, and above the wall
// clock's seconds, so that a peer can tell the newer of two boots (core/engine_handshake.cpp).
// On every backend, and the full disk on SQLite.
#include <gtest/gtest.h>

#include "storage/sqlite_store.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

class boots : public backend_test {};
HOTLINE_STORE_BACKENDS(boots);

TEST_P(boots, each_start_is_numbered_above_the_last_even_after_reopening) {
  std::uint64_t last = 0;
  for (int run = 0; run < 3; ++run) {
    auto s = open_persistent();
    ASSERT_NE(s, nullptr);
    auto n = s->next_boot(0);  // a clock at the epoch: the count alone decides
    ASSERT_TRUE(n.has_value()) << n.error().message;
    EXPECT_EQ(*n, last + 1);
    last = *n;
  }
}

TEST_P(boots, a_store_restored_from_an_old_copy_numbers_from_the_clock) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->next_boot(0).value_or(0), 1u);
  const std::int64_t now_ms = 1'800'000'000'000;
  EXPECT_EQ(s->next_boot(now_ms).value_or(0), 1'800'000'000u);
  EXPECT_EQ(s->next_boot(now_ms).value_or(0), 1'800'000'001u) << "twice in one second";
  EXPECT_EQ(s->next_boot(0).value_or(0), 1'800'000'002u) << "a clock set back changes nothing";
}

TEST(sqlite_boots, a_full_disk_fails_the_start_and_numbers_nothing) {
  temp_dir dir;
  auto s = open_ok(dir.file("station.db"));
  ASSERT_EQ(s->next_boot(0).value_or(0), 1u);
  auto pages = sqlite_testing::pragma_value(*s, "page_count");
  ASSERT_TRUE(pages.has_value());
  ASSERT_TRUE(sqlite_testing::set_max_page_count(*s, std::stoll(*pages)).has_value());
  std::uint64_t numbered = 0;
  for (int i = 0; i < 5000; ++i) {  // until the page limit is reached
    auto n = s->next_boot(0);
    if (!n) {
      EXPECT_EQ(n.error().code, errc::io) << n.error().message;
      break;
    }
    numbered = *n;
  }
  ASSERT_TRUE(sqlite_testing::set_max_page_count(*s, 1 << 30).has_value());
  EXPECT_EQ(s->next_boot(0).value_or(0), numbered + 1) << "the failed start left no number";
}

}  // namespace
}  // namespace hotline::storage
