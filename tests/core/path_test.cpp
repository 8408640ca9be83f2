// Several paths to one peer: failover when the active path dies, and a return to the preferred
// path only after it has stayed up long enough (hysteresis).
#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "engine_pair.hpp"

namespace hotline::test {
namespace {

core::engine_config two_path_config(const std::string& self, const std::string& peer,
                                    std::uint64_t boot) {
  auto c = pair_config(self, peer, boot);
  c.peers = {{peer, {path_fibre, path_satcom}}};  // fibre preferred
  return c;
}

std::string active_path(side& s, std::int64_t now_us) {
  return s.eng->status(now_us).at(0).active_path;
}

message routine(const std::string& id) {
  message m;
  m.id = id;
  m.channel = "navy";
  m.body = id;
  return m;
}

TEST(paths, traffic_returns_to_the_preferred_path_only_after_it_is_stable) {
  engine_pair p(two_path_config(station_a, station_b, 1), two_path_config(station_b, station_a, 2));
  p.connect(0, path_satcom);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), routine("m1")));
  p.settle();
  EXPECT_EQ(active_path(p.a(), p.now_us()), path_satcom);

  std::int64_t fibre_up_us = p.now_us();
  p.connect(0, path_fibre);
  // Fibre is up but new: traffic stays on satcom for now.
  p.run_until(fibre_up_us + limits::path_return_us_min / 2);
  EXPECT_EQ(active_path(p.a(), p.now_us()), path_satcom);
  // Once fibre has been up long enough, traffic returns to it without any new post.
  p.run_until(fibre_up_us + limits::path_return_us_min + 100'000);
  EXPECT_EQ(active_path(p.a(), p.now_us()), path_fibre);
  ASSERT_TRUE(p.a().eng->post(p.now_us(), routine("m2")));
  p.settle();
  EXPECT_EQ(p.b().inbox().size(), 2u);
}

TEST(paths, losing_the_active_path_fails_over_at_once_with_nothing_lost) {
  engine_pair p(two_path_config(station_a, station_b, 1), two_path_config(station_b, station_a, 2));
  std::size_t fibre = p.connect(0, path_fibre);
  p.connect(0, path_satcom);
  p.run_until(limits::path_return_us_min + 100'000);
  ASSERT_EQ(active_path(p.a(), p.now_us()), path_fibre);

  // Messages go out on fibre, which dies before B's acknowledgement gets back.
  p.b().muted = true;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.a().eng->post(p.now_us(), routine("f" + std::to_string(i))));
  p.settle();
  p.cut(fibre);
  p.b().muted = false;
  EXPECT_EQ(active_path(p.a(), p.now_us()), path_satcom);
  p.run_until(p.now_us() + limits::retransmit_timeout_us_min * 3);
  auto inbox = p.b().inbox();
  ASSERT_EQ(inbox.size(), 5u);
  for (std::size_t i = 0; i < inbox.size(); ++i) EXPECT_EQ(inbox[i].seq, i + 1);
  EXPECT_EQ(p.a().eng->status(p.now_us()).at(0).unacked, 0u);
}

}  // namespace
}  // namespace hotline::test
