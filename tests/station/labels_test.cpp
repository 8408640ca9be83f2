// Handling labels at a real station: a post carries its form's default or the label asked for,
// a label above the ceiling or outside the agreement is refused with the field named, and a
// peer's message whose label the agreement does not allow it is refused and journaled while the
// station serves on. A label is read in this station's own terms; an embargo holds export back.
#include <gtest/gtest.h>

#include "hostile_peer.hpp"
#include "station_world.hpp"

namespace hotline::test {
namespace {

class labels_test : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.labelled = true;
    world_.start();
  }

  std::unique_ptr<hostile_peer> peer() {
    auto p = std::make_unique<hostile_peer>(world_);
    EXPECT_TRUE(p->connect());
    auto h = p->honest_hello(1);
    h.boot_id = ++boot_id_;
    EXPECT_TRUE(p->send(h));
    p->read_until([](const wire::frame& f) { return std::holds_alternative<wire::hello>(f); });
    return p;
  }

  // A message from `ru`, labelled; the peer's send() seals it with `ru`'s real key.
  message labelled(const hostile_peer& p, std::uint64_t seq, const std::string& id,
                   labels::label l) {
    message m = p.make_message("navy", seq, id, "FREE-TEXT", "text", false);
    m.label = std::move(l);
    return m;
  }

  station::post_request request(std::string text, std::optional<labels::label> l) {
    station::post_request r{"navy", precedence::routine, std::string(form_free_text),
                            std::move(text), "en"};
    r.label = std::move(l);
    return r;
  }

  station_world world_;
  std::uint64_t boot_id_ = 300;
};

TEST_F(labels_test, a_post_without_a_label_carries_its_forms_default) {
  auto posted = world_.post("navy", "routine notice");
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->msg.label.marking, "rok-unclassified");
  EXPECT_EQ(world_.stored(posted->msg.id).msg.label, posted->msg.label);
}

TEST_F(labels_test, a_post_keeps_the_label_asked_for) {
  const labels::label l{"rok-restricted", {{"embargo", "1796860800000"}, {"no-forward", ""}}};
  auto posted = world_.post_request(request("restricted notice", l));
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(world_.stored(posted->msg.id).msg.label, l);
}

TEST_F(labels_test, a_post_above_the_ceiling_or_outside_the_agreement_is_refused_by_field) {
  struct refused_case {
    labels::label l;
    const char* field;
    const char* why;
  };
  for (const auto& [l, field, why] : std::initializer_list<refused_case>{
           {{"rok-secret", {}}, "label.marking", "above the ceiling"},
           {{"ru-dsp", {}}, "label.marking", "not one of rok's markings"},
           {{"top-secret", {}}, "label.marking", "not one of rok's markings"},
           {{"rok-restricted", {{"burn-after-reading", ""}}}, "label.caveats[0]", "not one the agreement defines"},
           {{"rok-restricted", {{"embargo", ""}}}, "label.caveats[0]", "needs the instant"}}) {
    auto posted = world_.post_request(request("should not go", l));
    ASSERT_FALSE(posted) << labels::to_text(l);
    EXPECT_EQ(posted.error().code, errc::invalid_argument);
    EXPECT_EQ(posted.error().field, field);
    EXPECT_NE(posted.error().message.find(why), std::string::npos) << posted.error().message;
  }
  EXPECT_TRUE(world_.outbox().empty()) << "a refused post was stored";
}

TEST_F(labels_test, a_peer_message_with_a_label_the_agreement_does_not_allow_is_refused) {
  struct hostile_case {
    labels::label l;
    const char* why;
  };
  std::size_t n = 0;
  for (const auto& [l, why] : std::initializer_list<hostile_case>{
           {{"ru-secret", {}}, "above the ceiling"},
           {{"rok-restricted", {}}, "not one of ru's markings"},
           {{"cosmic-top-secret", {}}, "not one of ru's markings"},
           {{"ru-dsp", {{"forward-to-allies", ""}}}, "not one the agreement defines"},
           {{}, "must carry a marking"}}) {
    auto p = peer();
    const std::string id = "hostile-label-" + std::to_string(++n);
    ASSERT_TRUE(p->send(wire::data{labelled(*p, 1, id, l)}));
    const std::string reason = p->closed_reason();
    EXPECT_NE(reason.find(why), std::string::npos) << reason;
    EXPECT_TRUE(world_.journaled_eventually("refused", why)) << why;
    EXPECT_TRUE(world_.inbox().empty()) << "a refused label was stored: " << labels::to_text(l);
  }
  // The station serves on: the same seq with an allowed label is taken, and read as ROK's own.
  auto p = peer();
  const labels::label allowed{"ru-dsp", {{"no-forward", ""}}};
  ASSERT_TRUE(p->send(wire::data{labelled(*p, 1, "allowed", allowed)}));
  EXPECT_TRUE(p->receipt_for("navy", 1));
  EXPECT_EQ(world_.stored("allowed").msg.label, allowed);
  EXPECT_EQ(world_.agreement().labels.local_marking("rok", "ru-dsp"), "rok-restricted");
  EXPECT_TRUE(world_.post("navy", "still serving"));
  EXPECT_EQ(world_.handler_failures(), 0U);
}

TEST_F(labels_test, an_acknowledgement_carries_the_marking_of_what_it_answers_in_our_terms) {
  auto p = peer();
  ASSERT_TRUE(p->send(wire::data{labelled(*p, 1, "dsp-notice", {"ru-dsp", {}})}));
  ASSERT_TRUE(p->receipt_for("navy", 1));
  auto acked = world_.acknowledge("dsp-notice", "officer-kim");
  ASSERT_TRUE(acked) << acked.error().message;
  const auto out = world_.outbox();
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].msg.form, "ACK");
  EXPECT_EQ(out[0].msg.label.marking, "rok-restricted");
}

TEST_F(labels_test, evidence_of_a_message_under_embargo_is_refused_until_it_lifts) {
  auto p = peer();
  const labels::label future{"ru-dsp", {{"embargo", "4102444800000"}}};  // 2100
  const labels::label past{"ru-dsp", {{"embargo", "1000000000000"}}};    // 2001
  ASSERT_TRUE(p->send(wire::data{labelled(*p, 1, "held", future)}));
  ASSERT_TRUE(p->send(wire::data{labelled(*p, 2, "lifted", past)}));
  ASSERT_TRUE(p->receipt_for("navy", 2));
  auto refused = world_.on_io([&] { return world_.runtime().evidence("held"); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::conflict);
  EXPECT_NE(refused.error().message.find("embargo until 2100-01-01T00:00:00Z"), std::string::npos)
      << refused.error().message;
  auto exported = world_.on_io([&] { return world_.runtime().evidence("lifted"); });
  ASSERT_TRUE(exported) << exported.error().message;
  EXPECT_EQ(exported->msg.label, past);
}

}  // namespace
}  // namespace hotline::test
