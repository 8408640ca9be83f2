// commit(): every record kind round-trips, batches are atomic, and failures are values, on every
// backend; then what only SQLite can show (its log pages, a full disk by page count).
#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

class commit_test : public backend_test {
 protected:
  void SetUp() override {
    backend_test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
  }

  stored_message get_ok(std::string_view id) {
    auto m = store_->get(id);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    EXPECT_TRUE(m && m->has_value()) << "no message " << id;
    return m && *m ? **m : stored_message{};
  }

  bool exists(std::string_view id) {
    auto m = store_->get(id);
    return m && m->has_value();
  }

  std::unique_ptr<store> store_;
};

TEST_P(commit_test, posted_round_trips_every_field) {
  message m = make_message("m-1", "navy");
  m.prec = precedence::flash;
  m.form = "LAUNCH-NOTICE";
  m.body = std::string("{\"area\":\"K\"}\0tail", 17);
  commit_ok(*store_, {records::posted{m}}, 5000);

  stored_message got = get_ok("m-1");
  EXPECT_EQ(got.msg, m);
  EXPECT_EQ(got.direction, box::out);
  EXPECT_EQ(got.status, delivery_status::queued);
  EXPECT_GT(got.cursor, 0);
  EXPECT_FALSE(got.received_at_ms.has_value());
  EXPECT_FALSE(got.delivered_at_ms.has_value());
}

TEST_P(commit_test, empty_body_and_signature_round_trip_as_empty) {
  message m = make_message("m-1", "navy");
  m.body.clear();
  m.signature.clear();
  commit_ok(*store_, {records::posted{m}});
  EXPECT_EQ(get_ok("m-1").msg, m);
}

TEST_P(commit_test, posted_with_seq_is_sent) {
  commit_ok(*store_, {posted("m-1", "navy", 1)});
  stored_message got = get_ok("m-1");
  EXPECT_EQ(got.msg.seq, 1u);
  EXPECT_EQ(got.status, delivery_status::sent);
}

TEST_P(commit_test, sequenced_gives_a_queued_message_its_seq) {
  commit_ok(*store_, {posted("m-1", "navy")});
  commit_ok(*store_, {sequenced("navy", "m-1", 1)});
  stored_message got = get_ok("m-1");
  EXPECT_EQ(got.msg.seq, 1u);
  EXPECT_EQ(got.status, delivery_status::sent);
}

TEST_P(commit_test, sequencing_twice_is_corrupt) {
  commit_ok(*store_, {posted("m-1", "navy"), sequenced("navy", "m-1", 1)});
  auto r = store_->commit(std::vector{sequenced("navy", "m-1", 2)}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupt);
  EXPECT_EQ(get_ok("m-1").msg.seq, 1u);
}

TEST_P(commit_test, sequencing_an_unknown_or_inbound_message_is_corrupt) {
  commit_ok(*store_, {received("in-1", "navy", 1), posted("m-1", "air")});
  for (auto rec : {sequenced("navy", "nope", 1), sequenced("navy", "in-1", 2),
                   sequenced("navy", "m-1", 1)}) {  // m-1 exists, but on another channel
    auto r = store_->commit(std::vector{rec}, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::corrupt) << r.error().message;
  }
}

TEST_P(commit_test, sequencing_onto_a_taken_seq_is_corrupt) {
  commit_ok(*store_, {posted("m-1", "navy", 1), posted("m-2", "navy")});
  auto r = store_->commit(std::vector{sequenced("navy", "m-2", 1)}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupt);
  EXPECT_EQ(get_ok("m-2").msg.seq, 0u);
}

TEST_P(commit_test, received_is_stamped_with_now_and_delivered) {
  commit_ok(*store_, {received("in-1", "navy", 1)}, 7777);
  stored_message got = get_ok("in-1");
  EXPECT_EQ(got.direction, box::in);
  EXPECT_EQ(got.status, delivery_status::delivered);
  EXPECT_EQ(got.received_at_ms, 7777);
  EXPECT_EQ(got.msg.from, "ru-pacific");
  EXPECT_EQ(got.msg.seq, 1u);
}

TEST_P(commit_test, duplicate_inbound_id_or_seq_is_a_conflict) {
  commit_ok(*store_, {received("in-1", "navy", 1)});
  auto same_id = store_->commit(std::vector{received("in-1", "navy", 2)}, 1000);
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code, errc::conflict);
  // Each database names the broken constraint in its own words.
  const char* unique = postgresql() ? "unique constraint" : "UNIQUE";
  EXPECT_NE(same_id.error().message.find(unique), std::string::npos) << same_id.error().message;

  auto same_seq = store_->commit(std::vector{received("in-2", "navy", 1)}, 1000);
  ASSERT_FALSE(same_seq);
  EXPECT_EQ(same_seq.error().code, errc::conflict);
  EXPECT_FALSE(exists("in-2"));
  // The same seq on another channel is a different message.
  commit_ok(*store_, {received("in-3", "air", 1)});
}

TEST_P(commit_test, inbound_without_seq_is_refused) {
  auto r = store_->commit(std::vector{received("in-1", "navy", 0)}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  EXPECT_EQ(r.error().field, "seq");
}

TEST_P(commit_test, messages_breaking_limits_are_refused_before_the_disk) {
  message long_body = make_message("m-1", "navy");
  long_body.body.assign(limits::message_body_bytes_max + 1, 'x');
  auto r = store_->commit(std::vector<records::record>{records::posted{long_body}}, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::limit);
  EXPECT_EQ(r.error().field, "body");

  long_body.body.assign(limits::message_body_bytes_max, 'x');  // exactly at the limit is fine
  commit_ok(*store_, {records::posted{long_body}});

  auto no_id = store_->commit(std::vector{posted("", "navy")}, 1000);
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().field, "id");
}

TEST_P(commit_test, delivered_marks_are_cumulative_and_stamped_once) {
  commit_ok(*store_,
            {posted("m-1", "navy", 1), posted("m-2", "navy", 2), posted("m-3", "navy", 3)});
  commit_ok(*store_, {delivered("navy", 2)}, 500);
  EXPECT_EQ(get_ok("m-1").delivered_at_ms, 500);
  EXPECT_EQ(get_ok("m-2").delivered_at_ms, 500);
  EXPECT_FALSE(get_ok("m-3").delivered_at_ms.has_value());
  EXPECT_EQ(get_ok("m-3").status, delivery_status::sent);

  commit_ok(*store_, {delivered("navy", 3)}, 900);
  EXPECT_EQ(get_ok("m-1").delivered_at_ms, 500);  // not re-stamped
  EXPECT_EQ(get_ok("m-3").delivered_at_ms, 900);
  EXPECT_EQ(get_ok("m-3").status, delivery_status::delivered);
}

TEST_P(commit_test, delivered_touches_only_its_channel_and_sequenced_outbound) {
  commit_ok(*store_,
            {posted("navy-1", "navy", 1), posted("air-1", "air", 1), posted("navy-q", "navy"),
             received("navy-in", "navy", 1)},
            100);
  commit_ok(*store_, {delivered("navy", 10)}, 500);
  EXPECT_EQ(get_ok("navy-1").delivered_at_ms, 500);
  EXPECT_FALSE(get_ok("air-1").delivered_at_ms.has_value());
  EXPECT_FALSE(get_ok("navy-q").delivered_at_ms.has_value());
  EXPECT_EQ(get_ok("navy-q").status, delivery_status::queued);
  EXPECT_FALSE(get_ok("navy-in").delivered_at_ms.has_value());
}

// The driver answers a post and announces a received message from the commit itself: the
// cursor the store reports for each message the commit inserted is the one a read returns, and a
// commit that failed reports none.
TEST_P(commit_test, the_cursors_a_commit_reports_are_those_it_stored) {
  commit_ok(*store_, {posted("out-1", "navy"), received("in-1", "navy", 1)}, 1000);
  for (const char* id : {"out-1", "in-1"}) {
    auto cursor = store_->committed_cursor(id);
    ASSERT_TRUE(cursor.has_value()) << id;
    EXPECT_EQ(*cursor, get_ok(id).cursor) << id;
  }
  commit_ok(*store_, {posted("out-2", "navy")}, 1001);
  EXPECT_FALSE(store_->committed_cursor("out-1").has_value()) << "only the last commit's";
  EXPECT_EQ(store_->committed_cursor("out-2"), get_ok("out-2").cursor);
  auto failed = store_->commit(std::vector<records::record>{posted("out-3", "navy"),
                                                            received("in-1", "navy", 1)},
                               1002);
  ASSERT_FALSE(failed.has_value());
  EXPECT_FALSE(store_->committed_cursor("out-3").has_value()) << "rolled back, never stored";
  EXPECT_FALSE(store_->committed_cursor("out-2").has_value());
}

TEST_P(commit_test, a_failing_record_undoes_the_whole_batch) {
  auto r = store_->commit(
      std::vector{posted("m-1", "navy"), received("in-1", "navy", 1), sequenced("navy", "nope", 1)},
      1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::corrupt);
  EXPECT_NE(r.error().message.find("record 2"), std::string::npos) << r.error().message;
  EXPECT_FALSE(exists("m-1"));
  EXPECT_FALSE(exists("in-1"));
  // The store is still usable and the same records apply cleanly without the bad one.
  commit_ok(*store_, {posted("m-1", "navy"), received("in-1", "navy", 1)});
  EXPECT_TRUE(exists("m-1"));
}

TEST_P(commit_test, records_apply_in_order_within_a_batch) {
  // Sequencing a message posted earlier in the same batch only works if order is kept.
  commit_ok(*store_, {posted("m-1", "navy"), sequenced("navy", "m-1", 1), delivered("navy", 1)},
            42);
  EXPECT_EQ(get_ok("m-1").delivered_at_ms, 42);
}

TEST_P(commit_test, cursor_increases_in_commit_order) {
  commit_ok(*store_, {posted("b", "navy"), posted("a", "navy")});
  commit_ok(*store_, {received("c", "navy", 1)});
  EXPECT_LT(get_ok("b").cursor, get_ok("a").cursor);
  EXPECT_LT(get_ok("a").cursor, get_ok("c").cursor);
}

TEST_P(commit_test, batch_size_is_limited) {
  commit_ok(*store_, {});
  std::vector<records::record> recs(limits::group_commit_records_max + 1, delivered("navy", 0));
  auto r = store_->commit(recs, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::limit);
  recs.pop_back();  // exactly at the limit is accepted
  commit_ok(*store_, recs);
}

HOTLINE_STORE_BACKENDS(commit_test);

// A receipt marks only the rows still undelivered. Left to SQLite's planner the mark walked every
// delivered row below its seq, so each receipt cost time in proportion to the whole outbox.
TEST(sqlite_store_commit, marking_delivered_visits_only_undelivered_rows) {
  auto store_ = open_ok(":memory:");
  ASSERT_NE(store_, nullptr);
  std::vector<records::record> recs;
  for (std::uint64_t seq = 1; seq <= 3000; ++seq) {
    recs.push_back(posted("m" + std::to_string(seq), "c", seq));
  }
  commit_ok(*store_, recs);
  commit_ok(*store_, {delivered("c", 2999)});
  ASSERT_TRUE(sqlite_testing::take_deliver_steps(*store_).has_value());
  commit_ok(*store_, {delivered("c", 3000)});
  auto steps = sqlite_testing::take_deliver_steps(*store_);
  ASSERT_TRUE(steps.has_value());
  EXPECT_LT(*steps, 100) << "the last mark visited the delivered rows too";
  auto last = store_->get("m3000");
  ASSERT_TRUE(last && *last);
  EXPECT_TRUE((*last)->delivered_at_ms.has_value());
}

// A full disk, simulated by capping the database's page count, fails the commit with
// errc::io, applies nothing, and leaves the store working once space returns.
TEST(sqlite_store_disk_full, commit_fails_cleanly_and_the_store_recovers) {
  temp_dir dir;
  auto s = open_ok(dir.file("station.db"));
  ASSERT_NE(s, nullptr);
  commit_ok(*s, {posted("before", "navy", 1)});

  auto pages = sqlite_testing::pragma_value(*s, "page_count");
  ASSERT_TRUE(pages) << pages.error().message;
  auto cap = sqlite_testing::set_max_page_count(*s, std::stoll(*pages));
  ASSERT_TRUE(cap) << cap.error().message;

  std::vector<records::record> big;
  for (int i = 0; i < 8; ++i) {
    message m = make_message("big-" + std::to_string(i), "navy", static_cast<std::uint64_t>(i + 2));
    m.body.assign(limits::message_body_bytes_max, 'x');
    big.push_back(records::posted{m});
  }
  auto r = s->commit(big, 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::io);
  EXPECT_NE(r.error().message.find("full"), std::string::npos) << r.error().message;

  auto before = s->get("before");
  ASSERT_TRUE(before && before->has_value());
  EXPECT_EQ((*before)->msg.seq, 1u);
  auto first_big = s->get("big-0");
  ASSERT_TRUE(first_big);
  EXPECT_FALSE(first_big->has_value());

  ASSERT_TRUE(sqlite_testing::set_max_page_count(*s, 1'000'000));
  commit_ok(*s, big);
  auto rec = s->recover("navy");
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(rec->next_out_seq, 10u);
}

}  // namespace
}  // namespace hotline::storage

namespace hotline::storage {
namespace {

using namespace fixtures;

// The pages a commit writes to the WAL, and fsyncs, are counted per commit (the figure in
// docs/benchmarks.md comes from it): a commit of many messages writes more than one of a single
// message, and each reports its own count, not a running total.
TEST(commit_pages, each_commit_reports_the_pages_it_wrote_to_the_log) {
  temp_dir dir;
  auto s = open_ok(dir.file("hotline.db"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->last_sync_pages(), -1) << "nothing committed yet";
  commit_ok(*s, {records::posted{make_message("one", "navy")}}, 1000);
  const std::int64_t one = s->last_sync_pages();
  EXPECT_GT(one, 0);
  commit_ok(*s, {records::posted{make_message("two", "navy")}}, 1001);
  const std::int64_t again = s->last_sync_pages();
  EXPECT_GT(again, 0);
  EXPECT_LE(again, one + 2) << "a running total, not this commit's pages";
  std::vector<records::record> many;
  for (int i = 0; i < 200; ++i) {
    message m = make_message("bulk-" + std::to_string(i), "navy");
    m.body = std::string(2000, 'x');
    many.push_back(records::posted{std::move(m)});
  }
  commit_ok(*s, many, 1002);
  EXPECT_GT(s->last_sync_pages(), 4 * again);
}

// Each index on messages costs every message a page in every commit under a light load, where
// a commit holds one message. An inbound message writes the table and its AUTOINCREMENT counter,
// the unique id, (channel, box, seq), (channel, box, cursor) and the watch's awaiting-ack index:
// six pages; its journal entry two more (the journal and its message-id index). An index added
// without a query that needs it shows up here (migration 12 dropped three that wrote three more).
TEST(commit_pages, one_inbound_message_writes_only_the_pages_its_indexes_need) {
  for (const bool journal : {false, true}) {
    temp_dir dir;
    auto opened = open_sqlite(dir.file("hotline.db"), journal_options{{}, journal});
    ASSERT_TRUE(opened.has_value());
    auto& s = *opened;
    commit_ok(*s, {received("in-1", "navy", 1)}, 1000);
    commit_ok(*s, {received("in-2", "navy", 2)}, 1001);
    EXPECT_EQ(s->last_sync_pages(), journal ? 8 : 6) << (journal ? "with" : "without") << " the journal";
  }
}

// Without the channel and box indexes that migration 12 dropped, a page of the list with only a
// channel or only a box walks the table from the newest message and stops at the limit: the
// newest of each, in order, however the channels and boxes interleave.
TEST(commit_pages, lists_by_channel_or_box_alone_still_page_in_cursor_order) {
  temp_dir dir;
  auto s = open_ok(dir.file("hotline.db"));
  ASSERT_NE(s, nullptr);
  for (int i = 1; i <= 30; ++i) {
    const std::string channel = i % 3 == 0 ? "army" : "navy";
    commit_ok(*s, {received("in-" + std::to_string(i), channel, static_cast<std::uint64_t>(i))},
              1000 + i);
    commit_ok(*s, {posted("out-" + std::to_string(i), channel)}, 1000 + i);
  }
  list_query by_channel;
  by_channel.channel = "army";
  by_channel.limit = 4;
  auto newest = s->list(by_channel);
  ASSERT_TRUE(newest.has_value());
  ASSERT_EQ(newest->size(), 4U);
  EXPECT_EQ(newest->front().msg.id, "in-27");
  EXPECT_EQ(newest->back().msg.id, "out-30");
  list_query by_box;
  by_box.direction = box::in;
  by_box.after_cursor = newest->front().cursor;
  by_box.limit = 3;
  auto after = s->list(by_box);
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 3U);
  EXPECT_EQ(after->at(0).msg.id, "in-28");
  EXPECT_EQ(after->at(1).msg.id, "in-29");
  EXPECT_EQ(after->at(2).msg.id, "in-30");
}

}  // namespace
}  // namespace hotline::storage
