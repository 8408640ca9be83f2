// Clearances through the API, the route matrix's other dimension: a caller below a message's
// marking sees that the message exists (its envelope and label) but reads nothing of it through
// any route of the route table that names a message, for every role the table admits, by token
// or by session, nor through the event stream; it cannot acknowledge, translate, review or
// export it, nor post above its own clearance. Raising the clearance shows the same routes give
// the content, so that each check can fail.
#include <gtest/gtest.h>

#include <string>

#include "accounts_fixture.hpp"
#include "api/router.hpp"
#include "ws_client.hpp"

namespace hotline::testing {
namespace {

constexpr const char* secret_text = "Carrier group SOVEREIGN turns north at 0400Z";
constexpr const char* public_text = "Exercise MERIDIAN begins 0600Z";
constexpr const char* station = "rok-fleet-command";
// A stored token cleared to the ceiling, beside the fixture's tokens, which hold the lowest.
constexpr const char* cleared_token = "hl_cleared-reader-secret";

labels::marking_def marking(std::string id, std::string scheme, int rank, std::string lang,
                            std::string name) {
  return {std::move(id), std::move(scheme), rank, {{std::move(lang), std::move(name)}}};
}

// Two sides, two markings each under the ceiling, paired.
labels::policy two_sided_policy() {
  labels::policy p;
  p.schemes = {{"rok", "ko", {station}, {"rok-unclassified", "rok-restricted"}, "rok-restricted",
                "rok-unclassified", {}},
               {"ru", "ru", {"ru-pacific-fleet"}, {"ru-unclassified", "ru-dsp"}, "ru-dsp",
                "ru-unclassified", {}}};
  p.markings = {marking("rok-unclassified", "rok", 0, "ko", "일반"),
                marking("rok-restricted", "rok", 1, "ko", "대외비"),
                marking("ru-unclassified", "ru", 0, "ru", "несекретно"),
                marking("ru-dsp", "ru", 1, "ru", "для служебного пользования")};
  p.equivalences = {{"rok-unclassified", "ru-unclassified"}, {"rok-restricted", "ru-dsp"}};
  return p;
}

class clearance_test : public accounts_server_test {
 protected:
  void SetUp() override {
    accounts_server_test::SetUp();
    if (HasFatalFailure()) return;
    const std::string hash = storage::hash_password(officer_password).value();
    std::tie(restricted_id_, public_id_) = on_io([this, &hash] {
      for (const auto& [name, r] : {std::pair{"translator-lee", "translator"},
                                    {"supervisor-park", "supervisor"},
                                    {"admin-choi", "admin"}}) {
        storage::user u;
        u.name = name;
        u.role = r;
        u.language = "en";
        u.password_hash = hash;
        u.created_at_ms = clock_start_ms;
        EXPECT_TRUE(accounts_->add_user(u)) << name;
      }
      storage::stored_token t;
      t.name = "cleared-reader";
      t.role = "auditor";
      t.sha256_hex = config::sha256_hex(cleared_token);
      t.created_at_ms = clock_start_ms;
      t.created_by = "os:test";
      t.clearance = "rok-restricted";
      EXPECT_TRUE(accounts_->add_token(t));
      service_.policy = two_sided_policy();
      service_.station = station;
      const auto restricted = service_.receive("navy", secret_text, {"ru-dsp", {}});
      const auto unrestricted = service_.receive("navy", public_text, {"ru-unclassified", {}});
      return std::pair{restricted.msg.id, unrestricted.msg.id};
    });
  }

  static const char* user_of(api::role r) {
    switch (r) {
      case api::role::duty_officer: return "officer-kim";
      case api::role::translator: return "translator-lee";
      case api::role::supervisor: return "supervisor-park";
      case api::role::auditor: return "auditor-rok";
      case api::role::admin: return "admin-choi";
    }
    return "";
  }

  static const char* token_of(api::role r) {
    switch (r) {
      case api::role::duty_officer: return test_token;
      case api::role::translator: return translator_token;
      case api::role::supervisor: return supervisor_token;
      case api::role::auditor: return auditor_token;
      case api::role::admin: return admin_token;
    }
    return "";
  }

  static std::string body_for(api::route_id id) {
    switch (id) {
      case api::route_id::acknowledge: return R"({"answer": "Noted"})";
      case api::route_id::attach_translation: return R"({"lang": "en", "text": "Carrier"})";
      case api::route_id::review_translation: return R"({"approve": true})";
      default: return {};
    }
  }

  // `pattern` with {id} as the restricted message and {tid} as 1.
  std::string target_of(std::string_view pattern) const {
    std::string out(pattern);
    if (auto at = out.find("{id}"); at != std::string::npos) out.replace(at, 4, restricted_id_);
    if (auto at = out.find("{tid}"); at != std::string::npos) out.replace(at, 5, "1");
    return out;
  }

  std::string restricted_id_;
  std::string public_id_;
};

bool is_content_route(api::route_id id) {
  return id == api::route_id::acknowledge || id == api::route_id::list_translations ||
         id == api::route_id::attach_translation || id == api::route_id::review_translation ||
         id == api::route_id::evidence;
}

TEST_F(clearance_test, no_route_gives_a_caller_below_the_marking_the_content) {
  client c(port());
  std::size_t walked = 0;
  for (const api::route_spec& spec : api::route_table()) {
    const bool about_messages = spec.pattern.find("{id}") != std::string_view::npos ||
                                spec.id == api::route_id::list_messages;
    if (!about_messages) continue;
    for (const api::role r : {api::role::duty_officer, api::role::translator,
                              api::role::supervisor, api::role::auditor, api::role::admin}) {
      if (!api::allowed(spec.id, r)) continue;
      advance_ms(api::login_window_ms);
      const browser_session s = sign_in(c, user_of(r));
      for (const bool by_token : {true, false}) {
        const std::string cell = std::string(http::to_string(spec.method)) + " " +
                                 std::string(spec.pattern) + " as " +
                                 std::string(api::to_string(r)) + (by_token ? " by token" : " by session");
        const std::string target = target_of(spec.pattern);
        const response res =
            by_token ? c.request(spec.method, target, body_for(spec.id), token_of(r))
                     : send(c, spec.method, target, body_for(spec.id), with_session(s));
        ++walked;
        EXPECT_EQ(res.body().find("SOVEREIGN"), std::string::npos) << cell << ": " << res.body();
        const api::json j = body_json(res);
        if (is_content_route(spec.id)) {
          EXPECT_EQ(res.result(), http::status::forbidden) << cell << ": " << res.body();
          EXPECT_EQ(j["error"].value("code", ""), "refused") << cell;
          EXPECT_EQ(j["error"].value("field", ""), "label") << cell;
          EXPECT_NE(j["error"].value("message", "").find("대외비"), std::string::npos) << cell;
        } else if (spec.id == api::route_id::get_message) {
          ASSERT_EQ(res.result(), http::status::ok) << cell << ": " << res.body();
          EXPECT_TRUE(j["redacted"].get<bool>()) << cell;
          EXPECT_FALSE(j.contains("text")) << cell;
          EXPECT_EQ(j["label"]["local_marking"], "rok-restricted") << cell;
        } else if (spec.id == api::route_id::list_messages) {
          ASSERT_EQ(res.result(), http::status::ok) << cell << ": " << res.body();
          std::size_t seen = 0;
          for (const auto& m : j["messages"]) {
            const bool restricted = m["id"] == restricted_id_;
            EXPECT_EQ(m["redacted"].get<bool>(), restricted) << cell;
            if (!restricted) {
              EXPECT_EQ(m.value("text", ""), public_text) << cell;
            }
            ++seen;
          }
          EXPECT_EQ(seen, 2u) << cell;
        } else {
          ADD_FAILURE() << cell << ": a message route this test does not know; say what a "
                                   "caller below the marking gets from it";
        }
      }
    }
  }
  EXPECT_GT(walked, 20u);
  // Nothing reached the station: no acknowledgement was sent, no evidence gathered.
  EXPECT_EQ(on_io([this] { return service_.acknowledge_calls + service_.evidence_calls; }), 0u);
}

TEST_F(clearance_test, the_same_routes_give_the_content_once_the_clearance_is_raised) {
  client c(port());
  ASSERT_TRUE(on_io([this] { return accounts_->set_clearance("officer-kim", "rok-restricted"); }));
  const browser_session s = sign_in(c, "officer-kim");
  const response got = send(c, http::verb::get, "/api/v1/messages/" + restricted_id_, {},
                            with_session(s));
  ASSERT_EQ(got.result(), http::status::ok) << got.body();
  EXPECT_FALSE(body_json(got)["redacted"].get<bool>());
  EXPECT_EQ(body_json(got).value("text", ""), secret_text);
  const response acked = send(c, http::verb::post, "/api/v1/messages/" + restricted_id_ + "/ack",
                              R"({"answer": "Noted"})", with_session(s));
  EXPECT_EQ(acked.result(), http::status::ok) << acked.body();
  EXPECT_EQ(on_io([this] { return service_.acknowledge_calls; }), 1u);
  // The stored token cleared to the ceiling reads it; the fixture's, at the lowest, does not.
  const response by_cleared = c.request(http::verb::get, "/api/v1/messages/" + restricted_id_, {},
                                        cleared_token);
  EXPECT_EQ(body_json(by_cleared).value("text", ""), secret_text) << by_cleared.body();
  const response evidence = c.request(
      http::verb::get, "/api/v1/messages/" + restricted_id_ + "/evidence", {}, cleared_token);
  EXPECT_NE(body_json(evidence)["error"].value("code", ""), "refused") << evidence.body();
  const response by_lowest =
      c.request(http::verb::get, "/api/v1/messages/" + restricted_id_, {}, test_token);
  EXPECT_TRUE(body_json(by_lowest)["redacted"].get<bool>()) << by_lowest.body();
}

TEST_F(clearance_test, nobody_posts_above_their_own_clearance) {
  client c(port());
  const auto count = [this] {
    return on_io([this] { return service_.list(storage::list_query{}).value().size(); });
  };
  const std::size_t before = count();
  const response above = c.request(
      http::verb::post, "/api/v1/messages",
      api::dump({{"channel", "navy"}, {"precedence", "routine"}, {"text", "Up"},
                 {"label", {{"marking", "rok-restricted"}, {"caveats", api::json::array()}}}}));
  EXPECT_EQ(above.result(), http::status::forbidden) << above.body();
  EXPECT_EQ(body_json(above)["error"].value("code", ""), "refused");
  EXPECT_EQ(body_json(above)["error"].value("field", ""), "label.marking");
  EXPECT_EQ(count(), before);
  // Unlabelled, a post takes the scheme's default, the lowest: within anyone's clearance.
  const response plain = c.request(
      http::verb::post, "/api/v1/messages",
      api::dump({{"channel", "navy"}, {"precedence", "routine"}, {"text", "Down"}}));
  EXPECT_EQ(plain.result(), http::status::created) << plain.body();
  EXPECT_EQ(count(), before + 1);
}

TEST_F(clearance_test, in_a_batch_only_the_message_above_the_clearance_is_refused) {
  client c(port());
  const api::json batch = api::json::array(
      {{{"channel", "navy"}, {"precedence", "routine"}, {"text", "Down"}},
       {{"channel", "navy"}, {"precedence", "routine"}, {"text", "Up"},
        {"label", {{"marking", "rok-restricted"}, {"caveats", api::json::array()}}}}});
  const response res = c.request(http::verb::post, "/api/v1/messages", api::dump(batch));
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  const api::json r = body_json(res)["results"];
  EXPECT_EQ(r[0]["status"], 201);
  EXPECT_EQ(r[1]["status"], 403);
  EXPECT_EQ(r[1]["error"]["code"], "refused");
  EXPECT_EQ(r[1]["error"]["field"], "label.marking");
}

TEST_F(clearance_test, events_carry_the_envelope_only_to_a_subscriber_below_the_marking) {
  ws_client low(port(), std::string(test_token));
  ws_client high(port(), std::string(cleared_token));
  websocket::response_type res;
  ASSERT_FALSE(low.handshake(res, "/api/v1/events"));
  ASSERT_FALSE(high.handshake(res, "/api/v1/events"));
  on_io([this] { return service_.receive("navy", secret_text, {"ru-dsp", {}}).msg.id; });
  const read_result low_read = low.read_for();
  const read_result high_read = high.read_for();
  ASSERT_TRUE(low_read.event && high_read.event);
  const api::json& lm = (*low_read.event)["message"];
  const api::json& hm = (*high_read.event)["message"];
  EXPECT_TRUE(lm["redacted"].get<bool>());
  EXPECT_FALSE(lm.contains("text"));
  EXPECT_EQ(lm["label"]["local_marking"], "rok-restricted");
  EXPECT_EQ(low_read.event->dump().find("SOVEREIGN"), std::string::npos);
  EXPECT_FALSE(hm["redacted"].get<bool>());
  EXPECT_EQ(hm.value("text", ""), secret_text);
  // A message at the lowest marking reaches both in full.
  on_io([this] { return service_.receive("navy", public_text, {"ru-unclassified", {}}).msg.id; });
  EXPECT_EQ((*low.read_for().event)["message"].value("text", ""), public_text);
  EXPECT_EQ((*high.read_for().event)["message"].value("text", ""), public_text);
}

TEST_F(clearance_test, a_changed_clearance_ends_the_sessions_event_stream) {
  client c(port());
  const browser_session s = sign_in(c, "officer-kim");
  ws_client ws(port(), std::nullopt, {{"Cookie", s.cookie}, {"Origin", "http://127.0.0.1"}});
  websocket::response_type res;
  ASSERT_FALSE(ws.handshake(res, "/api/v1/events"));
  ASSERT_TRUE(on_io([this] { return accounts_->set_clearance("officer-kim", "rok-restricted"); }));
  // The next event is judged by the old clearance no more: the stream ends instead.
  on_io([this] { return service_.receive("navy", secret_text, {"ru-dsp", {}}).msg.id; });
  const read_result r = ws.read_for();
  ASSERT_FALSE(r.timed_out);
  EXPECT_FALSE(r.event) << r.event->dump();
  EXPECT_EQ(r.close.code, websocket::close_code::policy_error);
}

TEST_F(clearance_test, the_session_says_what_its_user_is_cleared_to) {
  client c(port());
  const browser_session s = sign_in(c, "officer-kim");  // a Korean reader at the lowest
  const response who = send(c, http::verb::get, "/api/v1/session", {}, with_session(s));
  ASSERT_EQ(who.result(), http::status::ok) << who.body();
  const api::json cl = body_json(who)["user"]["clearance"];
  EXPECT_EQ(cl.value("id", ""), "rok-unclassified");
  EXPECT_EQ(cl.value("name", ""), "일반");
  ASSERT_TRUE(on_io([this] { return accounts_->set_clearance("officer-kim", "rok-restricted"); }));
  const response raised = send(c, http::verb::get, "/api/v1/session", {}, with_session(s));
  EXPECT_EQ(body_json(raised)["user"]["clearance"].value("name", ""), "대외비");
}

}  // namespace
}  // namespace hotline::testing
