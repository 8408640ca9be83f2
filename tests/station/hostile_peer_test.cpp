// The counterpart as an adversary: it holds valid keys and sends well-formed frames with hostile
// contents. For each attack the station under test must refuse it (and journal the refusal),
// store nothing wrong, and go on serving: an honest link still carries a message and its
// receipt, a local post still commits, and no handler threw.
#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "hostile_peer.hpp"
#include "station/ids.hpp"
#include "station_world.hpp"

namespace hotline::test {
namespace {

const std::string not_utf8 = "caf\xC3";  // a truncated two-byte sequence

class hostile_peer_test : public ::testing::Test {
 protected:
  void SetUp() override { world_.start(); }

  // A connected peer that has sent the honest hello (unless told otherwise) and read the
  // station's.
  std::unique_ptr<hostile_peer> peer(bool hello = true, std::uint64_t navy_next = 1) {
    auto p = std::make_unique<hostile_peer>(world_);
    EXPECT_TRUE(p->connect());
    if (hello) {
      auto h = p->honest_hello(navy_next);
      h.boot_id = ++boot_id_;
      EXPECT_TRUE(p->send(h));
      p->read_until([](const wire::frame& f) { return std::holds_alternative<wire::hello>(f); });
    }
    return p;
  }

  // The station serves on: an honest message on `channel` with the next seq gets its receipt,
  // a local post commits, and nothing threw.
  void expect_serving(std::uint64_t next_seq, const std::string& channel = "navy") {
    auto p = peer();
    const auto m = p->make_message(channel, next_seq, "honest-" + std::to_string(next_seq));
    ASSERT_TRUE(p->send(wire::data{m}));
    EXPECT_TRUE(p->receipt_for(channel, next_seq)) << "no receipt for an honest message";
    EXPECT_EQ(world_.stored(m.id).msg.id, m.id);
    EXPECT_TRUE(world_.post("navy", "still serving"));
    EXPECT_EQ(world_.handler_failures(), 0U);
  }

  station_world world_;
  std::uint64_t boot_id_ = 100;
};

// Each case: one frame, well framed, with one string that is not UTF-8.
struct bad_text_case {
  const char* name;
  std::function<wire::frame(const hostile_peer&)> frame;
  bool after_hello = true;
};

class bad_text_test : public hostile_peer_test,
                      public ::testing::WithParamInterface<bad_text_case> {};

TEST_P(bad_text_test, is_refused_journaled_and_the_station_serves_on) {
  const auto& c = GetParam();
  auto p = peer(c.after_hello);
  ASSERT_TRUE(p->send(c.frame(*p)));
  const std::string reason = p->closed_reason();
  EXPECT_NE(reason.find("malformed frame"), std::string::npos) << reason;
  EXPECT_TRUE(world_.journaled_eventually("refused", "malformed frame"));
  EXPECT_TRUE(world_.inbox().empty()) << "a refused frame left a message behind";
  expect_serving(1);
}

INSTANTIATE_TEST_SUITE_P(
    every_string_field, bad_text_test,
    ::testing::Values(
        // The review's findings: an unsigned message with a bad id (only the TLS key needed),
        // a close with a bad reason, a validly signed message with a bad form.
        bad_text_case{"unsigned_message_id",
                      [](const hostile_peer& p) {
                        return wire::data{p.make_message("navy", 1, "id-" + not_utf8, "FREE-TEXT",
                                                         "x", false)};
                      }},
        bad_text_case{"close_reason", [](const hostile_peer&) { return wire::close{not_utf8}; }},
        bad_text_case{"signed_form",
                      [](const hostile_peer& p) {
                        return wire::data{p.make_message("navy", 1, "m1", "FREE" + not_utf8)};
                      }},
        bad_text_case{"signed_body",
                      [](const hostile_peer& p) {
                        return wire::data{p.make_message("navy", 1, "m1", "FREE-TEXT", not_utf8)};
                      }},
        bad_text_case{"message_channel",
                      [](const hostile_peer& p) {
                        return wire::data{p.make_message("navy" + not_utf8, 1, "m1")};
                      }},
        bad_text_case{"message_sender",
                      [](const hostile_peer& p) {
                        auto m = p.make_message("navy", 1, "m1", "FREE-TEXT", "x", false);
                        m.from = "ru" + not_utf8;
                        return wire::data{m};
                      }},
        bad_text_case{"receipt_channel",
                      [](const hostile_peer& p) {
                        return wire::frame{p.make_receipt("navy" + not_utf8, 0, {})};
                      }},
        bad_text_case{"hello_station",
                      [](const hostile_peer& p) {
                        auto h = p.honest_hello();
                        h.station = "ru" + not_utf8;
                        return wire::frame{h};
                      },
                      false},
        bad_text_case{"hello_path",
                      [](const hostile_peer& p) {
                        auto h = p.honest_hello();
                        h.path = "primary" + not_utf8;
                        return wire::frame{h};
                      },
                      false},
        bad_text_case{"hello_resume_channel",
                      [](const hostile_peer& p) {
                        auto h = p.honest_hello();
                        h.resume[0].channel = "air" + not_utf8;
                        return wire::frame{h};
                      },
                      false}),
    [](const ::testing::TestParamInfo<bad_text_case>& p) { return std::string(p.param.name); });

// Since protocol 5 one seal proves a run of messages; a seal that proves nothing refuses the
// link, and the messages it would have covered are never stored.
TEST_F(hostile_peer_test, a_seal_with_a_bad_signature_is_refused_and_journaled) {
  auto p = peer();
  p->auto_seal = false;
  const auto m = p->make_message("navy", 1, "m1");
  ASSERT_TRUE(p->send(wire::data{m}));
  wire::seal s = p->make_seal("navy", 1, hostile_peer::chain_of({m}));
  s.signature[3] = static_cast<char>(s.signature[3] ^ 0x40);
  ASSERT_TRUE(p->send(s));
  const std::string reason = p->closed_reason();
  EXPECT_NE(reason.find("bad seal on navy up to seq 1"), std::string::npos) << reason;
  EXPECT_NE(reason.find("signature is not valid"), std::string::npos) << reason;
  EXPECT_TRUE(world_.journaled_eventually("refused", "bad seal"));
  EXPECT_FALSE(world_.get("m1"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_message_changed_after_its_seal_is_refused) {
  auto p = peer();
  p->auto_seal = false;
  auto m = p->make_message("navy", 1, "m1");
  const wire::seal s = p->make_seal("navy", 1, hostile_peer::chain_of({m}));
  m.body = "altered after sealing";
  ASSERT_TRUE(p->send(wire::data{m}));
  ASSERT_TRUE(p->send(s));
  const std::string reason = p->closed_reason();
  EXPECT_NE(reason.find("its chain is not the chain of the messages received"), std::string::npos)
      << reason;
  EXPECT_FALSE(world_.get("m1"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, messages_never_sealed_are_not_stored_and_cannot_pile_up) {
  auto p = peer();
  p->auto_seal = false;
  wire::bytes burst;
  for (std::uint64_t seq = 1; seq <= limits::seal_interval_messages_max + 1; ++seq) {
    wire::encode(wire::data{p->make_message("navy", seq, "unsealed-" + std::to_string(seq))}, burst);
  }
  ASSERT_TRUE(p->send_raw(burst));
  const std::string reason = p->closed_reason();
  EXPECT_NE(reason.find("without a seal"), std::string::npos) << reason;
  EXPECT_FALSE(world_.get("unsealed-1"));
  EXPECT_TRUE(world_.inbox().empty());
  expect_serving(1);
}

// A seal that covers messages the station never got (a gap) or already holds proves nothing
// new and changes nothing.
TEST_F(hostile_peer_test, a_seal_beyond_what_was_received_is_ignored) {
  auto p = peer();
  p->auto_seal = false;
  ASSERT_TRUE(p->send(p->make_seal("navy", 7, {})));
  const auto m = p->make_message("navy", 1, "m1");
  ASSERT_TRUE(p->send(wire::data{m}));
  ASSERT_TRUE(p->send(p->make_seal("navy", 1, hostile_peer::chain_of({m}))));
  EXPECT_TRUE(p->receipt_for("navy", 1));
  EXPECT_EQ(world_.stored("m1").msg.body, m.body);
}

TEST_F(hostile_peer_test, a_sequence_number_out_of_range_is_refused) {
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", std::uint64_t{1} << 60, "m1")}));
  EXPECT_NE(p->closed_reason().find("out of range"), std::string::npos);
  EXPECT_TRUE(world_.journaled_eventually("refused", "out of range"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_gap_is_answered_with_the_current_receipt_and_nothing_is_stored) {
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 5, "m5")}));
  bool answered = false;
  p->read_until([&](const wire::frame& f) {
    const auto* a = std::get_if<wire::ack>(&f);
    answered = a != nullptr && a->channel == "navy" && a->up_to_seq == 0;
    return answered;
  });
  EXPECT_TRUE(answered);
  EXPECT_FALSE(world_.get("m5"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_reused_message_id_is_refused_and_local_posts_still_commit) {
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 1, "taken")}));
  ASSERT_TRUE(p->receipt_for("navy", 1));
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 2, "taken", "FREE-TEXT", "other")}));
  EXPECT_NE(p->closed_reason().find("already taken"), std::string::npos);
  EXPECT_TRUE(world_.journaled_eventually("refused", "already taken"));
  EXPECT_EQ(world_.stored("taken").msg.body, "text") << "the first message was overwritten";
  expect_serving(2);
}

TEST_F(hostile_peer_test, a_peer_message_that_takes_a_keyed_id_is_never_answered_as_our_post) {
  // The peer guesses a key a feeder script will use, and sends a message under the id it names,
  // with the very text the feeder will post.
  const std::string id = station::keyed_message_id(station_rok, "token:feeder", "track-0001");
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 1, id, "FREE-TEXT", "track 1")}));
  ASSERT_TRUE(p->receipt_for("navy", 1));
  auto posted = world_.post_keyed("navy", "track 1", "feeder", "track-0001");
  ASSERT_FALSE(posted) << "the peer's message was taken for this station's post";
  EXPECT_EQ(posted.error().code, errc::conflict);
  EXPECT_EQ(posted.error().field, "Idempotency-Key");
  EXPECT_EQ(world_.stored(id).direction, storage::box::in);
  auto other_key = world_.post_keyed("navy", "track 1", "feeder", "track-0001-b");
  ASSERT_TRUE(other_key) << other_key.error().message;
  EXPECT_EQ(other_key->direction, storage::box::out);
  expect_serving(2);
}

TEST_F(hostile_peer_test, an_id_reused_within_one_batch_is_refused) {
  auto p = peer();
  const auto first = p->make_message("navy", 1, "twice");
  wire::bytes both = wire::encode(wire::data{first});
  wire::encode(p->make_seal("navy", 1, hostile_peer::chain_of({first})), both);
  wire::encode(wire::data{p->make_message("navy", 2, "twice", "FREE-TEXT", "again")}, both);
  ASSERT_TRUE(p->send_raw(both));
  EXPECT_NE(p->closed_reason().find("already taken"), std::string::npos);
  EXPECT_EQ(world_.stored("twice").msg.body, "text");
  expect_serving(2);
}

TEST_F(hostile_peer_test, a_message_that_reuses_one_of_our_own_ids_is_refused) {
  auto ours = world_.post("navy", "our notice");
  ASSERT_TRUE(ours);
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 1, ours->msg.id)}));
  EXPECT_NE(p->closed_reason().find("already taken"), std::string::npos);
  EXPECT_EQ(world_.stored(ours->msg.id).direction, storage::box::out);
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_receipt_for_messages_never_sent_is_refused_and_changes_nothing) {
  auto p = peer();
  ASSERT_TRUE(p->send(p->make_receipt("navy", 5, {})));
  EXPECT_NE(p->closed_reason().find("beyond last sent"), std::string::npos);
  EXPECT_TRUE(world_.journaled_eventually("refused", "beyond last sent"));
  expect_serving(1);
}

// A hello resuming ahead of what the station sent is what a restored station hears from its
// peer. Nothing in it is believed: the station asks for its own messages back and numbers
// nothing new until it holds them, each checked against its own signature.
TEST_F(hostile_peer_test, a_hello_resuming_ahead_is_answered_with_a_fetch_and_numbers_nothing) {
  auto p = peer(false);
  ASSERT_TRUE(p->send(p->honest_hello(10)));
  std::optional<wire::fetch> asked;
  EXPECT_FALSE(p->read_until([&](const wire::frame& f) {
    if (const auto* q = std::get_if<wire::fetch>(&f)) asked = *q;
    return asked.has_value();
  }));
  ASSERT_TRUE(asked) << "no fetch";
  EXPECT_EQ(asked->channel, "navy");
  EXPECT_EQ(asked->from_seq, 1U);
  EXPECT_EQ(asked->count, 9U);
  EXPECT_TRUE(world_.journaled_eventually("peer_ahead", "\"peer_holds_up_to\":9"));
  const auto waiting = world_.post("navy", "waits for the lost tail");
  ASSERT_TRUE(waiting);
  EXPECT_EQ(world_.stored(waiting->msg.id).msg.seq, 0U) << "a seq was used before the tail was back";

  // Handed back: a message signed by the peer, not by this station.
  message forged = p->make_message("navy", 1, "forged-1");
  forged.from = station_rok;
  signing::seal(world_.ru_key(), forged);
  ASSERT_TRUE(p->send(wire::returned{forged}));
  EXPECT_NE(p->closed_reason().find("does not carry this station's signature"), std::string::npos);
  EXPECT_TRUE(world_.journaled_eventually("refused", "does not carry this station's signature"));
  EXPECT_FALSE(world_.get("forged-1"));
  EXPECT_EQ(world_.handler_failures(), 0U);
}

// Since protocol 5 what is handed back is proven by the restored station's own seal, which the
// peer kept: a seal in the peer's name proves nothing.
TEST_F(hostile_peer_test, messages_handed_back_under_a_seal_not_the_stations_own_are_refused) {
  auto p = peer(false);
  ASSERT_TRUE(p->send(p->honest_hello(3)));
  EXPECT_FALSE(p->read_until([&](const wire::frame& f) { return std::holds_alternative<wire::fetch>(f); }));
  message forged = p->make_message("navy", 1, "forged-1");
  forged.from = station_rok;
  ASSERT_TRUE(p->send(wire::returned{forged}));
  wire::seal s = p->make_seal("navy", 1, hostile_peer::chain_of({forged}));
  ASSERT_TRUE(p->send(wire::returned_seal{s}));
  const std::string reason = p->closed_reason();
  EXPECT_NE(reason.find("is not this station's seal"), std::string::npos) << reason;
  EXPECT_TRUE(world_.journaled_eventually("refused", "is not this station's seal"));
  EXPECT_FALSE(world_.get("forged-1"));
  EXPECT_EQ(world_.handler_failures(), 0U);
}

// A station of the protocol before seals cannot talk to one after: the link is refused, the
// refusal journaled, and nothing passes until both run the same version.
TEST_F(hostile_peer_test, a_hello_of_another_protocol_version_is_refused_and_journaled) {
  auto p = peer(false);
  auto h = p->honest_hello();
  h.version = 4;
  ASSERT_TRUE(p->send(h));
  const std::string reason = p->closed_reason();
  EXPECT_NE(reason.find("protocol version 4, this station speaks 5"), std::string::npos) << reason;
  EXPECT_TRUE(world_.journaled_eventually("refused", "protocol version 4"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_message_handed_back_unasked_is_refused) {
  auto p = peer();
  message m = p->make_message("navy", 1, "unasked-1");
  ASSERT_TRUE(p->send(wire::returned{m}));
  EXPECT_NE(p->closed_reason().find("handed back unasked"), std::string::npos);
  EXPECT_FALSE(world_.get("unasked-1"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_fetch_of_more_than_is_held_is_refused) {
  auto p = peer();
  ASSERT_TRUE(p->send(wire::fetch{"navy", 1, 5}));
  EXPECT_NE(p->closed_reason().find("holds only up to 0"), std::string::npos);
  EXPECT_TRUE(world_.journaled_eventually("refused", "holds only up to 0"));
  expect_serving(1);
}

TEST_F(hostile_peer_test, a_fetch_of_what_is_held_is_answered_with_the_messages_as_stored) {
  auto p = peer();
  std::vector<message> sent;
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    sent.push_back(p->make_message("navy", seq, "kept-" + std::to_string(seq)));
    ASSERT_TRUE(p->send(wire::data{sent.back()}));
  }
  ASSERT_TRUE(p->receipt_for("navy", 3));
  ASSERT_TRUE(p->send(wire::fetch{"navy", 2, 2}));
  std::vector<message> back;
  std::vector<wire::seal> seals;
  EXPECT_FALSE(p->read_until([&](const wire::frame& f) {
    if (const auto* r = std::get_if<wire::returned>(&f)) back.push_back(r->msg);
    if (const auto* r = std::get_if<wire::returned_seal>(&f)) seals.push_back(r->s);
    return seals.size() == 2;
  }));
  ASSERT_EQ(back.size(), 2U);
  EXPECT_EQ(back[0], sent[1]);
  EXPECT_EQ(back[1], sent[2]);
  // Each followed by the peer's own seal that the station kept with it (one per message here,
  // as the peer sealed each), unchanged.
  ASSERT_EQ(seals.size(), 2U);
  EXPECT_EQ(seals[1], p->make_seal("navy", 3, hostile_peer::chain_of(sent)));
  EXPECT_TRUE(world_.journaled_eventually("returning", "\"to_seq\":3"));
}

TEST_F(hostile_peer_test, a_hello_resume_point_marks_nothing_delivered) {
  auto ours = world_.post("navy", "our notice");
  ASSERT_TRUE(ours);
  auto p = peer();
  // The station sends its message; the peer claims it in its next hello, unsigned, and never
  // signs a receipt for it.
  std::vector<message> sent;
  p->read_until([&](const wire::frame& f) {
    if (const auto* d = std::get_if<wire::data>(&f)) sent.push_back(d->msg);
    return !sent.empty();
  });
  ASSERT_EQ(sent.size(), 1U);
  auto again = peer(true, 2);
  again->read_until([](const wire::frame&) { return false; }, std::chrono::seconds(2));
  EXPECT_FALSE(world_.stored(ours->msg.id).delivered_at_ms);
  // A signed receipt with the right chain is what marks it delivered.
  ASSERT_TRUE(again->send(again->make_receipt("navy", 1, hostile_peer::chain_of(sent))));
  EXPECT_TRUE(station_world::eventually(
      [&] { return world_.stored(ours->msg.id).delivered_at_ms.has_value(); }));
}

// A delivered mark and its receipt wait to ride on the next commit (limits::commit_wait_us_max).
// When no other commit comes, the runtime's wait timer commits them on their own: without it the
// message would stay undelivered, and the receipt unjournaled, until the next post.
TEST_F(hostile_peer_test, a_receipt_with_nothing_else_to_commit_is_committed_on_its_own) {
  auto ours = world_.post("navy", "our notice");
  ASSERT_TRUE(ours);
  auto p = peer();
  std::vector<message> sent;
  EXPECT_FALSE(p->read_until([&](const wire::frame& f) {
    if (const auto* d = std::get_if<wire::data>(&f)) sent.push_back(d->msg);
    return !sent.empty();
  }));
  ASSERT_EQ(sent.size(), 1U);
  // A receipt over the chain of the message as the station sent it: a true receipt.
  ASSERT_TRUE(p->send(p->make_receipt("navy", 1, hostile_peer::chain_of(sent))));
  EXPECT_TRUE(station_world::eventually(
      [&] { return world_.stored(ours->msg.id).delivered_at_ms.has_value(); }));
  EXPECT_TRUE(world_.journaled_eventually("receipt", "\"up_to_seq\":1"));
}

// An answer that names something this station did not send it is kept, flagged, and applied to
// nothing: the watch goes on, and the duty officer's own acknowledgement is not blocked.
TEST_F(hostile_peer_test, an_answer_naming_a_message_we_received_changes_nothing) {
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 1, "their-notice")}));
  ASSERT_TRUE(p->receipt_for("navy", 1));
  ASSERT_TRUE(p->send(wire::data{p->make_message(
      "navy", 2, "forged-ack", "ACK",
      R"({"reference":"their-notice","answered_by":"our officer"})")}));
  ASSERT_TRUE(p->receipt_for("navy", 2));
  EXPECT_FALSE(world_.stored("their-notice").acknowledged_at_ms);
  EXPECT_NE(world_.stored("forged-ack").flag.find("acknowledgement refused"), std::string::npos);
  auto acked = world_.acknowledge("their-notice", "duty-1");
  ASSERT_TRUE(acked) << acked.error().message;
  EXPECT_EQ(acked->acknowledged_by, "duty-1");
  expect_serving(3);
}

TEST_F(hostile_peer_test, an_answer_naming_a_message_on_another_channel_changes_nothing) {
  auto ours = world_.post("air", "our air notice");
  ASSERT_TRUE(ours);
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message(
      "navy", 1, "cross-ack", "ACK",
      R"({"reference":")" + ours->msg.id + R"(","answered_by":"them"})")}));
  ASSERT_TRUE(p->receipt_for("navy", 1));
  EXPECT_FALSE(world_.stored(ours->msg.id).acknowledged_at_ms);
  EXPECT_NE(world_.stored("cross-ack").flag.find("did not send on navy"), std::string::npos);
  expect_serving(2);
}

TEST_F(hostile_peer_test, an_answer_whose_answered_by_is_not_text_is_flagged_not_applied) {
  auto ours = world_.post("navy", "our notice");
  ASSERT_TRUE(ours);
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{p->make_message(
      "navy", 1, "odd-ack", "ACK",
      R"({"reference":")" + ours->msg.id + R"(","answered_by":42})")}));
  ASSERT_TRUE(p->receipt_for("navy", 1));
  EXPECT_FALSE(world_.stored(ours->msg.id).acknowledged_at_ms);
  EXPECT_NE(world_.stored("odd-ack").flag.find("answered_by"), std::string::npos);
  EXPECT_TRUE(world_.journaled_eventually("flagged", "answered_by"));
  expect_serving(2);
}

TEST_F(hostile_peer_test, a_second_answer_to_the_same_message_changes_nothing) {
  auto ours = world_.post("navy", "our notice");
  ASSERT_TRUE(ours);
  auto p = peer();
  const std::string body = R"({"reference":")" + ours->msg.id + R"(","answered_by":"first"})";
  ASSERT_TRUE(p->send(wire::data{p->make_message("navy", 1, "ack-1", "ACK", body)}));
  ASSERT_TRUE(p->send(wire::data{p->make_message(
      "navy", 2, "ack-2", "ACK",
      R"({"reference":")" + ours->msg.id + R"(","answered_by":"second"})")}));
  ASSERT_TRUE(p->receipt_for("navy", 2));
  EXPECT_EQ(world_.stored(ours->msg.id).acknowledged_by, "first");
  EXPECT_NE(world_.stored("ack-2").flag.find("already acknowledged"), std::string::npos);
}

// Floods are bounded loops: the station must still answer an honest message afterwards.
TEST_F(hostile_peer_test, a_flood_of_pings_pongs_and_gaps_leaves_the_station_serving) {
  auto p = peer();
  wire::bytes burst;
  for (std::uint64_t i = 1; i <= 2000; ++i) {
    wire::encode(wire::ping{i}, burst);
    wire::encode(wire::pong{i * 7919}, burst);  // answers no ping: ignored
  }
  for (std::uint64_t i = 0; i < 50; ++i) ASSERT_TRUE(p->send_raw(burst));
  const auto gap = wire::encode(wire::data{p->make_message("navy", 9, "gap")});
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(p->send_raw(gap));
  const auto m = p->make_message("navy", 1, "after-flood");
  ASSERT_TRUE(p->send(wire::data{m}));
  EXPECT_TRUE(p->receipt_for("navy", 1));
  EXPECT_FALSE(world_.get("gap"));
  EXPECT_EQ(world_.handler_failures(), 0U);
}

}  // namespace
}  // namespace hotline::test
