// Group commit: batching by record count, stale generations dropped, attached records committed
// with their action, and a batch that commits whole or not at all.
#include "storage/group_commit.hpp"

#include <gtest/gtest.h>

#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

core::persist_action note_action(std::uint64_t token, std::size_t notes) {
  core::persist_action a;
  a.token = token;
  for (std::size_t i = 0; i < notes; ++i) {
    a.records.push_back(records::noted{"test", {}, {}, "{\"i\":" + std::to_string(i) + "}"});
  }
  return a;
}

TEST(group_commit, a_batch_stops_at_the_record_bound_but_takes_at_least_one_action) {
  fixtures::temp_dir dir;
  auto store = fixtures::open_ok(dir.file("hotline.db"));
  group_commit g(*store, 4);
  g.enqueue(note_action(1, 6), 1);  // alone over the bound: still taken
  g.enqueue(note_action(2, 2), 1);
  g.enqueue(note_action(3, 2), 1);
  auto first = g.take(1);
  ASSERT_EQ(first.actions.size(), 1u);
  EXPECT_EQ(first.records.size(), 6u);
  auto second = g.take(1);
  ASSERT_EQ(second.actions.size(), 2u);
  EXPECT_EQ(second.records.size(), 4u);
  EXPECT_TRUE(g.empty());
}

TEST(group_commit, actions_of_an_older_engine_are_dropped_with_their_attachments) {
  fixtures::temp_dir dir;
  auto store = fixtures::open_ok(dir.file("hotline.db"));
  group_commit g(*store);
  g.enqueue(note_action(1, 1), 1);
  g.attach(1, {records::noted{"attached", {}, {}, {}}});
  g.enqueue(note_action(2, 1), 2);
  auto b = g.take(2);
  ASSERT_EQ(b.stale.size(), 1u);
  EXPECT_EQ(b.stale[0].token, 1u);
  ASSERT_EQ(b.actions.size(), 1u);
  EXPECT_EQ(b.records.size(), 1u) << "a dropped action's attachment was committed";
}

TEST(group_commit, attached_records_and_annotations_commit_in_the_same_transaction) {
  fixtures::temp_dir dir;
  auto store = fixtures::open_ok(dir.file("hotline.db"));
  group_commit g(*store);
  g.enqueue(note_action(7, 1), 1);
  g.attach(7, {records::noted{"attached", {}, {}, {}}});
  auto b = g.take(1);
  ASSERT_EQ(b.records.size(), 2u);
  bool annotated = false;
  auto r = g.commit(b, 1'700'000'000'000, [&](std::vector<records::record>& recs) {
    annotated = true;
    recs.push_back(records::noted{"annotation", {}, {}, {}});
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(annotated);
  EXPECT_EQ(b.records.size(), 3u);
  journal_query q;
  q.kind = "annotation";
  auto found = store->journal(q);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size(), 1u);
}

TEST(group_commit, clear_forgets_everything_queued) {
  fixtures::temp_dir dir;
  auto store = fixtures::open_ok(dir.file("hotline.db"));
  group_commit g(*store);
  g.enqueue(note_action(1, 1), 1);
  g.attach(1, {records::noted{"x", {}, {}, {}}});
  g.clear();
  EXPECT_TRUE(g.empty());
  EXPECT_TRUE(g.take(1).actions.empty());
}

core::persist_action action_of(std::uint64_t token, std::vector<records::record> recs) {
  core::persist_action a;
  a.token = token;
  a.records = std::move(recs);
  return a;
}

records::attested receipt_up_to(std::uint64_t seq, std::string mismatch = {}) {
  wire::receipt rc;
  rc.channel = "navy";
  rc.up_to_seq = seq;
  return records::attested{rc, std::move(mismatch)};
}

// Delivered marks and matching receipts are stated again by the peer, so they may wait for the
// next commit; anything else among them, or a mismatch (an alarm), may not.
TEST(group_commit, only_delivered_marks_and_matching_receipts_may_wait) {
  EXPECT_TRUE(may_wait(action_of(1, {fixtures::delivered("navy", 3), receipt_up_to(3)})));
  EXPECT_TRUE(may_wait(action_of(2, {fixtures::delivered("navy", 3)})));
  EXPECT_FALSE(may_wait(action_of(3, {receipt_up_to(3, "a different history")})));
  EXPECT_FALSE(may_wait(action_of(4, {fixtures::delivered("navy", 3), fixtures::posted("m", "navy")})));
  EXPECT_FALSE(may_wait(action_of(5, {})));
  EXPECT_FALSE(may_wait(note_action(6, 1)));
}

TEST(group_commit, urgent_while_an_action_that_may_not_wait_is_queued) {
  fixtures::temp_dir dir;
  auto store = fixtures::open_ok(dir.file("hotline.db"));
  group_commit g(*store);
  g.enqueue(action_of(1, {fixtures::delivered("navy", 1)}), 1);
  EXPECT_FALSE(g.empty());
  EXPECT_FALSE(g.urgent()) << "a delivered mark alone waits for the next commit";
  g.enqueue(action_of(2, {fixtures::posted("m-1", "navy")}), 1);
  EXPECT_TRUE(g.urgent());
  auto b = g.take(1);
  EXPECT_EQ(b.actions.size(), 2u) << "the waiting mark rides on the post's commit";
  EXPECT_FALSE(g.urgent());
  g.enqueue(action_of(3, {fixtures::posted("m-2", "navy")}), 1);
  g.enqueue(action_of(4, {fixtures::delivered("navy", 2)}), 1);
  auto stale = g.take(2);  // an engine rebuilt since: both dropped, nothing urgent is left
  EXPECT_EQ(stale.stale.size(), 2u);
  EXPECT_FALSE(g.urgent());
  g.enqueue(action_of(5, {fixtures::posted("m-3", "navy")}), 2);
  g.clear();
  EXPECT_FALSE(g.urgent());
}

}  // namespace
}  // namespace hotline::storage
