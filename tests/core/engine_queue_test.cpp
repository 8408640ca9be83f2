// Engine: a queue larger than its memory bound. Posts beyond the bound wait on disk and are read
// back through load actions; they reach the peer exactly once, in order, with flash first.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/engine.hpp"
#include "core/engine_pair.hpp"

namespace hotline::core {
namespace {

using test::engine_pair;

message draft(std::string id, precedence p = precedence::routine) {
  message m;
  m.id = std::move(id);
  m.channel = "navy";
  m.prec = p;
  m.created_at_ms = 1'700'000'000'000;
  m.body = "notification " + m.id;
  return m;
}

std::vector<std::string> ids(const std::vector<message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.id);
  return out;
}

// A pair whose sender A keeps at most `messages` queued messages in memory.
engine_pair bounded_pair(std::size_t messages, std::size_t window = limits::window_messages_max) {
  auto a = test::pair_config(test::station_a, test::station_b, 1);
  a.queue_memory_messages_max = messages;
  a.window_messages_max = window;
  return engine_pair(a, test::pair_config(test::station_b, test::station_a, 2));
}

void post_ok(engine_pair& p, const std::string& id, precedence prec = precedence::routine) {
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft(id, prec)).has_value()) << id;
  p.settle();
}

TEST(engine_queue, posts_beyond_the_memory_bound_arrive_in_order) {
  engine_pair p = bounded_pair(3);
  std::vector<std::string> posted;
  for (int i = 1; i <= 50; ++i) {
    posted.push_back("r" + std::to_string(i));
    post_ok(p, posted.back());
  }
  EXPECT_EQ(p.a().eng->status(0)[0].queued, 50u);
  EXPECT_EQ(p.a().loads, 0u) << "nothing is read back while there is no link";
  p.connect(0);
  EXPECT_EQ(ids(p.b().inbox()), posted);
  EXPECT_GT(p.a().loads, 0u);
  EXPECT_EQ(p.a().eng->status(0)[0].queued, 0u);
  EXPECT_EQ(p.a().eng->status(0)[0].unacked, 0u);
}

TEST(engine_queue, flash_overtakes_routine_waiting_on_disk) {
  engine_pair p = bounded_pair(2);
  std::vector<std::string> routine;
  for (int i = 1; i <= 10; ++i) {
    routine.push_back("r" + std::to_string(i));
    post_ok(p, routine.back());
  }
  post_ok(p, "f1", precedence::flash);
  post_ok(p, "p1", precedence::priority);
  for (int i = 11; i <= 15; ++i) {
    routine.push_back("r" + std::to_string(i));
    post_ok(p, routine.back());
  }
  post_ok(p, "f2", precedence::flash);
  p.connect(0);
  std::vector<std::string> expected{"f1", "f2", "p1"};
  expected.insert(expected.end(), routine.begin(), routine.end());
  EXPECT_EQ(ids(p.b().inbox()), expected);
}

// With a small window the queue drains in steps, and posts made while reads are in flight join
// the queue on disk behind the ones already there.
TEST(engine_queue, posts_during_slow_reads_keep_their_place) {
  engine_pair p = bounded_pair(2, 3);
  std::vector<std::string> posted;
  for (int i = 1; i <= 8; ++i) {
    posted.push_back("m" + std::to_string(i));
    post_ok(p, posted.back());
  }
  p.a().hold_loads = true;
  p.connect(0);
  for (int round = 0; round < 100 && p.b().inbox().size() < 20; ++round) {
    if (posted.size() < 20) {
      posted.push_back("m" + std::to_string(posted.size() + 1));
      post_ok(p, posted.back());
    }
    p.complete_held_loads(0);
  }
  EXPECT_EQ(ids(p.b().inbox()), posted);
}

TEST(engine_queue, a_failed_read_stops_the_engine) {
  engine_pair p = bounded_pair(1);
  post_ok(p, "r1");
  post_ok(p, "r2");
  p.a().fail_loads = true;
  p.connect(0);
  EXPECT_TRUE(p.a().eng->failed());
  EXPECT_EQ(p.a().count_events(event_kind::storage_failed), 1u);
  EXPECT_EQ(p.open_wires(), 0u);
  EXPECT_LE(p.b().inbox().size(), 1u) << "r2 was never read, so it cannot have left";
}

TEST(engine_queue, an_answer_for_another_load_stops_the_engine) {
  engine_pair p = bounded_pair(1);
  post_ok(p, "r1");
  post_ok(p, "r2");
  post_ok(p, "f1", precedence::flash);
  p.a().hold_loads = true;
  p.connect(0);
  ASSERT_EQ(p.a().held_loads.size(), 1u);
  const load_action l = p.a().held_loads.front();
  EXPECT_EQ(l.prec, precedence::routine);
  p.a().held_loads.clear();
  p.a().eng->on_loaded(p.now_us(), l.token, std::vector<message>{draft("f1", precedence::flash)});
  p.settle();
  EXPECT_TRUE(p.a().eng->failed());
  // A second answer to the same token, or one to a token never issued, is ignored.
  p.a().eng->on_loaded(p.now_us(), l.token, std::vector<message>{});
  p.a().eng->on_loaded(p.now_us(), 9999, std::vector<message>{});
  EXPECT_EQ(p.a().count_events(event_kind::storage_failed), 1u);
}

// queue_messages_max counts every queued post, most of them on disk: restored from a store
// holding one short of the limit, the engine takes one more post and refuses the next.
TEST(engine_queue, the_queue_limit_counts_messages_on_disk) {
  engine_pair p = bounded_pair(2);
  records::channel_recovery r;
  r.channel = "navy";
  r.queued = {draft("old-1"), draft("old-2")};
  for (auto& m : r.queued) m.from = test::station_a;
  r.queued_total[static_cast<std::size_t>(precedence::routine)] = limits::queue_messages_max - 1;
  p.a().eng->restore({r});
  EXPECT_EQ(p.a().eng->status(0)[0].queued, limits::queue_messages_max - 1);
  p.a().hold_persists = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("last")).has_value());
  auto refused = p.a().eng->post(p.now_us(), draft("one-too-many", precedence::flash));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, errc::unavailable);
  p.settle();
  p.complete_held(0, true);
  EXPECT_EQ(p.a().eng->status(0)[0].queued, limits::queue_messages_max);
}

}  // namespace
}  // namespace hotline::core
