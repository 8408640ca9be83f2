// Messages of this station's own, handed back by the peer after a restore (records::reclaimed):
// a post the backup still held queued takes its seq and signature; one the backup never held is
// stored whole; both are delivered at once, journaled as sent, and recovery resumes after them.
#include <gtest/gtest.h>

#include "storage/journal.hpp"
#include "storage/store_backends.hpp"
#include "storage/store_fixtures.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

records::record reclaimed(std::string id, std::uint64_t seq, std::uint8_t chain_tag) {
  records::reclaimed r{make_message(std::move(id), "navy", seq), {}};
  r.msg.signature = std::string(64, static_cast<char>(chain_tag));
  r.chain.fill(chain_tag);
  return r;
}

class reclaim : public backend_test {};

TEST_P(reclaim, a_queued_post_takes_its_seq_and_a_lost_one_is_stored_whole) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  commit_ok(*s, {posted("still-queued", "navy")});
  commit_ok(*s, {reclaimed("never-here", 1, 0x11), reclaimed("still-queued", 2, 0x22)}, 5'000);

  auto queued = s->get("still-queued");
  ASSERT_TRUE(queued && *queued);
  EXPECT_EQ((*queued)->msg.seq, 2U);
  EXPECT_EQ((*queued)->msg.signature, std::string(64, '\x22'));
  EXPECT_EQ((*queued)->delivered_at_ms, 5'000);
  auto lost = s->get("never-here");
  ASSERT_TRUE(lost && *lost);
  EXPECT_EQ((*lost)->direction, box::out);
  EXPECT_EQ((*lost)->msg.seq, 1U);
  EXPECT_EQ((*lost)->delivered_at_ms, 5'000);

  auto r = s->recover("navy");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->next_out_seq, 3U);
  EXPECT_EQ(r->out_delivered, 2U);
  EXPECT_TRUE(r->queued.empty());
  EXPECT_TRUE(r->unacked.empty());
  EXPECT_EQ(r->out_chain_base[0], 0x22);

  journal_query q;
  q.kind = "sent";
  auto sent = s->journal(q);
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->size(), 2U);
  EXPECT_EQ((*sent)[0].msg_seq, 2U);  // newest first
  EXPECT_EQ((*sent)[1].message_id, "never-here");
}

TEST_P(reclaim, a_seq_already_used_fails_the_whole_commit) {
  auto s = open_store();
  ASSERT_NE(s, nullptr);
  commit_ok(*s, {posted("first", "navy", 1)});
  const records::record again = reclaimed("other", 1, 0x33);
  auto r = s->commit(std::span(&again, 1), 6'000);
  EXPECT_FALSE(r);
  EXPECT_FALSE(*s->get("other"));
}

HOTLINE_STORE_BACKENDS(reclaim);

}  // namespace
}  // namespace hotline::storage
