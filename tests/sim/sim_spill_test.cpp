// The queue beyond its memory bound, in the simulator: a few messages in memory and hundreds
// queued, read back from the store under loss, reordering, crashes, partitions and disk errors.
// The checker must still pass: every message exactly once, in order, each precedence in post
// order.
#include <gtest/gtest.h>

#include <map>

#include "sim/checker.hpp"
#include "sim/simulator.hpp"

namespace hotline::sim {
namespace {

constexpr std::int64_t second_us = 1'000'000;

std::vector<storage::stored_message> inbox(station& s) {
  auto r = s.storage().store().inbound_range("navy", 1, 1'000'000);
  EXPECT_TRUE(r.has_value());
  return r ? *r : std::vector<storage::stored_message>{};
}

TEST(sim_spill, many_posts_through_a_small_memory_bound_under_chaos) {
  std::uint64_t reads = 0;
  std::uint64_t restarts = 0;
  std::uint64_t disk_failures = 0;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    sim_config cfg;
    cfg.seed = 9000 + seed;
    cfg.channels = {"navy", "air"};
    cfg.paths = {"fibre", "satellite"};
    cfg.chaos_us = 30 * second_us;
    cfg.posts_per_station = 400;
    cfg.chaos_faults.loss = 0.02;
    cfg.chaos_faults.duplicate = 0.01;
    cfg.chaos_faults.reorder = 0.02;
    cfg.chaos_faults.delay_us_max = 100'000;
    cfg.disk_failure_chance = 0.005;
    cfg.crashes_per_station = 3;
    cfg.resets = 3;
    cfg.partitions = 2;
    cfg.delivery_deadline_us = 120 * second_us;
    cfg.queue_memory_messages_max = 1 + seed % 4;
    cfg.queue_memory_bytes_max = seed % 2 == 0 ? 1 : 1 << 20;  // 1 byte: one message at a time
    auto made = simulator::create(cfg);
    ASSERT_TRUE(made.has_value()) << made.error().message;
    simulator& sim = **made;
    sim.start();
    sim.schedule_chaos(cfg.chaos_us);
    auto r = sim.run_until(cfg.chaos_us);
    if (r) {
      sim.heal();
      r = sim.settle();
    }
    if (r) r = sim.check();
    ASSERT_TRUE(r.has_value()) << "seed " << cfg.seed << ": " << r.error().message;
    for (int i = 0; i < 2; ++i) {
      reads += sim.at(i).storage().reads();
      restarts += sim.at(i).restarts() - 1;
      disk_failures += sim.at(i).storage().failures();
    }
  }
  // The runs must have gone through what they are about.
  EXPECT_GT(reads, 100u);
  EXPECT_GT(restarts, 6u);
  EXPECT_GT(disk_failures, 0u);
}

// A sender restarted in the middle of reading its queue back resumes from the store: the
// messages it held in memory are read again, the order is unchanged.
TEST(sim_spill, sender_crashes_while_its_queue_is_on_disk) {
  sim_config cfg;
  cfg.seed = 9100;
  cfg.chaos_faults.delay_us_max = 20'000;
  cfg.queue_memory_messages_max = 3;
  auto made = simulator::create(cfg);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  simulator& sim = **made;
  sim.net().set_faults(cfg.chaos_faults);
  sim.start();
  sim.net().set_partitioned(true);
  std::map<std::string, precedence> posted;
  for (int i = 0; i < 60; ++i) {
    const auto p = static_cast<precedence>((i * 7) % precedence_count);
    const std::string id = sim.a().post("navy", p);
    ASSERT_FALSE(id.empty());
    posted[id] = p;
  }
  ASSERT_TRUE(sim.run_for(second_us).has_value());
  EXPECT_EQ(sim.a().engine()->status(0)[0].queued, 60u);
  // Let the link come up and the queue start draining, then crash mid-way.
  sim.net().set_partitioned(false);
  ASSERT_TRUE(sim.run_until_true([&] { return inbox(sim.b()).size() >= 10; },
                                 sim.sched().now_us() + 30 * second_us, "the first deliveries")
                  .has_value());
  sim.a().crash();
  ASSERT_TRUE(sim.run_for(second_us).has_value());
  sim.a().start();
  sim.heal();
  auto settled = sim.settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().message;
  auto checked = sim.check();
  ASSERT_TRUE(checked.has_value()) << checked.error().message;
  const auto got = inbox(sim.b());
  ASSERT_EQ(got.size(), 60u);
  EXPECT_GT(sim.a().storage().reads(), 10u);
  // Everything was queued before the link came up, so precedence decides the order throughout.
  for (std::size_t i = 1; i < got.size(); ++i) {
    EXPECT_LE(static_cast<int>(got[i - 1].msg.prec), static_cast<int>(got[i].msg.prec))
        << got[i - 1].msg.id << " before " << got[i].msg.id;
  }
}

}  // namespace
}  // namespace hotline::sim
