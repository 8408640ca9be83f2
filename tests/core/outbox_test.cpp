// Outbox: precedence order, the window, cumulative acks, go-back-N and durability gating.
#include "core/outbox.hpp"

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

// Sends everything sendable and returns the ids in wire order.
std::vector<std::string> drain(outbox& ob) {
  std::vector<std::string> ids;
  while (const message* m = ob.peek_sendable()) {
    ids.push_back(m->id);
    ob.advance();
  }
  return ids;
}

TEST(outbox, flash_overtakes_queued_routine_messages) {
  outbox ob("navy", 16, 1 << 20);
  ob.enqueue(make("r1"));
  ob.enqueue(make("r2"));
  ob.enqueue(make("p1", precedence::priority));
  ob.enqueue(make("f1", precedence::flash));
  auto seqs = ob.sequence_queued();
  ASSERT_EQ(seqs.size(), 4u);
  EXPECT_EQ(seqs[0].id, "f1");
  EXPECT_EQ(seqs[1].id, "p1");
  EXPECT_EQ(seqs[2].id, "r1");
  EXPECT_EQ(seqs[3].id, "r2");
  for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i].seq, i + 1);
  ob.mark_durable(4);
  EXPECT_EQ(drain(ob), (std::vector<std::string>{"f1", "p1", "r1", "r2"}));
}

TEST(outbox, window_limits_how_many_are_sequenced) {
  outbox ob("navy", 3, 1 << 20);
  for (int i = 0; i < 5; ++i) ob.enqueue(make("m" + std::to_string(i)));
  EXPECT_EQ(ob.sequence_queued().size(), 3u);
  EXPECT_TRUE(ob.window_full());
  EXPECT_EQ(ob.queued(), 2u);
  message extra = make("x");
  EXPECT_FALSE(ob.try_sequence_now(extra));
  ob.mark_durable(3);
  drain(ob);
  ASSERT_TRUE(ob.on_ack(2).value());
  auto more = ob.sequence_queued();
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].seq, 4u);
  EXPECT_EQ(more[1].seq, 5u);
}

TEST(outbox, window_limits_bytes_too) {
  message m = make("big");
  outbox ob("navy", 100, message_weight_bytes(m) * 2);
  for (int i = 0; i < 4; ++i) ob.enqueue(make("big"));
  EXPECT_EQ(ob.sequence_queued().size(), 2u);
  EXPECT_TRUE(ob.window_full());
}

TEST(outbox, acks_are_cumulative) {
  outbox ob("navy", 16, 1 << 20);
  for (int i = 0; i < 5; ++i) ob.enqueue(make("m" + std::to_string(i)));
  ob.sequence_queued();
  ob.mark_durable(5);
  drain(ob);
  EXPECT_TRUE(ob.on_ack(3).value());
  EXPECT_EQ(ob.acked(), 3u);
  EXPECT_EQ(ob.in_window(), 2u);
  EXPECT_FALSE(ob.on_ack(2).value());  // stale acks change nothing
  EXPECT_FALSE(ob.on_ack(3).value());
  EXPECT_EQ(ob.acked(), 3u);
  EXPECT_TRUE(ob.on_ack(5).value());
  EXPECT_EQ(ob.in_window(), 0u);
  EXPECT_FALSE(ob.has_unacked_sent());
}

TEST(outbox, ack_beyond_what_was_sequenced_is_a_protocol_error) {
  outbox ob("navy", 16, 1 << 20);
  ob.enqueue(make("m1"));
  ob.sequence_queued();
  ob.mark_durable(1);
  drain(ob);
  auto r = ob.on_ack(2);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::protocol);
  EXPECT_EQ(ob.acked(), 0u);
}

TEST(outbox, ack_of_a_message_never_made_durable_is_a_protocol_error) {
  outbox ob("navy", 16, 1 << 20);
  ob.enqueue(make("m1"));
  ob.sequence_queued();
  auto r = ob.on_ack(1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::protocol);
}

// Regression: on_ack used to pop window entries before finding one that was not durable, then
// return the error with acked() unchanged, so the window was indexed wrongly afterwards.
TEST(outbox, an_ack_covering_a_message_not_yet_sent_changes_nothing) {
  outbox ob("navy", 16, 1 << 20);
  for (int i = 1; i <= 3; ++i) ob.enqueue(make("m" + std::to_string(i)));
  ob.sequence_queued();
  ob.mark_durable(1);
  drain(ob);  // only m1 was durable, so only m1 went out
  auto r = ob.on_ack(2);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::protocol);
  EXPECT_EQ(ob.acked(), 0u);
  EXPECT_EQ(ob.in_window(), 3u);
  ob.mark_durable(3);
  ob.rewind();
  EXPECT_EQ(drain(ob), (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_TRUE(ob.on_ack(3).value());
  EXPECT_EQ(ob.in_window(), 0u);
}

TEST(outbox, a_durable_message_never_transmitted_cannot_be_acknowledged) {
  outbox ob("navy", 16, 1 << 20);
  ob.enqueue(make("m1"));
  ob.enqueue(make("m2"));
  ob.sequence_queued();
  ob.mark_durable(2);
  ASSERT_NE(ob.peek_sendable(), nullptr);
  ob.advance();  // m1 out; m2 durable but not sent
  EXPECT_EQ(ob.sent_max(), 1u);
  EXPECT_FALSE(ob.on_ack(2).has_value());
  EXPECT_TRUE(ob.on_ack(1).value());
}

TEST(outbox, restored_messages_may_have_been_sent_before_the_restart) {
  outbox ob("navy", 16, 1 << 20);
  records::channel_recovery r;
  r.channel = "navy";
  r.next_out_seq = 3;
  auto m1 = make("m1");
  m1.seq = 1;
  auto m2 = make("m2");
  m2.seq = 2;
  r.unacked = {m1, m2};
  ob.restore(r);
  EXPECT_EQ(ob.sent_max(), 2u);
  EXPECT_TRUE(ob.on_ack(2).value());
}

TEST(outbox, a_resume_hint_skips_only_within_what_was_sent) {
  outbox ob("navy", 16, 1 << 20);
  for (int i = 1; i <= 4; ++i) ob.enqueue(make("m" + std::to_string(i)));
  ob.sequence_queued();
  ob.mark_durable(4);
  drain(ob);
  ob.rewind();
  ob.skip_to(3);
  EXPECT_EQ(ob.send_next(), 3u);
  EXPECT_EQ(ob.acked(), 0u) << "a hint marks nothing delivered";
  ob.skip_to(9);  // beyond what was sent: ignored
  EXPECT_EQ(ob.send_next(), 3u);
}

TEST(outbox, rewind_resends_from_the_first_unacknowledged) {
  outbox ob("navy", 16, 1 << 20);
  for (int i = 1; i <= 4; ++i) ob.enqueue(make("m" + std::to_string(i)));
  ob.sequence_queued();
  ob.mark_durable(4);
  EXPECT_EQ(drain(ob).size(), 4u);
  ASSERT_TRUE(ob.on_ack(1).value());
  EXPECT_EQ(ob.peek_sendable(), nullptr);
  ob.rewind();
  EXPECT_EQ(drain(ob), (std::vector<std::string>{"m2", "m3", "m4"}));
}

TEST(outbox, nothing_is_sendable_until_durable) {
  outbox ob("navy", 16, 1 << 20);
  message m = make("fast");
  ASSERT_TRUE(ob.try_sequence_now(m));
  EXPECT_EQ(m.seq, 1u);
  ob.enqueue(make("q"));
  ob.sequence_queued();
  EXPECT_EQ(ob.peek_sendable(), nullptr);
  ob.mark_durable(1);
  ASSERT_NE(ob.peek_sendable(), nullptr);
  EXPECT_EQ(ob.peek_sendable()->id, "fast");
  ob.advance();
  EXPECT_EQ(ob.peek_sendable(), nullptr);  // seq 2 is not durable yet
  ob.mark_durable(2);
  EXPECT_EQ(drain(ob), (std::vector<std::string>{"q"}));
}

// Pipelined: a sequenced message may go on the wire while its commit runs, but an
// acknowledgement takes effect only for what is durable here, and waits for the rest.
TEST(outbox, pipelined_sends_before_durable_but_acknowledges_only_what_is_durable) {
  outbox ob("navy", 16, 1 << 20, {}, true);
  for (int i = 1; i <= 3; ++i) {
    message m = make("m" + std::to_string(i));
    ASSERT_TRUE(ob.try_sequence_now(m));
  }
  EXPECT_EQ(drain(ob), (std::vector<std::string>{"m1", "m2", "m3"})) << "sent before durable";
  EXPECT_EQ(ob.sent_max(), 3u);
  EXPECT_FALSE(ob.on_ack(3).value()) << "nothing of it is on this disk yet";
  EXPECT_EQ(ob.acked(), 0u);
  EXPECT_FALSE(ob.on_ack(3).value()) << "a repeated ack changes nothing";
  EXPECT_TRUE(ob.mark_durable(2)) << "the waiting ack takes effect as far as the commit got";
  EXPECT_EQ(ob.acked(), 2u);
  EXPECT_EQ(ob.in_window(), 1u);
  EXPECT_TRUE(ob.mark_durable(3));
  EXPECT_EQ(ob.acked(), 3u);
  EXPECT_EQ(ob.in_window(), 0u);
  EXPECT_FALSE(ob.mark_durable(3));
  EXPECT_FALSE(ob.on_ack(4).has_value()) << "still: never beyond what was sent";
}

TEST(outbox, fast_path_refuses_while_anything_is_queued) {
  outbox ob("navy", 16, 1 << 20);
  ob.enqueue(make("waiting"));
  message m = make("late", precedence::flash);
  EXPECT_FALSE(ob.try_sequence_now(m));
  EXPECT_EQ(m.seq, 0u);
}

TEST(outbox, restore_resumes_window_and_queue) {
  records::channel_recovery r;
  r.channel = "navy";
  r.next_out_seq = 8;
  r.out_delivered = 5;
  for (std::uint64_t s = 6; s <= 7; ++s) {
    message m = make("u" + std::to_string(s));
    m.seq = s;
    r.unacked.push_back(m);
  }
  r.queued = {make("q-routine"), make("q-flash", precedence::flash)};
  r.queued_total[static_cast<std::size_t>(precedence::routine)] = 1;
  r.queued_total[static_cast<std::size_t>(precedence::flash)] = 1;
  outbox ob("navy", 16, 1 << 20);
  ob.restore(r);
  EXPECT_EQ(ob.acked(), 5u);
  EXPECT_EQ(ob.next_seq(), 8u);
  EXPECT_EQ(ob.in_window(), 2u);
  EXPECT_EQ(ob.queued(), 2u);
  // Restored window entries came from disk, so they may go out at once.
  EXPECT_EQ(drain(ob), (std::vector<std::string>{"u6", "u7"}));
  auto seqs = ob.sequence_queued();
  ASSERT_EQ(seqs.size(), 2u);
  EXPECT_EQ(seqs[0].id, "q-flash");
  EXPECT_EQ(seqs[0].seq, 8u);
  EXPECT_EQ(seqs[1].id, "q-routine");
}

TEST(outbox, restore_with_everything_delivered) {
  records::channel_recovery r;
  r.channel = "navy";
  r.next_out_seq = 11;
  r.out_delivered = 10;
  outbox ob("navy", 16, 1 << 20);
  ob.restore(r);
  EXPECT_EQ(ob.acked(), 10u);
  EXPECT_EQ(ob.send_next(), 11u);
  message m = make("next");
  ASSERT_TRUE(ob.try_sequence_now(m));
  EXPECT_EQ(m.seq, 11u);
}

// The queue keeps two messages in memory; the third waits on disk, and nothing is numbered past
// it until it is read back.
TEST(outbox, numbering_stops_at_a_message_on_disk) {
  outbox ob("navy", 16, 1 << 20, {2, 1 << 20});
  for (const char* id : {"r1", "r2", "r3"}) ob.enqueue(make(id));
  EXPECT_EQ(ob.queued(), 3u);
  auto seqs = ob.sequence_queued();
  ASSERT_EQ(seqs.size(), 2u);
  EXPECT_EQ(ob.queued(), 1u);
  message fast = make("fast", precedence::flash);
  EXPECT_FALSE(ob.try_sequence_now(fast)) << "r3 waits on disk, ahead of any new post";
  auto load = ob.queue().next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r2");
  ASSERT_TRUE(ob.queue().on_loaded(load->serial, {make("r3")}));
  seqs = ob.sequence_queued();
  ASSERT_EQ(seqs.size(), 1u);
  EXPECT_EQ(seqs[0].id, "r3");
  EXPECT_EQ(seqs[0].seq, 3u);
  EXPECT_EQ(ob.queued(), 0u);
}

TEST(outbox, restore_leaves_what_is_over_the_memory_bound_on_disk) {
  records::channel_recovery r;
  r.channel = "navy";
  r.queued = {make("f1", precedence::flash), make("r1"), make("r2")};
  r.queued_total[static_cast<std::size_t>(precedence::flash)] = 1;
  r.queued_total[static_cast<std::size_t>(precedence::routine)] = limits::queue_messages_max - 1;
  outbox ob("navy", 16, 1 << 20, {2, 1 << 20});
  ob.restore(r);
  EXPECT_EQ(ob.queued(), limits::queue_messages_max);
  EXPECT_EQ(ob.queue().held(), 2u);
  auto seqs = ob.sequence_queued();
  ASSERT_EQ(seqs.size(), 2u);
  EXPECT_EQ(seqs[0].id, "f1");
  EXPECT_EQ(seqs[1].id, "r1");
  auto load = ob.queue().next_load();
  ASSERT_TRUE(load);
  EXPECT_EQ(load->after_id, "r1");
}

}  // namespace
}  // namespace hotline::core
