// The engine against a peer that holds valid keys and lies: forged pongs, resume points and
// receipts beyond what was sent, reused ids, malformed frames in bulk. Each is refused or
// ignored, and nothing the peer says changes this station's state unless it is so.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/engine.hpp"
#include "core/engine_pair.hpp"

namespace hotline::core {
namespace {

using test::engine_pair;

message draft(std::string id) {
  message m;
  m.id = std::move(id);
  m.channel = "navy";
  m.created_at_ms = 1'700'000'000'000;
  m.body = "notification";
  return m;
}

std::vector<records::noted> notes(const test::side& s, const std::string& kind) {
  std::vector<records::noted> out;
  for (const auto& r : s.disk) {
    if (const auto* n = std::get_if<records::noted>(&r); n && n->kind == kind) out.push_back(*n);
  }
  return out;
}

bool closed_with(const test::side& s, const std::string& text) {
  return std::any_of(s.closes.begin(), s.closes.end(),
                     [&](const close_action& c) { return c.reason.find(text) != std::string::npos; });
}

// Frames written into A's connection as if B had sent them.
void inject(engine_pair& p, std::size_t wire, const wire::frame& f) {
  p.a().eng->on_bytes(p.now_us(), p.conn_of(0, wire), wire::encode(f));
  p.settle();
}

// Regression: a pong with an old nonce was taken as a round trip of the whole uptime, and with
// it the silence allowance grew without bound: a dead link was never declared dead.
TEST(hostile_input, a_pong_that_answers_no_ping_changes_nothing) {
  engine_pair p;
  const auto w = p.connect(0);
  p.run_until(p.now_us() + 2'000'000);
  const auto rtt_before = p.a().eng->status(p.now_us()).at(0).rtt_us;
  p.b().muted = true;  // B's own frames stop arriving; only forged pongs do
  inject(p, w, wire::pong{1});
  inject(p, w, wire::pong{static_cast<std::uint64_t>(p.now_us())});
  EXPECT_EQ(p.a().eng->status(p.now_us()).at(0).rtt_us, rtt_before);
  p.run_until(p.now_us() + 5'000'000);
  EXPECT_TRUE(closed_with(p.a(), "peer silent")) << "a dead link was kept alive";
}

TEST(hostile_input, a_hello_resuming_beyond_what_was_sent_is_refused_and_journaled) {
  engine_pair p;
  const auto w = p.connect(1);  // B dials; A's link is inbound and waits for B's hello
  p.cut(w);
  core::conn_id a_conn = p.a().eng->on_connected(p.now_us(), direction::inbound, test::station_b, "");
  wire::hello h;
  h.station = test::station_b;
  h.agreement_hash.fill(0x42);
  h.boot_id = 99;
  h.path = test::path_fibre;
  h.resume = {{"navy", 5}};
  p.a().eng->on_bytes(p.now_us(), a_conn, wire::encode(h));
  p.settle();
  EXPECT_TRUE(closed_with(p.a(), "beyond the last this station sent"));
  ASSERT_FALSE(notes(p.a(), "refused").empty());
  EXPECT_EQ(p.a().eng->status(p.now_us()).at(0).out_acked, 0u);
}

TEST(hostile_input, a_hello_naming_a_channel_twice_is_refused) {
  engine_pair p;
  core::conn_id a_conn = p.a().eng->on_connected(p.now_us(), direction::inbound, test::station_b, "");
  wire::hello h;
  h.station = test::station_b;
  h.agreement_hash.fill(0x42);
  h.boot_id = 99;
  h.path = test::path_fibre;
  h.resume = {{"navy", 1}, {"navy", 1}};
  p.a().eng->on_bytes(p.now_us(), a_conn, wire::encode(h));
  p.settle();
  EXPECT_TRUE(closed_with(p.a(), "twice"));
}

TEST(hostile_input, a_receipt_beyond_what_was_sent_is_refused_and_changes_nothing) {
  engine_pair p;
  const auto w = p.connect(0);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m1")));
  p.settle();
  ASSERT_EQ(p.a().eng->status(p.now_us()).at(0).out_acked, 1u);
  inject(p, w, wire::ack{"navy", 7});
  EXPECT_TRUE(closed_with(p.a(), "beyond last sent"));
  EXPECT_EQ(p.a().eng->status(p.now_us()).at(0).out_acked, 1u);
  EXPECT_EQ(p.a().eng->status(p.now_us()).at(0).out_next_seq, 2u);
}

// Regression: a reused id reached the group commit, failed it on the unique index together with
// this station's own posts, and the engine was rebuilt, again and again as the peer resent.
TEST(hostile_input, an_id_reused_before_the_first_is_on_disk_is_refused) {
  engine_pair p;
  p.connect(0);
  p.b().hold_persists = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("same")));
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("same")));
  p.settle();
  EXPECT_TRUE(closed_with(p.b(), "already taken"));
  p.b().hold_persists = false;
  p.complete_held(1, true);
  EXPECT_EQ(p.b().inbox().size(), 1u);
  EXPECT_FALSE(notes(p.b(), "refused").empty());
}

// Found by the engine fuzzer: the peer reused the id of a post of this station's that was not
// yet on disk, and both reached the same commit, where the unique index would fail the post.
TEST(hostile_input, an_id_of_our_own_post_not_yet_on_disk_is_refused) {
  engine_pair p;
  p.connect(0);
  p.b().hold_persists = true;
  ASSERT_TRUE(p.b().eng->post(p.now_us(), draft("mine")));
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("mine")));
  p.settle();
  EXPECT_TRUE(closed_with(p.b(), "already taken"));
  p.b().hold_persists = false;
  p.complete_held(1, true);
  EXPECT_TRUE(p.b().inbox().empty()) << "the peer's message took our own post's id";
}

TEST(hostile_input, an_id_the_store_already_holds_is_refused) {
  auto b_cfg = test::pair_config(test::station_b, test::station_a, 2);
  b_cfg.id_taken = [](const std::string& id) { return id == "old"; };
  engine_pair p(test::pair_config(test::station_a, test::station_b, 1), std::move(b_cfg));
  p.connect(0);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("old")));
  p.settle();
  EXPECT_TRUE(closed_with(p.b(), "already taken"));
  EXPECT_TRUE(p.b().inbox().empty());
}

// A peer that reconnects only to be refused must not be able to fill the journal: at most
// refusal_notes_per_minute_max a minute, and the next one says how many were left out.
TEST(hostile_input, refusals_are_journaled_at_a_bounded_rate) {
  engine_pair p;
  const std::size_t attempts = limits::refusal_notes_per_minute_max + 20;
  for (std::size_t i = 0; i < attempts; ++i) {
    core::conn_id c = p.a().eng->on_connected(p.now_us(), direction::inbound, test::station_b, "");
    const wire::bytes garbage{0, 0, 0, 1, 0xEE};  // a frame of unknown type
    p.a().eng->on_bytes(p.now_us(), c, garbage);
    p.settle();
  }
  EXPECT_EQ(notes(p.a(), "refused").size(), limits::refusal_notes_per_minute_max);
  EXPECT_EQ(std::count_if(p.a().closes.begin(), p.a().closes.end(),
                          [](const close_action& c) {
                            return c.reason.find("malformed frame") != std::string::npos;
                          }),
            static_cast<std::ptrdiff_t>(attempts));
  p.run_until(p.now_us() + limits::minute_us);
  core::conn_id c = p.a().eng->on_connected(p.now_us(), direction::inbound, test::station_b, "");
  p.a().eng->on_bytes(p.now_us(), c, wire::bytes{0, 0, 0, 1, 0xEE});
  p.settle();
  const auto all = notes(p.a(), "refused");
  ASSERT_EQ(all.size(), limits::refusal_notes_per_minute_max + 1);
  EXPECT_NE(all.back().detail.find("\"refusals_not_journaled\":20"), std::string::npos)
      << all.back().detail;
}

}  // namespace
}  // namespace hotline::core
