// Engine: handshake, refusal, duplicate links, delivery, heartbeats, backoff and storage failure,
// with two engines wired back to back.
#include "core/engine.hpp"

#include <gtest/gtest.h>

#include <algorithm>

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

bool link_up(engine& e) { return e.status(0).at(0).link_up; }

bool has_close_containing(const test::side& s, const std::string& text) {
  return std::any_of(s.closes.begin(), s.closes.end(), [&](const close_action& c) {
    return c.reason.find(text) != std::string::npos;
  });
}

TEST(engine, handshake_brings_the_link_up_on_both_sides) {
  engine_pair p;
  EXPECT_FALSE(link_up(*p.a().eng));
  p.connect(0);
  for (auto& c : p.a().closes) ADD_FAILURE() << "A closed: " << c.reason;
  for (auto& c : p.b().closes) ADD_FAILURE() << "B closed: " << c.reason;
  EXPECT_TRUE(link_up(*p.a().eng));
  EXPECT_TRUE(link_up(*p.b().eng));
  EXPECT_EQ(p.a().count_events(event_kind::link_up), 1u);
  EXPECT_EQ(p.b().count_events(event_kind::link_up), 1u);
  EXPECT_EQ(p.a().eng->status(0)[0].active_path, test::path_fibre);
}

TEST(engine, agreement_mismatch_refuses_on_both_sides) {
  auto b = test::pair_config(test::station_b, test::station_a, 2);
  b.agreement_hash[0] ^= 1;
  engine_pair p(test::pair_config(test::station_a, test::station_b, 1), b);
  p.connect(0);
  EXPECT_EQ(p.open_wires(), 0u);
  for (auto* s : {&p.a(), &p.b()}) {
    EXPECT_TRUE(has_close_containing(*s, "agreement mismatch"));
    EXPECT_EQ(s->count_events(event_kind::link_up), 0u);
    auto refused = std::find_if(s->events.begin(), s->events.end(), [](const event& e) {
      return e.kind == event_kind::refused && e.detail.find("agreement mismatch") == 0;
    });
    EXPECT_NE(refused, s->events.end());
  }
}

TEST(engine, hello_naming_another_station_is_refused) {
  auto b = test::pair_config("ru-impostor", test::station_a, 2);
  engine_pair p(test::pair_config(test::station_a, test::station_b, 1), b);
  // A dials the path that should lead to ru-pacific; the key checked out, the hello does not.
  core::conn_id c =
      p.a().eng->on_connected(p.now_us(), direction::outbound, test::station_b, test::path_fibre);
  wire::hello h;
  h.station = "ru-impostor";
  h.agreement_hash.fill(0x42);
  h.boot_id = 2;
  h.path = test::path_fibre;
  p.a().eng->on_bytes(p.now_us(), c, wire::encode(h));
  auto e = p.a().eng->take();
  ASSERT_EQ(e.closes.size(), 1u);
  EXPECT_NE(e.closes[0].reason.find("hello names station 'ru-impostor'"), std::string::npos);
  EXPECT_FALSE(link_up(*p.a().eng));
  EXPECT_TRUE(std::none_of(e.events.begin(), e.events.end(),
                           [](const event& ev) { return ev.kind == event_kind::link_up; }));
}

TEST(engine, simultaneous_dials_leave_one_link_the_same_on_both_sides) {
  for (int first : {0, 1}) {
    engine_pair p;
    std::size_t w1 = p.connect(first);
    std::size_t w2 = p.connect(1 - first);
    ASSERT_EQ(p.open_wires(), 1u);
    // The station whose id sorts first ("rok-fleet", side A) keeps the link it dialed.
    std::size_t a_dialed = first == 0 ? w1 : w2;
    EXPECT_TRUE(p.wire_open(a_dialed));
    EXPECT_TRUE(link_up(*p.a().eng));
    EXPECT_TRUE(link_up(*p.b().eng));
    ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("after-race")).has_value());
    p.settle();
    EXPECT_EQ(ids(p.b().inbox()), std::vector<std::string>{"after-race"});
  }
}

TEST(engine, post_is_delivered_once_and_confirmed_to_the_sender) {
  engine_pair p;
  p.connect(0);
  auto token = p.a().eng->post(p.now_us(), draft("m1"));
  ASSERT_TRUE(token.has_value());
  p.settle();
  EXPECT_NE(std::find(p.a().ok_tokens.begin(), p.a().ok_tokens.end(), *token),
            p.a().ok_tokens.end());
  auto inbox = p.b().inbox();
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].id, "m1");
  EXPECT_EQ(inbox[0].seq, 1u);
  EXPECT_EQ(inbox[0].from, test::station_a);
  ASSERT_EQ(p.a().count_events(event_kind::delivered), 1u);
  auto st = p.a().eng->status(0)[0];
  EXPECT_EQ(st.out_acked, 1u);
  EXPECT_EQ(st.unacked, 0u);
  EXPECT_EQ(p.b().eng->status(0)[0].in_next_expected, 2u);

  // A new link after a cut must not bring the message a second time.
  p.cut();
  p.connect(1);
  p.run_until(p.now_us() + 5'000'000);
  EXPECT_EQ(p.b().inbox().size(), 1u);
}

TEST(engine, both_directions_carry_traffic_in_order) {
  engine_pair p;
  p.connect(0);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("a" + std::to_string(i))).has_value());
    ASSERT_TRUE(p.b().eng->post(p.now_us(), draft("b" + std::to_string(i))).has_value());
  }
  p.settle();
  auto at_b = p.b().inbox();
  auto at_a = p.a().inbox();
  ASSERT_EQ(at_b.size(), 20u);
  ASSERT_EQ(at_a.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(at_b[i].id, "a" + std::to_string(i));
    EXPECT_EQ(at_b[i].seq, i + 1);
    EXPECT_EQ(at_a[i].id, "b" + std::to_string(i));
  }
}

TEST(engine, heartbeats_keep_a_quiet_link_up) {
  engine_pair p;
  p.connect(0);
  p.run_until(p.now_us() + 10'000'000);
  EXPECT_TRUE(link_up(*p.a().eng));
  EXPECT_EQ(p.a().count_events(event_kind::link_down), 0u);
}

TEST(engine, heartbeat_silence_closes_the_link_in_bounded_time) {
  engine_pair p;
  p.connect(0);
  p.run_until(p.now_us() + 1'000'000);
  const auto& cfg = p.a().eng->config();
  std::int64_t muted_at = p.now_us();
  p.b().muted = true;
  std::int64_t bound =
      cfg.heartbeat_interval_us * cfg.heartbeat_misses_max + cfg.heartbeat_interval_us;
  std::int64_t step = 10'000;
  while (link_up(*p.a().eng) && p.now_us() - muted_at <= 2 * bound) {
    p.run_until(p.now_us() + step);
  }
  EXPECT_FALSE(link_up(*p.a().eng));
  EXPECT_LE(p.now_us() - muted_at, bound + step);
  // Not before the peer has missed its heartbeats.
  EXPECT_GE(p.now_us() - muted_at, cfg.heartbeat_interval_us * (cfg.heartbeat_misses_max - 1));
  EXPECT_TRUE(has_close_containing(p.a(), "peer silent"));
  EXPECT_EQ(p.a().count_events(event_kind::link_down), 1u);
}

// A new link on a slow path starts with the path's known round trip: a satellite link that
// reconnects under load is not declared dead before its first pong. It once was, over and over.
TEST(engine, a_new_link_inherits_its_paths_round_trip_for_the_silence_limit) {
  engine_pair p;
  std::size_t w = p.connect(0);
  // B's own pongs are lost; the test answers A's pings itself, each 400 ms late. A ping's nonce
  // is the time A sent it, which is when A next asked to be woken.
  p.b().muted = true;
  for (int i = 0; i < 12; ++i) {
    const std::int64_t ping_at = p.a().eng->next_wakeup_us();
    p.run_until(ping_at);
    p.run_until(ping_at + 400'000);
    p.a().eng->on_bytes(p.now_us(), p.conn_of(0, w),
                        wire::encode(wire::pong{static_cast<std::uint64_t>(ping_at)}));
  }
  ASSERT_GT(p.a().eng->status(p.now_us()).at(0).rtt_us, 350'000);
  p.b().muted = false;
  p.cut(w);
  p.connect(0);
  ASSERT_TRUE(link_up(*p.a().eng));
  const auto& cfg = p.a().eng->config();
  const std::int64_t base = cfg.heartbeat_interval_us * cfg.heartbeat_misses_max;
  std::int64_t muted_at = p.now_us();
  p.b().muted = true;
  std::int64_t step = 10'000;
  while (link_up(*p.a().eng) && p.now_us() - muted_at <= 6 * base) {
    p.run_until(p.now_us() + step);
  }
  EXPECT_FALSE(link_up(*p.a().eng));
  // Not at the bare heartbeat limit: four of the path's 400 ms round trips more.
  EXPECT_GE(p.now_us() - muted_at, base + 4 * 350'000);
  EXPECT_LE(p.now_us() - muted_at, base + 4 * 400'000 + cfg.heartbeat_interval_us + step);
}

TEST(engine, reconnect_backoff_is_capped_and_jittered) {
  auto dial_delays = [](std::uint64_t seed) {
    auto cfg = test::pair_config(test::station_a, test::station_b, 1);
    cfg.dial = true;
    cfg.seed = seed;
    engine e(cfg);
    std::int64_t now = 0;
    std::vector<std::int64_t> delays;
    e.on_tick(now);
    for (int i = 0; i < 40; ++i) {
      auto out = e.take();
      EXPECT_EQ(out.dials.size(), 1u) << "attempt " << i;
      e.on_dial_failed(now, test::station_b, test::path_fibre, "refused");
      std::int64_t next = e.next_wakeup_us();
      delays.push_back(next - now);
      e.on_tick(next - 1);
      EXPECT_TRUE(e.take().dials.empty()) << "dialled before its backoff ran out";
      now = next;
      e.on_tick(now);
    }
    return delays;
  };
  auto delays = dial_delays(11);
  for (auto d : delays) {
    EXPECT_GE(d, limits::reconnect_backoff_us_min / 2);
    EXPECT_LE(d, limits::reconnect_backoff_us_max);
  }
  // Late attempts sit at the cap, within its jitter band, and do not all land together.
  std::vector<std::int64_t> late(delays.end() - 10, delays.end());
  for (auto d : late) EXPECT_GE(d, limits::reconnect_backoff_us_max / 2);
  EXPECT_GT(*std::max_element(late.begin(), late.end()),
            *std::min_element(late.begin(), late.end()));
  EXPECT_LT(delays.front(), limits::reconnect_backoff_us_max / 2);
  EXPECT_NE(delays, dial_delays(12));
}

TEST(engine, storage_failure_stops_the_engine) {
  engine_pair p;
  p.connect(0);
  p.a().hold_persists = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("doomed")).has_value());
  p.settle();
  p.complete_held(0, false);
  EXPECT_TRUE(p.a().eng->failed());
  EXPECT_EQ(p.a().count_events(event_kind::storage_failed), 1u);
  EXPECT_EQ(p.open_wires(), 0u);
  auto again = p.a().eng->post(p.now_us(), draft("later"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, errc::unavailable);
  // Pipelined, the post went out while its commit ran: the peer holds it, and the restarted
  // station takes it back (sim_scenarios.the_sender_crashes_between_sending_and_its_own_commit).
  EXPECT_EQ(ids(p.b().inbox()), std::vector<std::string>{"doomed"});
}

// The sender's fsync and the receiver's overlap: a post is on the wire while its own commit
// runs, but B's receipt takes effect at A only once A's commit has returned, so nothing is
// marked delivered that is not on both disks.
TEST(engine, a_post_goes_on_the_wire_while_its_commit_runs) {
  auto a = test::pair_config(test::station_a, test::station_b, 1);
  ASSERT_TRUE(a.pipelined) << "stations pipeline by default";
  engine_pair p(a, test::pair_config(test::station_b, test::station_a, 2));
  p.connect(0);
  p.a().hold_persists = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m1")).has_value());
  p.settle();
  EXPECT_EQ(ids(p.b().inbox()), std::vector<std::string>{"m1"});
  EXPECT_EQ(p.a().count_events(event_kind::delivered), 0u) << "the receipt waits for A's disk";
  EXPECT_EQ(p.a().eng->status(0)[0].out_acked, 0u);
  p.a().hold_persists = false;
  p.complete_held(0, true);
  EXPECT_EQ(p.a().count_events(event_kind::delivered), 1u);
  EXPECT_EQ(p.a().eng->status(0)[0].out_acked, 1u);
  const auto& disk = p.a().disk;
  const auto posted = std::find_if(disk.begin(), disk.end(), [](const auto& r) {
    return std::holds_alternative<records::posted>(r);
  });
  const auto delivered = std::find_if(disk.begin(), disk.end(), [](const auto& r) {
    return std::holds_alternative<records::delivered>(r);
  });
  ASSERT_NE(delivered, disk.end());
  EXPECT_EQ(std::get<records::delivered>(*delivered).up_to_seq, 1u);
  EXPECT_LT(posted, delivered) << "marked delivered only after its own commit";
}

TEST(engine, without_pipelining_nothing_is_sent_before_its_commit) {
  auto a = test::pair_config(test::station_a, test::station_b, 1);
  a.pipelined = false;
  engine_pair p(a, test::pair_config(test::station_b, test::station_a, 2));
  p.connect(0);
  p.a().hold_persists = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("m1")).has_value());
  p.settle();
  EXPECT_TRUE(p.b().inbox().empty());
  p.complete_held(0, true);
  EXPECT_EQ(ids(p.b().inbox()), std::vector<std::string>{"m1"});
}

TEST(engine, flash_posted_while_down_leaves_before_earlier_routine) {
  engine_pair p;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("routine-" + std::to_string(i))).has_value());
  }
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("flash", precedence::flash)).has_value());
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("priority", precedence::priority)).has_value());
  p.settle();
  EXPECT_TRUE(p.b().inbox().empty());
  p.connect(1);
  EXPECT_EQ(ids(p.b().inbox()),
            (std::vector<std::string>{"flash", "priority", "routine-0", "routine-1", "routine-2"}));
}

TEST(engine, resume_point_in_hello_acknowledges_without_a_resend) {
  engine_pair p;
  p.connect(0);
  p.b().muted = true;  // B's ack is lost; A still believes the message is in flight
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("once")).has_value());
  p.settle();
  ASSERT_EQ(p.b().inbox().size(), 1u);
  EXPECT_EQ(p.a().eng->status(0)[0].unacked, 1u);
  p.b().muted = false;
  p.cut();
  p.connect(0);
  // B's hello resumes after seq 1, which acknowledges it without a resend.
  EXPECT_EQ(p.a().eng->status(0)[0].unacked, 0u);
  EXPECT_EQ(p.b().inbox().size(), 1u);
}

TEST(engine, lost_data_is_retransmitted_after_the_timeout) {
  engine_pair p;
  p.connect(0);
  p.a().muted = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("lost-once")).has_value());
  p.settle();
  p.a().muted = false;
  EXPECT_TRUE(p.b().inbox().empty());
  p.run_until(p.now_us() + limits::retransmit_timeout_us_min + 500'000);
  EXPECT_EQ(ids(p.b().inbox()), std::vector<std::string>{"lost-once"});
}

// Regression: the listener sends its hello before it knows the path, and the dialer used to
// refuse that hello as naming an "unknown path ''", so no link ever came up.
TEST(engine, dialer_accepts_a_listener_hello_that_names_no_path) {
  engine_pair p;
  core::conn_id c =
      p.a().eng->on_connected(p.now_us(), direction::outbound, test::station_b, test::path_fibre);
  p.a().eng->take();
  wire::hello h;
  h.station = test::station_b;
  h.agreement_hash.fill(0x42);
  h.boot_id = 2;
  p.a().eng->on_bytes(p.now_us(), c, wire::encode(h));
  auto e = p.a().eng->take();
  EXPECT_TRUE(e.closes.empty());
  EXPECT_TRUE(link_up(*p.a().eng));

  // A hello that names a different path than the one dialed is still refused.
  engine_pair q;
  c = q.a().eng->on_connected(q.now_us(), direction::outbound, test::station_b, test::path_fibre);
  h.path = "satellite";
  q.a().eng->on_bytes(q.now_us(), c, wire::encode(h));
  e = q.a().eng->take();
  ASSERT_EQ(e.closes.size(), 1u);
  EXPECT_NE(e.closes[0].reason.find("unknown path 'satellite'"), std::string::npos);
}

// Regression: with a link up on a path, the path's stale dial time stayed in next_wakeup_us(),
// so a driver was asked to wake in the past forever and spun.
TEST(engine, next_wakeup_is_in_the_future_while_a_dialed_link_is_up) {
  auto a = test::pair_config(test::station_a, test::station_b, 1);
  auto b = test::pair_config(test::station_b, test::station_a, 2);
  a.dial = b.dial = true;
  engine_pair p(a, b);
  p.connect(0);
  ASSERT_TRUE(link_up(*p.a().eng));
  EXPECT_GT(p.a().eng->next_wakeup_us(), p.now_us());
  EXPECT_GT(p.b().eng->next_wakeup_us(), p.now_us());
  p.run_until(p.now_us() + 3'000'000);
  EXPECT_TRUE(link_up(*p.a().eng));
}

// Regression: next_wakeup_us() woke the driver after the minimum retransmit timeout while
// check_retransmits() waited for the RTT-based one, so between the two the driver spun.
TEST(engine, next_wakeup_follows_the_rtt_based_retransmit_timeout) {
  engine_pair p;
  std::size_t w = p.connect(0);
  // A pong that took 400 ms gives an RTT estimate whose timeout exceeds the minimum.
  p.a().eng->on_bytes(p.now_us(), p.conn_of(0, w),
                      wire::encode(wire::pong{static_cast<std::uint64_t>(p.now_us() - 400'000)}));
  p.settle();
  // B holds its writes, so no ack comes while heartbeats keep the link up.
  p.b().hold_persists = true;
  ASSERT_TRUE(p.a().eng->post(p.now_us(), draft("slow")).has_value());
  p.settle();
  p.run_until(p.now_us() + 1'500'000);
  p.complete_held(1, true);
  EXPECT_EQ(p.b().inbox().size(), 1u);
  EXPECT_EQ(p.a().eng->status(0)[0].unacked, 0u);
}

}  // namespace
}  // namespace hotline::core
