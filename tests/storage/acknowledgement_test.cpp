// Acknowledgements, escalations and flags on every backend, and the reads the deadline watch uses.
#include <gtest/gtest.h>

#include "storage/store.hpp"
#include "storage/store_backends.hpp"

namespace hotline::storage {
namespace {

using namespace fixtures;

message make(std::string id, std::string form = "FREE-TEXT") {
  message m;
  m.id = std::move(id);
  m.channel = "navy";
  m.from = "rok-fleet-command";
  m.form = std::move(form);
  m.body = "x";
  m.created_at_ms = 1000;
  return m;
}

class acknowledgements : public backend_test {};

TEST_P(acknowledgements, an_acknowledged_message_reports_who_and_when) {
  auto s = open_store();
  std::vector<records::record> recs{records::posted{make("m1")}};
  ASSERT_TRUE(s->commit(recs, 5));
  recs = {records::acknowledged{"m1", "officer-ivanov", "Понял", 77}};
  ASSERT_TRUE(s->commit(recs, 99));
  auto m = s->get("m1");
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->status, delivery_status::acknowledged);
  EXPECT_EQ((*m)->acknowledged_at_ms, 77);
  EXPECT_EQ((*m)->acknowledged_by, "officer-ivanov");
  EXPECT_EQ((*m)->ack_answer, "Понял");
}

TEST_P(acknowledgements, the_first_acknowledgement_counts) {
  auto s = open_store();
  std::vector<records::record> recs{records::posted{make("m1")},
                                    records::acknowledged{"m1", "first", "", 10},
                                    records::acknowledged{"m1", "second", "", 20}};
  ASSERT_TRUE(s->commit(recs, 5));
  EXPECT_EQ((*s->get("m1"))->acknowledged_by, "first");
}

TEST_P(acknowledgements, awaiting_ack_skips_answered_escalated_and_answers) {
  auto s = open_store();
  std::vector<records::record> recs{records::posted{make("open")},
                                    records::posted{make("answered")},
                                    records::posted{make("late")},
                                    records::posted{make("ack", "ACK")},
                                    records::acknowledged{"answered", "x", "", 0},
                                    records::escalated{"late", 0, false}};
  ASSERT_TRUE(s->commit(recs, 5));
  auto waiting = s->awaiting_ack(0, 100);
  ASSERT_TRUE(waiting);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ(waiting->front().msg.id, "open");
  auto after = s->awaiting_ack(waiting->front().cursor, 100);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->empty());
  EXPECT_EQ((*s->get("late"))->escalated_at_ms, 5);
}

TEST_P(acknowledgements, flags_and_last_link_test_reads) {
  auto s = open_store();
  std::vector<records::record> recs{records::posted{make("t1", "LINK-TEST")},
                                    records::posted{make("t2", "LINK-TEST")},
                                    records::acknowledged{"t1", "duty", "", 50},
                                    records::flagged{"t2", "fields.area: missing"}};
  ASSERT_TRUE(s->commit(recs, 5));
  auto last = s->last_sent("navy", "LINK-TEST");
  ASSERT_TRUE(last && *last);
  EXPECT_EQ((*last)->msg.id, "t2");
  EXPECT_EQ((*last)->flag, "fields.area: missing");
  auto answered = s->last_acknowledged("navy", "LINK-TEST");
  ASSERT_TRUE(answered && *answered);
  EXPECT_EQ((*answered)->msg.id, "t1");
  EXPECT_EQ((*answered)->acknowledged_by, "duty");
}

HOTLINE_STORE_BACKENDS(acknowledgements);

}  // namespace
}  // namespace hotline::storage
