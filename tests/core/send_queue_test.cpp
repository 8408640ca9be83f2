// Send queue: the in-memory bound in messages and bytes at its edges, spilling to disk, loads
// in exact post order, flash first, and stale loads after messages are dropped back to disk.
#include "core/send_queue.hpp"

#include <gtest/gtest.h>

namespace hotline::core {
namespace {

message make(std::string id, precedence p = precedence::routine) {
  message m;
  m.id = std::move(id);
  m.channel = "navy";
  m.from = "rok-fleet";
  m.prec = p;
  m.body = "text";
  return m;
}

std::size_t weight() { return message_weight_bytes(make("r1")); }

queue_memory fits(std::size_t messages) { return {messages, 1 << 20}; }

// Pops until the queue gives nothing; returns the ids in order.
std::vector<std::string> pop_all(send_queue& q) {
  std::vector<std::string> ids;
  while (auto m = q.pop()) ids.push_back(m->id);
  return ids;
}

TEST(send_queue, holds_exactly_messages_max_in_memory) {
  send_queue q("navy", fits(3));
  for (int i = 1; i <= 3; ++i) q.push(make("r" + std::to_string(i)));
  EXPECT_EQ(q.held(), 3u);
  EXPECT_EQ(q.on_disk(precedence::routine), 0u);
  q.push(make("r4"));
  EXPECT_EQ(q.held(), 3u);
  EXPECT_EQ(q.on_disk(precedence::routine), 1u);
  EXPECT_EQ(q.size(), 4u);
}

TEST(send_queue, holds_exactly_bytes_max_in_memory) {
  send_queue at_edge("navy", {100, 2 * weight()});
  for (const char* id : {"r1", "r2", "r3"}) at_edge.push(make(id));
  EXPECT_EQ(at_edge.held(), 2u);
  EXPECT_EQ(at_edge.held_bytes(), 2 * weight());

  send_queue below("navy", {100, 2 * weight() - 1});
  for (const char* id : {"r1", "r2", "r3"}) below.push(make(id));
  EXPECT_EQ(below.held(), 1u);
  EXPECT_EQ(below.on_disk(precedence::routine), 2u);
}

TEST(send_queue, keeps_one_message_however_large) {
  send_queue q("navy", {100, 1});
  q.push(make("r1"));
  EXPECT_EQ(q.held(), 1u);
  EXPECT_GT(q.held_bytes(), 1u);
  q.push(make("r2"));
  EXPECT_EQ(q.held(), 1u);
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r1"}));
}

TEST(send_queue, reads_spilled_messages_back_in_post_order) {
  send_queue q("navy", fits(2));
  for (int i = 1; i <= 5; ++i) q.push(make("r" + std::to_string(i)));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_FALSE(q.pop());  // r3 is on disk: nothing leaves before it
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->prec, precedence::routine);
  EXPECT_EQ(load->after_id, "r2");
  EXPECT_EQ(load->messages_max, 2u);
  EXPECT_FALSE(q.next_load());  // one load at a time
  ASSERT_TRUE(q.on_loaded(load->serial, {make("r3"), make("r4")}));
  EXPECT_EQ(q.on_disk(precedence::routine), 1u);
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r3", "r4"}));
  load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r4");
  EXPECT_EQ(load->messages_max, 1u);  // never more than are on disk
  ASSERT_TRUE(q.on_loaded(load->serial, {make("r5")}));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r5"}));
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.next_load());
}

TEST(send_queue, a_post_behind_messages_on_disk_waits_on_disk) {
  send_queue q("navy", fits(1));
  q.push(make("r1"));
  q.push(make("r2"));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r1"}));
  EXPECT_TRUE(q.would_hold(precedence::flash));
  EXPECT_FALSE(q.would_hold(precedence::routine));
  q.push(make("r3"));  // memory is empty, but r2 is ahead of it on disk
  EXPECT_EQ(q.held(), 0u);
  EXPECT_EQ(q.on_disk(precedence::routine), 2u);
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r1");
}

TEST(send_queue, flash_takes_the_room_of_routine) {
  send_queue q("navy", fits(2));
  q.push(make("r1"));
  q.push(make("r2"));
  q.push(make("f1", precedence::flash));
  EXPECT_EQ(q.held(), 2u);
  EXPECT_EQ(q.on_disk(precedence::routine), 1u);  // r2, the newest routine, went back to disk
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f1", "r1"}));
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r1");
}

TEST(send_queue, flash_on_disk_holds_back_routine_in_memory) {
  send_queue q("navy", fits(2));
  q.push(make("r1"));
  q.push(make("f1", precedence::flash));
  q.push(make("f2", precedence::flash));  // r1 goes back to disk
  q.push(make("f3", precedence::flash));  // memory is full of flash: f3 waits on disk
  EXPECT_EQ(q.on_disk(precedence::flash), 1u);
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f1", "f2"}));
  q.push(make("r2"));  // behind r1 on disk
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->prec, precedence::flash);  // the most urgent on disk is read first
  EXPECT_EQ(load->after_id, "f2");
  ASSERT_TRUE(q.on_loaded(load->serial, {make("f3", precedence::flash)}));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f3"}));
  load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->prec, precedence::routine);
  EXPECT_EQ(load->after_id, "");  // no routine message was ever popped: from the oldest
  EXPECT_EQ(load->messages_max, 2u);
}

TEST(send_queue, reads_in_batches_of_half_the_bound) {
  send_queue q("navy", fits(4));
  for (int i = 1; i <= 8; ++i) q.push(make("r" + std::to_string(i)));
  ASSERT_TRUE(q.pop());
  EXPECT_FALSE(q.next_load());  // three held, one free: not worth a read yet
  ASSERT_TRUE(q.pop());
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r4");
  EXPECT_EQ(load->messages_max, 2u);
}

// Regression guard: a load continues after the newest message held. If that message goes back
// to disk while the load is in flight, the answer would put r3 ahead of r2.
// Regression guard: with room for less than a message, a load made while messages are still
// held would bring one that is dropped straight back to disk, and the load would repeat forever.
TEST(send_queue, no_load_while_held_messages_leave_no_room_for_one_more) {
  send_queue q("navy", {4, 1});
  for (int i = 1; i <= 6; ++i) q.push(make("r" + std::to_string(i)));
  EXPECT_EQ(q.held(), 1u);
  EXPECT_FALSE(q.next_load());
  ASSERT_EQ(q.pop()->id, "r1");
  auto load = q.next_load();  // starved now: one message comes, whatever its size
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r1");
  ASSERT_TRUE(q.on_loaded(load->serial, {make("r2")}));
  EXPECT_EQ(q.held(), 1u);
  EXPECT_FALSE(q.next_load());
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r2"}));
}

TEST(send_queue, a_load_waits_for_room_for_the_heaviest_message) {
  // Half the bound is less than the heaviest message here, so room for one is what decides.
  send_queue q("navy", {100, message_weight_bytes_max + message_weight_bytes_max / 2});
  message medium = make("m2");
  medium.body.assign(47'000, 'x');
  message heavy = make("h3");
  heavy.body.assign(limits::message_body_bytes_max, 'x');
  q.push(make("s1"));
  q.push(medium);
  q.push(heavy);
  ASSERT_EQ(q.on_disk(precedence::routine), 1u);  // the heavy one did not fit
  EXPECT_FALSE(q.next_load()) << "more than half is free, but not room for any message";
  ASSERT_EQ(q.pop()->id, "s1");
  EXPECT_FALSE(q.next_load());
  ASSERT_EQ(q.pop()->id, "m2");
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "m2");
  ASSERT_TRUE(q.on_loaded(load->serial, {heavy}));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"h3"}));
}

TEST(send_queue, a_load_overtaken_by_flash_is_stale) {
  send_queue q("navy", fits(2));
  for (const char* id : {"r1", "r2", "r3"}) q.push(make(id));
  ASSERT_EQ(q.pop()->id, "r1");
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r2");
  q.push(make("f1", precedence::flash));
  q.push(make("f2", precedence::flash));  // r2 goes back to disk while the load is in flight
  ASSERT_EQ(q.pop()->id, "f1");           // and there is room again
  ASSERT_TRUE(q.on_loaded(load->serial, {make("r3")}));  // ignored: it would skip r2
  EXPECT_EQ(q.on_disk(precedence::routine), 2u);
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f2"}));
  load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r1");
  EXPECT_EQ(load->messages_max, 2u);
  ASSERT_TRUE(q.on_loaded(load->serial, {make("r2"), make("r3")}));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r2", "r3"}));
}

// Flash that waits on disk holds back routine already in memory.
TEST(send_queue, routine_in_memory_waits_for_flash_on_disk) {
  send_queue q("navy", fits(2));
  for (const char* id : {"f1", "f2", "f3"}) q.push(make(id, precedence::flash));
  ASSERT_EQ(q.pop()->id, "f1");
  q.push(make("r1"));  // room for it: held beside f2, while f3 is on disk
  EXPECT_EQ(q.held(), 2u);
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f2"}));
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->prec, precedence::flash);
  EXPECT_EQ(load->after_id, "f2");
  ASSERT_TRUE(q.on_loaded(load->serial, {make("f3", precedence::flash)}));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f3", "r1"}));
}

TEST(send_queue, refuses_an_answer_that_is_not_the_one_asked_for) {
  send_queue q("navy", fits(1));
  q.push(make("r1"));
  q.push(make("r2"));
  q.push(make("r3"));
  ASSERT_TRUE(q.pop());
  auto load = q.next_load();
  ASSERT_TRUE(load);
  ASSERT_EQ(load->messages_max, 1u);
  message sequenced = make("r2");
  sequenced.seq = 7;
  message other_channel = make("r2");
  other_channel.channel = "air";
  for (auto bad : std::vector<std::vector<message>>{{},
                                                    {make("r2"), make("r3")},
                                                    {make("r2", precedence::flash)},
                                                    {sequenced},
                                                    {other_channel},
                                                    {make("r1")}}) {
    auto r = q.on_loaded(load->serial, bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::corrupt);
    EXPECT_EQ(q.on_disk(precedence::routine), 2u);  // changed nothing
  }
  ASSERT_TRUE(q.on_loaded(load->serial, {make("r2")}));
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"r2"}));
}

TEST(send_queue, ignores_an_answer_to_no_request) {
  send_queue q("navy", fits(1));
  q.push(make("r1"));
  q.push(make("r2"));
  ASSERT_TRUE(q.on_loaded(0, {make("r2")}));
  ASSERT_TRUE(q.on_loaded(99, {make("r2")}));
  EXPECT_EQ(q.held(), 1u);
  EXPECT_EQ(q.on_disk(precedence::routine), 1u);
}

TEST(send_queue, restores_a_prefix_and_counts_the_rest) {
  send_queue q("navy", fits(3));
  std::array<std::uint64_t, precedence_count> total{};
  total[static_cast<std::size_t>(precedence::flash)] = 1;
  total[static_cast<std::size_t>(precedence::routine)] = 1'000'000;
  q.restore({make("f1", precedence::flash), make("r1"), make("r2"), make("r3")}, total);
  EXPECT_EQ(q.size(), 1'000'001u);
  EXPECT_EQ(q.held(), 3u);  // r3 was over the bound
  EXPECT_EQ(q.on_disk(precedence::routine), 999'998u);
  EXPECT_EQ(pop_all(q), (std::vector<std::string>{"f1", "r1", "r2"}));
  auto load = q.next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r2");
  EXPECT_EQ(load->messages_max, 3u);
}

}  // namespace
}  // namespace hotline::core
