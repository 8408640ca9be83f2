// Targeted simulator scenarios: the rare moments a random seed may take long to hit.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/checker.hpp"
#include "sim/simulator.hpp"

namespace hotline::sim {
namespace {

constexpr std::int64_t second_us = 1'000'000;

// A simulator on a clean network: faults come only from what the scenario does.
std::unique_ptr<simulator> make_sim(std::uint64_t seed, bool pipelined = true) {
  sim_config cfg;
  cfg.seed = seed;
  cfg.pipelined = pipelined;
  cfg.chaos_faults.delay_us_max = 20'000;
  auto sim = simulator::create(cfg);
  EXPECT_TRUE(sim.has_value());
  if (!sim) return nullptr;
  (*sim)->net().set_faults(cfg.chaos_faults);
  (*sim)->start();
  return std::move(*sim);
}

bool link_up(station& s) { return s.engine() && s.engine()->status(0).at(0).link_up; }

void settle_and_check(simulator& sim) {
  sim.heal();
  std::int64_t healed_at = sim.sched().now_us();
  auto settled = sim.settle();
  ASSERT_TRUE(settled.has_value()) << settled.error().message;
  EXPECT_LE(sim.sched().now_us() - healed_at, 60 * second_us);
  auto checked = sim.check();
  ASSERT_TRUE(checked.has_value()) << checked.error().message;
}

std::vector<storage::stored_message> inbox(station& s) {
  auto r = s.storage().store().inbound_range("navy", 1, 1'000'000);
  EXPECT_TRUE(r.has_value());
  return r ? *r : std::vector<storage::stored_message>{};
}

TEST(sim_scenarios, receiver_crashes_between_commit_and_ack) {
  auto sim = make_sim(101);
  ASSERT_TRUE(sim);
  ASSERT_TRUE(sim->run_until_true([&] { return link_up(sim->a()); }, 10 * second_us, "link"));
  bool fired = false;
  sim->b().set_crash_after_commit([&](const core::persist_action& a) {
    bool received = std::any_of(a.records.begin(), a.records.end(), [](const auto& r) {
      return std::holds_alternative<records::received>(r);
    });
    if (fired || !received) return false;
    fired = true;
    return true;
  });
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(sim->a().post("navy", precedence::routine).empty());
  ASSERT_TRUE(sim->run_for(2 * second_us).has_value());
  ASSERT_TRUE(fired);
  EXPECT_FALSE(sim->b().up());
  // The commit reached B's disk although its ack never left.
  EXPECT_FALSE(inbox(sim->b()).empty());
  EXPECT_GT(sim->a().engine()->status(0)[0].unacked, 0u);
  sim->b().set_crash_after_commit(nullptr);
  sim->b().start();
  settle_and_check(*sim);
  EXPECT_EQ(inbox(sim->b()).size(), 5u);
}

TEST(sim_scenarios, sender_crashes_with_queued_messages) {
  auto sim = make_sim(102);
  ASSERT_TRUE(sim);
  sim->net().set_partitioned(true);
  for (int i = 0; i < 10; ++i) {
    ASSERT_FALSE(sim->a().post("navy", static_cast<precedence>(i % precedence_count)).empty());
  }
  ASSERT_TRUE(sim->run_for(second_us).has_value());
  EXPECT_EQ(sim->a().acknowledged().size(), 10u);
  EXPECT_EQ(sim->a().engine()->status(0)[0].queued, 10u);
  sim->a().crash();
  ASSERT_TRUE(sim->run_for(2 * second_us).has_value());
  sim->a().start();
  EXPECT_EQ(sim->a().engine()->status(0)[0].queued, 10u);  // restored from the store
  settle_and_check(*sim);
  EXPECT_EQ(inbox(sim->b()).size(), 10u);
}

TEST(sim_scenarios, long_partition_then_heal) {
  auto sim = make_sim(103);
  ASSERT_TRUE(sim);
  ASSERT_TRUE(sim->run_for(2 * second_us).has_value());
  sim->net().set_partitioned(true);
  // Ten minutes apart, with both sides posting: every redial fails at the backoff cap.
  for (int minute = 0; minute < 10; ++minute) {
    for (int s = 0; s < 2; ++s) {
      for (int i = 0; i < 3; ++i)
        ASSERT_FALSE(sim->at(s).post("navy", precedence::priority).empty());
    }
    ASSERT_TRUE(sim->run_for(60 * second_us).has_value());
  }
  EXPECT_FALSE(link_up(sim->a()));
  EXPECT_TRUE(inbox(sim->b()).empty());
  settle_and_check(*sim);
  EXPECT_EQ(inbox(sim->a()).size(), 30u);
  EXPECT_EQ(inbox(sim->b()).size(), 30u);
}

TEST(sim_scenarios, flash_leaves_first_after_a_partition) {
  auto sim = make_sim(104);
  ASSERT_TRUE(sim);
  ASSERT_TRUE(sim->run_until_true([&] { return link_up(sim->a()); }, 10 * second_us, "link"));
  ASSERT_FALSE(sim->a().post("navy", precedence::routine).empty());
  ASSERT_TRUE(sim->run_for(second_us).has_value());
  sim->net().set_partitioned(true);
  ASSERT_TRUE(sim->run_until_true([&] { return !link_up(sim->a()); },
                                  sim->sched().now_us() + 10 * second_us, "link down"));
  std::vector<std::string> routine;
  for (int i = 0; i < 5; ++i) routine.push_back(sim->a().post("navy", precedence::routine));
  std::string flash = sim->a().post("navy", precedence::flash);
  ASSERT_TRUE(sim->run_for(3 * second_us).has_value());
  settle_and_check(*sim);
  std::map<std::string, std::uint64_t> seq;
  for (const auto& m : inbox(sim->b())) seq[m.msg.id] = m.msg.seq;
  ASSERT_EQ(seq.size(), 7u);
  for (const auto& id : routine) EXPECT_LT(seq.at(flash), seq.at(id)) << id;
}

// The disk drives the station's production group commit: a burst of posts, and the messages
// they carry to the peer, commit many to a transaction, and a crash between a batch's commit and
// its acknowledgements loses nothing.
TEST(sim_scenarios, a_burst_commits_in_batches_through_the_group_commit) {
  auto sim = make_sim(106);
  ASSERT_TRUE(sim);
  ASSERT_TRUE(sim->run_until_true([&] { return link_up(sim->a()); },
                                  sim->sched().now_us() + 10 * second_us, "the link")
                  .has_value());
  const std::uint64_t commits_before = sim->a().storage().commits();
  const std::uint64_t actions_before = sim->a().storage().actions_committed();
  for (int i = 0; i < 200; ++i) {
    ASSERT_FALSE(sim->a().post("navy", precedence::routine).empty());
  }
  ASSERT_TRUE(sim->run_for(5 * second_us).has_value());
  const std::uint64_t commits = sim->a().storage().commits() - commits_before;
  const std::uint64_t actions = sim->a().storage().actions_committed() - actions_before;
  EXPECT_GE(actions, 200u);
  EXPECT_LT(commits * 4, actions) << commits << " transactions for " << actions << " actions";
  // B crashes right after a batch of received messages commits, before its engine hears of it:
  // the whole batch is on disk, and nothing is delivered twice once B is back.
  std::size_t batch_received = 0;
  sim->b().set_crash_after_commit([&](const core::persist_action& act) {
    if (batch_received > 0) return false;
    for (const auto& r : act.records) batch_received += std::holds_alternative<records::received>(r);
    return batch_received > 0;
  });
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(sim->a().post("navy", precedence::priority).empty());
  ASSERT_TRUE(sim->run_for(2 * second_us).has_value());
  ASSERT_GT(batch_received, 0u);
  EXPECT_FALSE(sim->b().up());
  sim->b().set_crash_after_commit(nullptr);
  sim->b().start();
  settle_and_check(*sim);
}

std::size_t journaled(station& s, const std::string& kind) {
  storage::journal_query q;
  q.kind = kind;
  q.limit = 1000;
  auto entries = s.storage().store().journal(q);
  EXPECT_TRUE(entries.has_value());
  return entries ? entries->size() : 0;
}

// A station restored from an old snapshot of its disk (a backup) has forgotten what it sent and
// received since. Its peer holds all of it, signed: the restored station fetches its own messages
// back, the peer sends its own again, and then every message is on both disks exactly once, under
// one seq each, both journals verify, and new traffic flows. Some of A's posts were still queued
// when the snapshot was taken, some not yet on disk at all: both kinds come back.
void restore_an_old_snapshot(std::uint64_t seed) {
  auto sim = make_sim(seed);
  ASSERT_TRUE(sim);
  ASSERT_TRUE(sim->run_until_true([&] { return link_up(sim->a()); }, 10 * second_us, "link"));
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(sim->a().post("navy", precedence::routine).empty());
    ASSERT_FALSE(sim->b().post("navy", precedence::routine).empty());
  }
  ASSERT_TRUE(sim->run_for(20'000).has_value());
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(sim->a().post("navy", precedence::priority).empty());
  ASSERT_TRUE(sim->a().storage().take_snapshot());
  for (int i = 0; i < 300; ++i) {
    ASSERT_FALSE(sim->a().post("navy", i % 7 == 0 ? precedence::flash : precedence::routine).empty());
    ASSERT_FALSE(sim->b().post("navy", precedence::routine).empty());
  }
  ASSERT_TRUE(sim->run_until_true(
      [&] { return station_quiet(sim->a()) && station_quiet(sim->b()); },
      sim->sched().now_us() + 60 * second_us, "all delivered"));
  const auto b_inbox_before = inbox(sim->b()).size();
  ASSERT_EQ(b_inbox_before, 330U);

  sim->a().crash();
  ASSERT_TRUE(sim->a().storage().restore_snapshot());
  EXPECT_LT(inbox(sim->a()).size(), 320U) << "the snapshot is not old";
  sim->a().start();
  // New posts while the tail comes back wait for it, then flow.
  for (int i = 0; i < 5; ++i) ASSERT_FALSE(sim->a().post("navy", precedence::flash).empty());
  settle_and_check(*sim);
  EXPECT_EQ(inbox(sim->a()).size(), 320U);
  EXPECT_EQ(inbox(sim->b()).size(), 335U);
  EXPECT_EQ(journaled(sim->a(), "peer_ahead"), 1U);
  EXPECT_EQ(journaled(sim->a(), "reclaimed"), 1U);
  EXPECT_GE(journaled(sim->b(), "returning"), 1U);
  EXPECT_GE(journaled(sim->b(), "peer_behind"), 1U);
}

TEST(sim_scenarios, a_station_restored_from_an_old_snapshot_recovers_its_lost_tail) {
  // Each seed times the snapshot, the network and the disk differently.
  for (std::uint64_t seed = 107; seed < 115; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    restore_an_old_snapshot(seed);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

// Pipelined durability: A puts a post on the wire while its own commit runs. Here A's disk is
// slow and B's fast, so B commits A's message first; A then crashes before its own commit of it
// returns. B holds a message A's disk never had, under A's seal. When A is back, B's hello
// resumes beyond what A remembers, A numbers nothing new, takes the message back, and both
// stores agree: nothing lost, nothing delivered twice, no seq used for two messages (the
// checker), and the message A lost is on A's disk again, as sent and delivered.
void crash_between_send_and_commit(std::uint64_t seed) {
  auto sim = make_sim(seed, true);
  ASSERT_TRUE(sim);
  sim->a().storage().set_latency_us(80'000, 120'000);
  sim->b().storage().set_latency_us(100, 1'000);
  ASSERT_TRUE(sim->run_until_true([&] { return link_up(sim->a()); }, 10 * second_us, "link"));
  std::string victim;
  bool premise = false;  // the victim was on B's disk and not on A's when A crashed
  sim->b().set_crash_after_commit([&](const core::persist_action& act) {
    for (const auto& r : act.records) {
      const auto* in = std::get_if<records::received>(&r);
      if (!in || !victim.empty()) continue;
      victim = in->msg.id;
      sim->sched().after(0, [&] {
        auto on_a = sim->a().storage().store().get(victim);
        premise = on_a.has_value() && !on_a->has_value();
        sim->a().crash();
      });
    }
    return false;  // B stays up
  });
  const int posts = 1 + static_cast<int>(seed % 5);
  for (int i = 0; i < posts; ++i) ASSERT_FALSE(sim->a().post("navy", precedence::routine).empty());
  ASSERT_TRUE(sim->run_until_true([&] { return !sim->a().up(); }, 5 * second_us, "A's crash"));
  sim->b().set_crash_after_commit(nullptr);
  ASSERT_TRUE(premise) << victim << " was already on A's disk when A crashed";
  EXPECT_FALSE(sim->a().acknowledged().contains(victim)) << "answered before its commit";
  ASSERT_TRUE(sim->run_for(second_us).has_value());
  sim->a().start();
  // Nothing is left to do at either station until A hears B's hello: wait for the link first.
  ASSERT_TRUE(sim->run_until_true([&] { return link_up(sim->a()); }, 30 * second_us, "link"));
  settle_and_check(*sim);
  auto back = sim->a().storage().store().get(victim);
  ASSERT_TRUE(back.has_value() && back->has_value()) << victim << " is not on A's disk again";
  EXPECT_EQ((*back)->direction, storage::box::out);
  EXPECT_TRUE((*back)->delivered_at_ms.has_value());
  EXPECT_EQ(journaled(sim->a(), "peer_ahead"), 1U);
  EXPECT_EQ(journaled(sim->a(), "reclaimed"), 1U);
  const auto received = inbox(sim->b());
  EXPECT_EQ(std::count_if(received.begin(), received.end(),
                          [&](const auto& m) { return m.msg.id == victim; }),
            1);
}

TEST(sim_scenarios, the_sender_crashes_between_sending_and_its_own_commit) {
  for (std::uint64_t seed = 301; seed < 321; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    crash_between_send_and_commit(seed);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

// Both stations' signing keys change while traffic flows through a lossy network, and each
// station crashes once around the switch. Seals made before the switch carry the old key, those
// made after it the new one (messages queued through a crash are sealed when they are sent);
// none is refused, every message arrives once, and both journals verify with the keys of each
// era.
void rotate_keys_under_chaos(std::uint64_t seed) {
  sim_config cfg;
  cfg.seed = seed;
  cfg.chaos_faults.delay_us_max = 20'000;
  cfg.chaos_faults.loss = 0.01;
  cfg.rotate_keys_at_ms = epoch_ms + 10'000;
  auto created = simulator::create(cfg);
  ASSERT_TRUE(created.has_value());
  auto& sim = **created;
  sim.net().set_faults(cfg.chaos_faults);
  sim.start();
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 10; ++i) {
      if (sim.a().up()) {
        ASSERT_FALSE(sim.a().post("navy", precedence::routine).empty());
      }
      if (sim.b().up()) {
        ASSERT_FALSE(sim.b().post("navy", precedence::priority).empty());
      }
    }
    ASSERT_TRUE(sim.run_for(second_us).has_value());
    if (round == 8) sim.a().crash();
    if (round == 9) sim.a().start();
    if (round == 10) sim.b().crash();
    if (round == 12) sim.b().start();
  }
  settle_and_check(sim);
  const auto old_a = sim_signing_key(station_a_id).public_half();
  const auto new_a = sim_signing_key(std::string{station_a_id} + "-rotated").public_half();
  // Every message reached B under A's seals, each signed with the key of its time.
  std::size_t before = 0, after = 0;
  storage::journal_query q;
  q.kind = "sealed";
  q.limit = 500;
  auto seals = sim.b().storage().store().journal(q);
  ASSERT_TRUE(seals.has_value());
  for (const auto& e : *seals) {
    const auto st = storage::seal_from_entry(e);
    ASSERT_TRUE(st.has_value());
    const bool late = st->at_ms >= cfg.rotate_keys_at_ms;
    EXPECT_TRUE(signing::verify(late ? new_a : old_a, wire::canonical_seal_bytes(*st), st->signature))
        << "seal up to " << st->up_to_seq;
    (late ? after : before)++;
  }
  EXPECT_GT(before, 0U);
  EXPECT_GT(after, 0U);
  EXPECT_EQ(journaled(sim.a(), "refused"), 0U);
  EXPECT_EQ(journaled(sim.b(), "refused"), 0U);
}

TEST(sim_scenarios, signing_keys_rotate_under_chaos_without_a_refusal) {
  for (std::uint64_t seed = 201; seed < 205; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    rotate_keys_under_chaos(seed);
    if (HasFatalFailure() || HasNonfatalFailure()) return;
  }
}

TEST(sim_scenarios, checker_catches_a_lost_acknowledged_post) {
  // The checker must be able to fail: a post acknowledged at A whose record never left A's
  // disk (the network is cut for good) is reported, not passed over.
  auto sim = make_sim(105);
  ASSERT_TRUE(sim);
  sim->net().set_partitioned(true);
  ASSERT_FALSE(sim->a().post("navy", precedence::flash).empty());
  ASSERT_TRUE(sim->run_for(second_us).has_value());
  EXPECT_FALSE(station_quiet(sim->a()));
  EXPECT_FALSE(sim->check().has_value());
}

}  // namespace
}  // namespace hotline::sim
