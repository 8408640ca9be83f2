// The station's lease (lease.hpp) on the PostgreSQL store: two store instances on one database
// stand for two nodes. A live lease keeps other nodes out and renews under its epoch; an expired
// or released one passes to the next node at the next epoch, and from then on the old holder's
// every write (commits, boots, agreements, accounts) writes no row and fails as fenced. Hostile
// node ids and ttls are refused, two nodes racing for a free lease get one winner, and the SQLite
// store has no leases and commits as before.
//
// Expiry is waited for by polling the database's own view of the lease with a generous bound;
// no test asserts how fast anything runs.
#include "storage/lease.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <latch>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/accounts.hpp"
#include "storage/passwords.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

constexpr std::int64_t long_ttl_ms = lease_ttl_ms_max;
constexpr std::int64_t short_ttl_ms = lease_ttl_ms_min;
constexpr auto expiry_wait_max = std::chrono::seconds(30);

class lease_test : public backend_test {
 protected:
  // A store of its own on the test's one database: one node of the station.
  std::unique_ptr<store> node() { return open_persistent(); }

  std::string query(const std::string& sql) {
    return pg_cluster::query_text(location(), sql).value_or("<query failed>");
  }

  // What a fenced write must leave as it was: every row count a write could change, and the
  // journal's head.
  std::string footprint() {
    return query(
        "SELECT (SELECT COUNT(*) FROM messages) || '/' || (SELECT COUNT(*) FROM journal) || '/'"
        " || (SELECT COUNT(*) FROM users) || '/' || (SELECT COUNT(*) FROM boots) || '/'"
        " || (SELECT COUNT(*) FROM agreements) || '/' || COALESCE((SELECT seq || ':' ||"
        " encode(hash, 'hex') FROM journal ORDER BY seq DESC LIMIT 1), 'empty')");
  }

  // Waits, by the database's clock, until the lease is no longer live.
  void wait_until_expired(store& s) {
    const auto give_up = std::chrono::steady_clock::now() + expiry_wait_max;
    for (;;) {
      auto l = s.read_lease();
      ASSERT_TRUE(l) << l.error().message;
      if (!l->live()) return;
      ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the lease never expired";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  lease_state acquire_ok(store& s, std::string_view node_id, std::int64_t ttl_ms) {
    auto l = s.acquire_lease(node_id, ttl_ms);
    EXPECT_TRUE(l) << (l ? "" : l.error().message);
    return l ? *l : lease_state{};
  }
};

user some_user(std::string name) {
  static const std::string hash = hash_password("correct horse battery").value();
  user u;
  u.name = std::move(name);
  u.role = "duty-officer";
  u.password_hash = hash;
  u.created_at_ms = 1'000;
  return u;
}

void expect_fenced(const result<void>& r, const std::string& says) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::fenced) << r.error().message;
  EXPECT_NE(r.error().message.find(says), std::string::npos) << r.error().message;
}

TEST_P(lease_test, a_live_lease_keeps_other_nodes_out_and_renews_under_its_epoch) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(a && b);
  auto none = a->read_lease();
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->holder, "");
  EXPECT_EQ(none->epoch, 0);
  EXPECT_FALSE(none->live());

  const lease_state first = acquire_ok(*a, "node-a", long_ttl_ms);
  EXPECT_EQ(first.holder, "node-a");
  EXPECT_EQ(first.epoch, 1);
  EXPECT_GT(first.expires_in_ms, 0);
  EXPECT_LE(first.expires_in_ms, long_ttl_ms);

  auto refused = b->acquire_lease("node-b", long_ttl_ms);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::conflict);
  EXPECT_NE(refused.error().message.find("held by node-a at epoch 1"), std::string::npos)
      << refused.error().message;

  const lease_state renewed = acquire_ok(*a, "node-a", long_ttl_ms);
  EXPECT_EQ(renewed.epoch, first.epoch);
  auto seen = b->read_lease();
  ASSERT_TRUE(seen) << seen.error().message;
  EXPECT_EQ(seen->holder, "node-a");
  EXPECT_EQ(seen->epoch, 1);
  EXPECT_TRUE(seen->live());
  commit_ok(*a, {posted("a-1", "navy")});  // the holder writes
}

// The heart of the fence: a node whose lease passed to another writes nothing, by any path.
TEST_P(lease_test, an_expired_lease_passes_on_and_the_old_holder_writes_no_row) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(a && b);
  auto a_accounts = open_accounts(*a);
  ASSERT_TRUE(a_accounts) << a_accounts.error().message;
  // Writes under the lease go through; then a renewal shortens it, and it runs out.
  const lease_state held = acquire_ok(*a, "node-a", long_ttl_ms);
  commit_ok(*a, {posted("a-1", "navy")});
  ASSERT_TRUE((*a_accounts)->add_user(some_user("officer-kim")));
  EXPECT_EQ(acquire_ok(*a, "node-a", short_ttl_ms).epoch, held.epoch);
  wait_until_expired(*b);

  const lease_state taken = acquire_ok(*b, "node-b", long_ttl_ms);
  EXPECT_EQ(taken.epoch, held.epoch + 1);
  const std::string before = footprint();

  const std::string says = "this node no longer holds the station's lease (epoch " +
                           std::to_string(held.epoch) + ", now held by node-b at epoch " +
                           std::to_string(taken.epoch) + ")";
  expect_fenced(a->commit(std::vector<records::record>{posted("a-2", "navy")}, 2000), says);
  expect_fenced((*a_accounts)->add_user(some_user("officer-lee")), says);
  expect_fenced(a->keep_agreement("agreement_staged", "h1", "text", "v2", 2000), says);
  auto boot = a->next_boot(2000);
  ASSERT_FALSE(boot);
  EXPECT_EQ(boot.error().code, errc::fenced);
  auto renew = a->acquire_lease("node-a", long_ttl_ms);
  ASSERT_FALSE(renew);
  EXPECT_EQ(renew.error().code, errc::fenced) << renew.error().message;
  EXPECT_EQ(footprint(), before);

  auto unknown = b->get("a-2");
  ASSERT_TRUE(unknown) << unknown.error().message;
  EXPECT_FALSE(unknown->has_value());
  commit_ok(*b, {posted("b-1", "navy")});  // the new holder writes
}

// A commit does not extend the lease: its expiry stays where the last acquire put it, so a
// holder that only writes loses the lease at its ttl, and takes it back, if nobody else did, at a
// new epoch.
TEST_P(lease_test, commits_do_not_renew_the_lease) {
  auto a = node();
  ASSERT_TRUE(a);
  const lease_state held = acquire_ok(*a, "node-a", long_ttl_ms);
  const std::string expiry = query("SELECT expires_at::text FROM writer");
  commit_ok(*a, {posted("a-1", "navy")});
  ASSERT_TRUE(a->next_boot(2000));
  EXPECT_EQ(query("SELECT expires_at::text FROM writer"), expiry);

  EXPECT_EQ(acquire_ok(*a, "node-a", short_ttl_ms).epoch, held.epoch);
  wait_until_expired(*a);
  const std::string before = footprint();
  expect_fenced(a->commit(std::vector<records::record>{posted("a-2", "navy")}, 2000),
                "now held by node-a at epoch " + std::to_string(held.epoch) + ", expired");
  EXPECT_EQ(footprint(), before);

  const lease_state again = acquire_ok(*a, "node-a", long_ttl_ms);
  EXPECT_EQ(again.epoch, held.epoch + 1);
  commit_ok(*a, {posted("a-2", "navy")});
}

TEST_P(lease_test, a_release_frees_the_lease_at_once_and_a_non_holder_releases_nothing) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(a && b);
  const lease_state held = acquire_ok(*a, "node-a", long_ttl_ms);
  for (const char* who : {"node-b", "node-a"}) {
    auto r = b->release_lease(who);
    ASSERT_FALSE(r) << who;
    EXPECT_EQ(r.error().code, errc::conflict) << r.error().message;
  }
  auto still = b->read_lease();
  ASSERT_TRUE(still) << still.error().message;
  EXPECT_EQ(still->holder, "node-a");
  EXPECT_EQ(still->epoch, held.epoch);
  EXPECT_TRUE(still->live());

  ASSERT_TRUE(a->release_lease("node-a"));
  auto freed = b->read_lease();
  ASSERT_TRUE(freed) << freed.error().message;
  EXPECT_EQ(freed->holder, "");
  EXPECT_EQ(freed->epoch, held.epoch);  // the next holder moves it on
  // Having given the lease up, the old holder does not fall back to writing unfenced.
  expect_fenced(a->commit(std::vector<records::record>{posted("a-1", "navy")}, 2000),
                "now held by no node at epoch " + std::to_string(held.epoch));

  const lease_state taken = acquire_ok(*b, "node-b", long_ttl_ms);
  EXPECT_EQ(taken.epoch, held.epoch + 1);
  auto again = a->release_lease("node-a");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::fenced) << again.error().message;
  auto after = b->read_lease();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->holder, "node-b");
}

// A node restarted under the same id takes its lease back at once, at a new epoch, which fences
// the process it replaces if that one still runs.
TEST_P(lease_test, a_restarted_node_takes_its_lease_at_a_new_epoch_and_fences_the_old_process) {
  auto old_process = node();
  auto restarted = node();
  ASSERT_TRUE(old_process && restarted);
  const lease_state held = acquire_ok(*old_process, "node-a", long_ttl_ms);
  const lease_state again = acquire_ok(*restarted, "node-a", long_ttl_ms);
  EXPECT_EQ(again.epoch, held.epoch + 1);
  const std::string before = footprint();
  expect_fenced(old_process->commit(std::vector<records::record>{posted("a-1", "navy")}, 2000),
                "now held by node-a at epoch " + std::to_string(again.epoch));
  EXPECT_EQ(footprint(), before);
  commit_ok(*restarted, {posted("a-1", "navy")});
}

TEST_P(lease_test, hostile_node_ids_and_ttls_are_refused_and_change_nothing) {
  auto a = node();
  ASSERT_TRUE(a);
  const std::string ids[] = {"",
                             std::string(lease_node_id_bytes_max + 1, 'a'),
                             "Node-A",
                             "node_a",
                             "node a",
                             "node-\xc3\xa9",
                             std::string("node\0a", 6),
                             "node-a'--",
                             "node-a\n"};
  for (const auto& id : ids) {
    auto r = a->acquire_lease(id, long_ttl_ms);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, errc::invalid_argument) << id;
    EXPECT_EQ(r.error().field, "node_id") << id;
    auto rel = a->release_lease(id);
    ASSERT_FALSE(rel) << id;
    EXPECT_EQ(rel.error().field, "node_id") << id;
  }
  for (std::int64_t ttl : {std::int64_t{-1}, std::int64_t{0}, lease_ttl_ms_min - 1,
                           lease_ttl_ms_max + 1, std::numeric_limits<std::int64_t>::max()}) {
    auto r = a->acquire_lease("node-a", ttl);
    ASSERT_FALSE(r) << ttl;
    EXPECT_EQ(r.error().code, errc::invalid_argument) << ttl;
    EXPECT_EQ(r.error().field, "ttl_ms") << ttl;
  }
  auto untouched = a->read_lease();
  ASSERT_TRUE(untouched) << untouched.error().message;
  EXPECT_EQ(untouched->holder, "");
  EXPECT_EQ(untouched->epoch, 0);
  commit_ok(*a, {posted("a-1", "navy")});  // refused calls leave the store unfenced

  // The edges themselves are accepted.
  const std::string longest(lease_node_id_bytes_max, 'z');
  EXPECT_EQ(acquire_ok(*a, longest, lease_ttl_ms_max).epoch, 1);
  EXPECT_EQ(acquire_ok(*a, longest, lease_ttl_ms_min).epoch, 1);
  EXPECT_TRUE(valid_lease_node_id("0-9"));
  EXPECT_TRUE(valid_lease_node_id("-"));
}

// The schema itself keeps the epoch from going back, so that no path short of dropping the
// trigger can reopen a fenced node's epoch.
TEST_P(lease_test, the_schema_refuses_to_move_the_epoch_back) {
  auto a = node();
  ASSERT_TRUE(a);
  acquire_ok(*a, "node-a", long_ttl_ms);
  EXPECT_FALSE(pg_cluster::exec(location(), "UPDATE writer SET epoch = 0").empty());
  EXPECT_FALSE(
      pg_cluster::exec(location(), "UPDATE writer SET holder = 'node-x' WHERE id = 1").empty());
  EXPECT_EQ(query("SELECT holder || ':' || epoch FROM writer"), "node-a:1");
}

// Two nodes race for a lease nobody holds live (expired in the first round, released in the
// next ones): each round exactly one wins, and the epochs strictly increase. The racers ask for
// the longest ttl, so that a racer the scheduler delays cannot find the winner's lease expired.
TEST_P(lease_test, nodes_racing_for_a_free_lease_get_exactly_one_winner) {
  constexpr int rounds = 3;
  auto first = node();
  ASSERT_TRUE(first);
  std::int64_t epoch = acquire_ok(*first, "node-z", short_ttl_ms).epoch;
  wait_until_expired(*first);
  const std::string ids[2] = {"node-a", "node-b"};
  for (int round = 0; round < rounds; ++round) {
    std::unique_ptr<store> racers[2] = {node(), node()};
    ASSERT_TRUE(racers[0] && racers[1]);
    result<lease_state> got[2] = {fail(errc::io, "not run"), fail(errc::io, "not run")};
    std::latch start{2};
    std::thread threads[2];
    for (int i = 0; i < 2; ++i) {
      threads[i] = std::thread([&, i] {
        start.arrive_and_wait();
        got[i] = racers[i]->acquire_lease(ids[i], long_ttl_ms);
      });
    }
    for (auto& t : threads) t.join();
    const int wins = (got[0] ? 1 : 0) + (got[1] ? 1 : 0);
    ASSERT_EQ(wins, 1) << "round " << round << ": " << (got[0] ? "" : got[0].error().message)
                       << " / " << (got[1] ? "" : got[1].error().message);
    const int w = got[0] ? 0 : 1;
    EXPECT_EQ(got[1 - w].error().code, errc::conflict) << got[1 - w].error().message;
    EXPECT_EQ(got[w]->epoch, epoch + 1) << "round " << round;
    epoch = got[w]->epoch;
    ASSERT_TRUE(racers[w]->release_lease(ids[w]));
  }
}

INSTANTIATE_TEST_SUITE_P(backends, lease_test, ::testing::Values(backend::postgresql),
                         backend_name);

TEST(sqlite_lease_test, the_sqlite_store_has_no_leases_and_commits_as_before) {
  auto s = open_sqlite(":memory:");
  ASSERT_TRUE(s) << s.error().message;
  auto acquired = (*s)->acquire_lease("node-a", long_ttl_ms);
  ASSERT_FALSE(acquired);
  EXPECT_EQ(acquired.error().code, errc::unavailable);
  auto released = (*s)->release_lease("node-a");
  ASSERT_FALSE(released);
  EXPECT_EQ(released.error().code, errc::unavailable);
  auto read = (*s)->read_lease();
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, errc::unavailable);
  commit_ok(**s, {posted("a-1", "navy")});
  auto m = (*s)->get("a-1");
  ASSERT_TRUE(m && *m);
}

}  // namespace
}  // namespace hotline::storage
