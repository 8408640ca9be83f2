// station::runtime on its own: one real station (real SQLite file, real TLS listener) driven
// through its service interface as the API drives it, with no counterpart connected.
#include <gtest/gtest.h>

#include <future>

#include "hostile_peer.hpp"
#include "station_world.hpp"

namespace hotline::test {
namespace {

using verify_result = result<storage::verify_report>;

class runtime_test : public ::testing::Test {
 protected:
  void SetUp() override { world_.start(); }

  // Starts a verification on the I/O thread; its answer arrives through the returned future.
  std::future<verify_result> start_verify(std::shared_ptr<std::promise<verify_result>> p) {
    auto f = p->get_future();
    world_.runtime().verify_journal([p](verify_result r) { p->set_value(std::move(r)); });
    return f;
  }

  station_world world_;
};

TEST_F(runtime_test, a_post_is_stored_queued_with_an_id_and_its_body) {
  auto m = world_.post("navy", "Exercise begins 0600Z");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_FALSE(m->msg.id.empty());
  EXPECT_EQ(m->direction, storage::box::out);
  EXPECT_EQ(m->msg.channel, "navy");
  auto again = world_.get(m->msg.id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->msg.body, m->msg.body);
}

// The answer to a post is built from the commit (its record and the cursor the store gave it),
// not read back: it must be the row a read returns, cursor and all.
TEST_F(runtime_test, a_posts_answer_is_the_row_its_commit_wrote) {
  auto first = world_.post("navy", "first");
  auto second = world_.post("navy", "second");
  ASSERT_TRUE(first && second);
  for (const auto* m : {&*first, &*second}) {
    auto stored = world_.get(m->msg.id);
    ASSERT_TRUE(stored);
    EXPECT_GT(m->cursor, 0);
    EXPECT_EQ(m->cursor, stored->cursor);
    EXPECT_EQ(m->msg.id, stored->msg.id);
    EXPECT_EQ(m->msg.body, stored->msg.body);
    EXPECT_EQ(m->msg.seq, stored->msg.seq);
    EXPECT_EQ(m->msg.created_at_ms, stored->msg.created_at_ms);
    EXPECT_EQ(m->status, stored->status);
    EXPECT_EQ(m->received_at_ms, stored->received_at_ms);
    EXPECT_EQ(m->delivered_at_ms, stored->delivered_at_ms);
  }
  EXPECT_GT(second->cursor, first->cursor);
}

TEST_F(runtime_test, a_post_on_a_channel_not_in_the_agreement_is_refused) {
  auto m = world_.post("army", "hello");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, errc::invalid_argument);
}

TEST_F(runtime_test, acknowledging_an_unknown_or_own_message_is_refused) {
  auto unknown = world_.acknowledge("no-such-message", "officer");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, errc::not_found);
  auto own = world_.post("navy", "ours");
  ASSERT_TRUE(own);
  auto acked = world_.acknowledge(own->msg.id, "officer");
  ASSERT_FALSE(acked) << "a station acknowledged a message it sent itself";
  EXPECT_EQ(world_.handler_failures(), 0U);
}

// Two officers press Acknowledge at once: one answer goes out, the other is told it is on its
// way, and the message ends acknowledged once, by the first.
TEST_F(runtime_test, two_concurrent_acknowledgements_send_one_answer) {
  hostile_peer peer(world_);
  ASSERT_TRUE(peer.connect());
  ASSERT_TRUE(peer.send(peer.honest_hello(1)));
  const auto m = peer.make_message("navy", 1, "to-ack");
  ASSERT_TRUE(peer.send(wire::data{m}));
  ASSERT_TRUE(peer.receipt_for("navy", 1));
  world_.stored(m.id);
  std::promise<result<storage::stored_message>> first, second;
  world_.on_io([&] {
    auto keep = [](std::promise<result<storage::stored_message>>& p) {
      return [&p](result<storage::stored_message> r) { p.set_value(std::move(r)); };
    };
    world_.runtime().acknowledge({m.id, "officer-a", {}}, keep(first));
    world_.runtime().acknowledge({m.id, "officer-b", {}}, keep(second));
    return 0;
  });
  auto a = first.get_future().get();
  auto b = second.get_future().get();
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, errc::conflict);
  EXPECT_EQ(world_.stored(m.id).acknowledged_by, "officer-a");
  std::size_t answers = 0;
  for (const auto& out : world_.on_io([&] {
         storage::list_query q;
         q.direction = storage::box::out;
         q.limit = 100;
         auto l = world_.runtime().list(q);
         return l ? *l : std::vector<storage::stored_message>{};
       })) {
    answers += out.msg.form == core::form_ack;
  }
  EXPECT_EQ(answers, 1U);
}

TEST_F(runtime_test, the_status_names_every_channel_of_the_agreement) {
  auto s = world_.on_io([&] { return world_.runtime().status(); });
  EXPECT_EQ(s.station, station_rok);
  std::set<std::string> channels;
  for (const auto& c : s.channels) channels.insert(c.core.channel);
  EXPECT_EQ(channels, (std::set<std::string>{"air", "navy"}));
}

// The verification of a file store runs off the I/O thread: the call returns before the report,
// a second request meanwhile is refused rather than queued, and a later one runs again.
TEST_F(runtime_test, journal_verification_runs_off_the_io_thread_one_at_a_time) {
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(world_.post("navy", "m" + std::to_string(i)));
  auto first = std::make_shared<std::promise<verify_result>>();
  auto second = std::make_shared<std::promise<verify_result>>();
  std::future<verify_result> first_f, second_f;
  const bool answered_inline = world_.on_io([&] {
    first_f = start_verify(first);
    const bool inline_answer =
        first_f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    second_f = start_verify(second);
    return inline_answer;
  });
  EXPECT_FALSE(answered_inline) << "the verification ran on the station's I/O thread";
  auto refused = second_f.get();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::conflict);
  auto report = first_f.get();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok()) << report->first_bad->what;
  EXPECT_GE(report->entries, 20);  // one per post at least (queued: no seq, no link)

  auto third = std::make_shared<std::promise<verify_result>>();
  std::future<verify_result> third_f;
  world_.on_io([&] {
    third_f = start_verify(third);
    return 0;
  });
  auto again = third_f.get();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->ok());
}

// While the station writes, a verification sees one snapshot: messages committed after it
// began are neither counted nor reported as missing from the journal.
TEST_F(runtime_test, journal_verification_during_writes_reports_a_consistent_snapshot) {
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(world_.post("navy", "before " + std::to_string(i)));
  for (int round = 0; round < 5; ++round) {
    auto p = std::make_shared<std::promise<verify_result>>();
    std::future<verify_result> f;
    world_.on_io([&] {
      f = start_verify(p);
      return 0;
    });
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(world_.post("air", "during " + std::to_string(i)));
    auto report = f.get();
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_TRUE(report->ok()) << report->first_bad->what;
  }
  EXPECT_EQ(world_.handler_failures(), 0U);
}

}  // namespace
}  // namespace hotline::test
