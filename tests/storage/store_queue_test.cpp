// The queue on disk: queued_after() reads queued messages back in post order, one precedence at a
// time, within its limits; recover() returns a bounded prefix of the queue and counts the rest. On
// every backend, then SQLite's own queue index.
#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

records::record post(std::string id, precedence p, std::string channel = "navy") {
  message m = make_message(std::move(id), std::move(channel));
  m.prec = p;
  return records::posted{std::move(m)};
}

std::vector<std::string> ids(const std::vector<message>& msgs) {
  std::vector<std::string> out;
  for (const auto& m : msgs) out.push_back(m.id);
  return out;
}

std::vector<message> queued_ok(store& s, precedence p, std::string_view after, std::size_t limit,
                               std::size_t bytes_max = 1 << 20) {
  auto r = s.queued_after("navy", p, after, limit, bytes_max);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : std::vector<message>{};
}

constexpr auto routine = precedence::routine;
constexpr auto flash = precedence::flash;

// r1 f1 r2 (sequenced) r3 air-r4 r5 f2, in post order.
std::unique_ptr<store> queue_history(std::unique_ptr<store> s) {
  commit_ok(*s, {post("r1", routine), post("f1", flash), post("r2", routine), post("r3", routine),
                 post("air-r4", routine, "air"), post("r5", routine), post("f2", flash)});
  commit_ok(*s, {sequenced("navy", "r2", 1)});
  return s;
}

class store_queue : public backend_test {};

TEST_P(store_queue, reads_one_precedence_in_post_order) {
  auto s = queue_history(open_store());
  EXPECT_EQ(ids(queued_ok(*s, routine, "", 10)), (std::vector<std::string>{"r1", "r3", "r5"}));
  EXPECT_EQ(ids(queued_ok(*s, flash, "", 10)), (std::vector<std::string>{"f1", "f2"}));
  EXPECT_TRUE(queued_ok(*s, precedence::priority, "", 10).empty());
}

TEST_P(store_queue, continues_after_a_message_even_one_since_sequenced) {
  auto s = queue_history(open_store());
  EXPECT_EQ(ids(queued_ok(*s, routine, "r1", 10)), (std::vector<std::string>{"r3", "r5"}));
  EXPECT_EQ(ids(queued_ok(*s, routine, "r2", 10)), (std::vector<std::string>{"r3", "r5"}));
  // The position is in post order across precedences: f1 was posted between r1 and r2.
  EXPECT_EQ(ids(queued_ok(*s, routine, "f1", 10)), (std::vector<std::string>{"r3", "r5"}));
  EXPECT_TRUE(queued_ok(*s, routine, "r5", 10).empty());
}

TEST_P(store_queue, returns_whole_messages) {
  auto s = queue_history(open_store());
  auto got = queued_ok(*s, routine, "r3", 1);
  ASSERT_EQ(got.size(), 1u);
  message want = make_message("r5", "navy");
  want.prec = routine;
  EXPECT_EQ(got[0], want);
}

TEST_P(store_queue, limit_is_exact) {
  auto s = queue_history(open_store());
  EXPECT_EQ(ids(queued_ok(*s, routine, "", 1)), (std::vector<std::string>{"r1"}));
  EXPECT_EQ(ids(queued_ok(*s, routine, "", 2)), (std::vector<std::string>{"r1", "r3"}));
  auto zero = s->queued_after("navy", routine, "", 0, 1 << 20);
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, errc::invalid_argument);
}

TEST_P(store_queue, bytes_max_is_exact_and_the_first_message_always_comes) {
  auto s = queue_history(open_store());
  const std::size_t w = message_weight_bytes(make_message("r1", "navy"));
  EXPECT_EQ(queued_ok(*s, routine, "", 10, 2 * w).size(), 2u);
  EXPECT_EQ(queued_ok(*s, routine, "", 10, 2 * w - 1).size(), 1u);
  EXPECT_EQ(queued_ok(*s, routine, "", 10, 0).size(), 1u);
}

TEST_P(store_queue, an_unknown_position_is_corrupt) {
  auto s = queue_history(open_store());
  for (std::string_view bad : {"no-such-message", "air-r4"}) {  // air-r4 is on another channel
    auto r = s->queued_after("navy", routine, bad, 10, 1 << 20);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, errc::corrupt);
  }
}

TEST_P(store_queue, recover_returns_a_bounded_prefix_and_counts_the_rest) {
  auto s = open_store();
  const std::size_t routine_posts = limits::queue_memory_messages_max + 5;
  std::vector<records::record> batch;
  for (std::size_t i = 0; i < routine_posts; ++i) {
    batch.push_back(post("r" + std::to_string(i), routine));
    if (batch.size() == limits::group_commit_records_max) {
      commit_ok(*s, batch);
      batch.clear();
    }
  }
  batch.push_back(post("f-late", flash));
  commit_ok(*s, batch);
  auto rec = s->recover("navy");
  ASSERT_TRUE(rec.has_value()) << rec.error().message;
  EXPECT_EQ(rec->queued.size(), limits::queue_memory_messages_max);
  ASSERT_FALSE(rec->queued.empty());
  EXPECT_EQ(rec->queued.front().id, "f-late");  // flash first, though posted last
  EXPECT_EQ(rec->queued[1].id, "r0");
  EXPECT_EQ(rec->queued.back().id, "r" + std::to_string(limits::queue_memory_messages_max - 2));
  EXPECT_EQ(rec->queued_total[static_cast<std::size_t>(flash)], 1u);
  EXPECT_EQ(rec->queued_total[static_cast<std::size_t>(routine)], routine_posts);
  EXPECT_EQ(rec->queued_total[static_cast<std::size_t>(precedence::priority)], 0u);
}

TEST_P(store_queue, recover_stops_at_the_byte_bound) {
  auto s = open_store();
  // 300 posts of 64 KiB: 19 MiB, more than queue_memory_bytes_max.
  const std::size_t posts = 300;
  for (std::size_t i = 0; i < posts; ++i) {
    message m = make_message("big-" + std::to_string(i), "navy");
    m.body.assign(limits::message_body_bytes_max, 'x');
    commit_ok(*s, {records::posted{std::move(m)}});
  }
  auto rec = s->recover("navy");
  ASSERT_TRUE(rec.has_value()) << rec.error().message;
  std::size_t bytes = 0;
  for (const auto& m : rec->queued) bytes += message_weight_bytes(m);
  EXPECT_LE(bytes, limits::queue_memory_bytes_max);
  EXPECT_GT(bytes + message_weight_bytes(rec->queued.front()), limits::queue_memory_bytes_max);
  EXPECT_EQ(rec->queued_total[static_cast<std::size_t>(precedence::immediate)], posts);
}

TEST(sqlite_queue_index, migration_6_replaces_the_queue_index) {
  auto s = open_ok(":memory:");
  sqlite3* db = static_cast<sqlite_store&>(*s).handle();
  auto count = [db](const std::string& name) {
    auto st = sqlite::statement::prepare(
        db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '" + name + "'");
    EXPECT_TRUE(st.has_value());
    sqlite::query q{*st};
    EXPECT_TRUE(q.step().value_or(false));
    return q.column_int(0);
  };
  EXPECT_EQ(count("messages_out_queued_precedence"), 1);
  EXPECT_EQ(count("messages_out_queued"), 0);
  EXPECT_EQ(schema_migrations()[5].version, 6);
}

HOTLINE_STORE_BACKENDS(store_queue);

}  // namespace
}  // namespace hotline::storage
