// recover() on every backend: the state the core resumes from, across closing and opening the
// store, and the checks that refuse a damaged history.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

std::vector<std::string> ids(const std::vector<message>& msgs) {
  std::vector<std::string> out;
  for (const auto& m : msgs) out.push_back(m.id);
  return out;
}

std::vector<std::uint64_t> seqs(const std::vector<message>& msgs) {
  std::vector<std::uint64_t> out;
  for (const auto& m : msgs) out.push_back(m.seq);
  return out;
}

records::channel_recovery recover_ok(store& s, const std::string& channel) {
  auto r = s.recover(channel);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : records::channel_recovery{};
}

// Queued, sequenced and delivered messages on two channels, plus inbound traffic.
void commit_mixed_history(store& s) {
  commit_ok(s, {posted("q-a", "navy"), posted("q-b", "navy"), posted("q-c", "navy"),
                posted("q-d", "navy"), posted("air-1", "air", 1)});
  commit_ok(
      s, {sequenced("navy", "q-b", 1), sequenced("navy", "q-a", 2), sequenced("navy", "q-d", 3)});
  commit_ok(s, {posted("fast-4", "navy", 4), posted("q-e", "navy")});
  commit_ok(s, {delivered("navy", 2), received("in-1", "navy", 1), received("in-2", "navy", 2),
                received("air-in-1", "air", 1)});
}

void expect_mixed_history(store& s) {
  auto navy = recover_ok(s, "navy");
  EXPECT_EQ(navy.channel, "navy");
  EXPECT_EQ(navy.next_out_seq, 5u);
  EXPECT_EQ(navy.out_delivered, 2u);
  EXPECT_EQ(ids(navy.unacked), (std::vector<std::string>{"q-d", "fast-4"}));
  EXPECT_EQ(seqs(navy.unacked), (std::vector<std::uint64_t>{3, 4}));
  EXPECT_EQ(ids(navy.queued), (std::vector<std::string>{"q-c", "q-e"}));  // post order
  EXPECT_EQ(navy.in_next_expected, 3u);
  ASSERT_FALSE(navy.unacked.empty());
  EXPECT_EQ(navy.unacked[0], make_message("q-d", "navy", 3));  // full message comes back

  auto air = recover_ok(s, "air");
  EXPECT_EQ(air.next_out_seq, 2u);
  EXPECT_EQ(air.out_delivered, 0u);
  EXPECT_EQ(ids(air.unacked), (std::vector<std::string>{"air-1"}));
  EXPECT_TRUE(air.queued.empty());
  EXPECT_EQ(air.in_next_expected, 2u);
}

class store_recover : public backend_test {};

TEST_P(store_recover, an_unknown_channel_starts_from_scratch) {
  auto s = open_store();
  auto rec = recover_ok(*s, "navy");
  EXPECT_EQ(rec.next_out_seq, 1u);
  EXPECT_EQ(rec.out_delivered, 0u);
  EXPECT_TRUE(rec.unacked.empty());
  EXPECT_TRUE(rec.queued.empty());
  EXPECT_EQ(rec.in_next_expected, 1u);
}

TEST_P(store_recover, mixes_queued_sequenced_and_delivered) {
  auto s = open_store();
  commit_mixed_history(*s);
  expect_mixed_history(*s);
}

TEST_P(store_recover, everything_delivered_leaves_nothing_unacked) {
  auto s = open_store();
  commit_ok(*s, {posted("m-1", "navy", 1), posted("m-2", "navy", 2), delivered("navy", 2)});
  auto rec = recover_ok(*s, "navy");
  EXPECT_EQ(rec.out_delivered, 2u);
  EXPECT_EQ(rec.next_out_seq, 3u);
  EXPECT_TRUE(rec.unacked.empty());
}

TEST_P(store_recover, state_survives_closing_and_reopening_the_store) {
  std::int64_t last_cursor = 0;
  {
    auto s = open_persistent();
    ASSERT_NE(s, nullptr);
    commit_mixed_history(*s);
    auto last = s->get("air-in-1");
    ASSERT_TRUE(last && last->has_value());
    last_cursor = (*last)->cursor;
  }
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  expect_mixed_history(*s);
  auto in = s->get("in-1");
  ASSERT_TRUE(in && in->has_value());
  EXPECT_EQ((*in)->received_at_ms, 1000);

  // Cursors keep increasing after a restart; they are never reused.
  commit_ok(*s, {posted("after-restart", "navy")});
  auto after = s->get("after-restart");
  ASSERT_TRUE(after && after->has_value());
  EXPECT_GT((*after)->cursor, last_cursor);
}

TEST_P(store_recover, a_missing_outbound_seq_is_corrupt_and_named) {
  auto s = open_store();
  commit_ok(*s, {posted("m-1", "navy", 1), posted("m-3", "navy", 3)});
  auto rec = s->recover("navy");
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code, errc::corrupt);
  EXPECT_NE(rec.error().message.find("seq 2 is missing"), std::string::npos) << rec.error().message;
}

TEST_P(store_recover, an_inbound_gap_is_corrupt) {
  auto s = open_store();
  commit_ok(*s, {received("in-1", "navy", 1), received("in-3", "navy", 3)});
  auto rec = s->recover("navy");
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code, errc::corrupt);
  EXPECT_NE(rec.error().message.find("gap"), std::string::npos) << rec.error().message;
  // Another channel is unaffected.
  EXPECT_TRUE(s->recover("air"));
}

TEST_P(store_recover, a_hole_in_delivered_marks_is_corrupt) {
  {
    auto s = open_persistent();
    ASSERT_NE(s, nullptr);
    commit_ok(*s, {posted("m-1", "navy", 1), posted("m-2", "navy", 2), delivered("navy", 2)});
  }
  exec_persistent("UPDATE messages SET delivered_at_ms = NULL WHERE id = 'm-1'");
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  auto rec = s->recover("navy");
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code, errc::corrupt);
  EXPECT_NE(rec.error().message.find("delivery mark"), std::string::npos) << rec.error().message;
}

TEST_P(store_recover, a_damaged_row_is_reported_not_returned) {
  {
    auto s = open_persistent();
    ASSERT_NE(s, nullptr);
    commit_ok(*s, {posted("m-1", "navy")});
  }
  // The schema's CHECK stops a bad precedence, so take it out of the way first.
  exec_persistent(postgresql() ? "ALTER TABLE messages DROP CONSTRAINT messages_precedence_check;"
                                 "UPDATE messages SET precedence = 9 WHERE id = 'm-1'"
                               : "PRAGMA ignore_check_constraints=ON;"
                                 "UPDATE messages SET precedence = 9 WHERE id = 'm-1'");
  auto s = open_persistent();
  ASSERT_NE(s, nullptr);
  auto rec = s->recover("navy");
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code, errc::corrupt);
  auto got = s->get("m-1");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, errc::corrupt);
}

HOTLINE_STORE_BACKENDS(store_recover);

}  // namespace
}  // namespace hotline::storage
