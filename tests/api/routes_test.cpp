// The HTTP routes, over real sockets: auth, POST validation, listing, lookup, status, errors.
#include <gtest/gtest.h>

#include "core/limits.hpp"
#include "server_fixture.hpp"

namespace hotline::testing {
namespace {

using routes_test = server_test;

std::string post_body(const std::string& channel, const std::string& prec,
                      const std::string& text) {
  return api::dump({{"channel", channel}, {"precedence", prec}, {"text", text}});
}

void expect_error(const response& res, http::status status, const std::string& code,
                  const std::string& field = {}) {
  EXPECT_EQ(res.result(), status) << res.body();
  const auto j = body_json(res);
  ASSERT_TRUE(j.contains("error")) << res.body();
  EXPECT_EQ(j["error"]["code"], code) << res.body();
  EXPECT_TRUE(j["error"]["message"].is_string());
  if (!field.empty()) {
    EXPECT_EQ(j["error"].value("field", ""), field) << res.body();
  }
}

TEST_F(routes_test, healthz_needs_no_token) {
  client c(port());
  const auto res = c.request(http::verb::get, "/healthz", {}, std::nullopt);
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(body_json(res)["ok"], true);
}

TEST_F(routes_test, every_api_route_refuses_a_missing_or_wrong_token) {
  const std::pair<http::verb, std::string> routes[] = {
      {http::verb::get, "/api/v1/messages"},       {http::verb::post, "/api/v1/messages"},
      {http::verb::get, "/api/v1/messages/msg-1"}, {http::verb::get, "/api/v1/status"},
      {http::verb::get, "/api/v1/events"},         {http::verb::get, "/api/v1/nowhere"}};
  client c(port());
  for (const auto& [verb, target] : routes) {
    for (const std::optional<std::string>& token :
         {std::optional<std::string>{}, std::optional<std::string>{"hl_wrong"},
          std::optional<std::string>{""}}) {
      const auto res = c.request(verb, target, post_body("navy", "flash", "x"), token);
      expect_error(res, http::status::unauthorized, "unauthorized");
      EXPECT_NE(res[http::field::www_authenticate].find("Bearer"), std::string::npos);
    }
  }
  // Nothing reached the service.
  EXPECT_EQ(service_.on_io([this] { return service_.list({}).value().size(); }), 0u);
}

TEST_F(routes_test, a_second_configured_token_is_accepted_too) {
  client c(port());
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/status", {}, "hl_auditor-secret").result(),
            http::status::ok);
}

TEST_F(routes_test, every_response_has_the_security_headers) {
  client c(port());
  for (const auto& res :
       {c.request(http::verb::get, "/healthz"), c.request(http::verb::get, "/api/v1/status"),
        c.request(http::verb::get, "/api/v1/messages/none"),
        c.request(http::verb::get, "/api/v1/status", {}, std::nullopt)}) {
    EXPECT_EQ(res[http::field::cache_control], "no-store");
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(res["Content-Security-Policy"], "default-src 'none'");
    EXPECT_EQ(res[http::field::content_type], "application/json");
  }
}

TEST_F(routes_test, post_creates_a_message_and_get_returns_it) {
  client c(port());
  const auto res =
      c.request(http::verb::post, "/api/v1/messages", post_body("navy", "flash", "Launch 0312"));
  ASSERT_EQ(res.result(), http::status::created) << res.body();
  const auto created = body_json(res);
  EXPECT_EQ(created["channel"], "navy");
  EXPECT_EQ(created["precedence"], "flash");
  EXPECT_EQ(created["text"], "Launch 0312");
  EXPECT_EQ(created["box"], "out");
  EXPECT_EQ(created["status"], "queued");
  EXPECT_TRUE(created["seq"].is_null());
  const std::string id = created["id"];
  const auto got = c.request(http::verb::get, "/api/v1/messages/" + id);
  ASSERT_EQ(got.result(), http::status::ok);
  EXPECT_EQ(body_json(got), created);
}

TEST_F(routes_test, get_of_an_unknown_id_is_404) {
  client c(port());
  expect_error(c.request(http::verb::get, "/api/v1/messages/no-such-id"), http::status::not_found,
               "not_found");
}

TEST_F(routes_test, post_validation_names_the_field) {
  client c(port());
  const auto post = [&](const std::string& body) {
    return c.request(http::verb::post, "/api/v1/messages", body);
  };
  expect_error(post(R"({"precedence":"flash","text":"x"})"), http::status::bad_request,
               "invalid_argument", "channel");
  expect_error(post(post_body("navy", "urgent", "x")), http::status::bad_request,
               "invalid_argument", "precedence");
  expect_error(post(post_body("navy", "flash", "")), http::status::bad_request, "invalid_argument",
               "text");
  expect_error(post(R"({"channel":"navy","precedence":"flash","text":"x","prio":1})"),
               http::status::bad_request, "invalid_argument", "prio");
  expect_error(
      post(post_body("navy", "flash", std::string(limits::message_body_bytes_max + 1, 'a'))),
      http::status::payload_too_large, "limit", "text");
  // The service's own refusal keeps its field too.
  expect_error(post(post_body("army", "flash", "x")), http::status::bad_request, "invalid_argument",
               "channel");
}

TEST_F(routes_test, malformed_json_is_400_with_the_position) {
  client c(port());
  const auto res = c.request(http::verb::post, "/api/v1/messages", R"({"channel": "navy",)");
  expect_error(res, http::status::bad_request, "invalid_argument");
  EXPECT_NE(body_json(res)["error"]["message"].get<std::string>().find("at byte"),
            std::string::npos);
}

TEST_F(routes_test, wrong_content_type_is_415) {
  client c(port());
  expect_error(c.request(http::verb::post, "/api/v1/messages", post_body("navy", "flash", "x"),
                         test_token, "text/plain"),
               http::status::unsupported_media_type, "unsupported_media_type");
  const auto ok = c.request(http::verb::post, "/api/v1/messages", post_body("navy", "flash", "x"),
                            test_token, "application/json; charset=utf-8");
  EXPECT_EQ(ok.result(), http::status::created);
}

TEST_F(routes_test, a_full_disk_is_503_with_the_reason) {
  service_.on_io([this] {
    service_.next_post_error = error{errc::io, "database or disk is full", {}};
    return 0;
  });
  client c(port());
  const auto res = c.request(http::verb::post, "/api/v1/messages", post_body("navy", "flash", "x"));
  expect_error(res, http::status::service_unavailable, "io");
  EXPECT_EQ(body_json(res)["error"]["message"],
            "the station could not store the message: database or disk is full");
}

// A batch: one result per message at its index; a message that fails does not stop the others.
TEST_F(routes_test, a_batch_posts_each_message_and_answers_each_at_its_index) {
  client c(port());
  const api::json batch = api::json::array(
      {api::json::parse(post_body("navy", "flash", "one")),
       api::json::parse(post_body("navy", "urgent", "two")),      // the shape is refused
       api::json::parse(post_body("navy", "routine", "three")),
       api::json::parse(post_body("army", "routine", "four")),    // the station refuses it
       "five",                                                    // not an object
       api::json::parse(post_body("air", "priority", "six"))});
  const auto res = c.request(http::verb::post, "/api/v1/messages", api::dump(batch));
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  const auto j = body_json(res);
  EXPECT_EQ(j["created"], 3);
  EXPECT_EQ(j["failed"], 3);
  const auto& r = j["results"];
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0]["status"], 201);
  EXPECT_EQ(r[0]["message"]["text"], "one");
  EXPECT_EQ(r[1]["status"], 400);
  EXPECT_EQ(r[1]["error"]["field"], "precedence");
  EXPECT_EQ(r[2]["message"]["text"], "three");
  EXPECT_EQ(r[3]["status"], 400);
  EXPECT_EQ(r[3]["error"]["field"], "channel");
  EXPECT_EQ(r[4]["status"], 400);
  EXPECT_EQ(r[4]["error"]["code"], "invalid_argument");
  EXPECT_EQ(r[5]["message"]["channel"], "air");
  // What the answer says was stored is what the station holds, in the batch's order.
  const auto listed = body_json(c.request(http::verb::get, "/api/v1/messages"))["messages"];
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["id"], r[0]["message"]["id"]);
  EXPECT_EQ(listed[1]["id"], r[2]["message"]["id"]);
  EXPECT_EQ(listed[2]["id"], r[5]["message"]["id"]);
}

TEST_F(routes_test, a_batch_is_refused_whole_only_for_its_json_or_its_size) {
  client c(port());
  const auto post = [&](const std::string& body) {
    return c.request(http::verb::post, "/api/v1/messages", body);
  };
  expect_error(post("[]"), http::status::bad_request, "invalid_argument");
  expect_error(post(R"([{"channel": "navy",)"), http::status::bad_request, "invalid_argument");
  api::json many = api::json::array();
  for (std::size_t i = 0; i <= api::post_batch_messages_max; ++i) {
    many.push_back({{"channel", "navy"}, {"precedence", "routine"}, {"text", "x"}});
  }
  const auto over = post(api::dump(many));
  expect_error(over, http::status::bad_request, "invalid_argument");
  EXPECT_NE(body_json(over)["error"]["message"].get<std::string>().find("1 to 1000"),
            std::string::npos);
  EXPECT_EQ(body_json(c.request(http::verb::get, "/api/v1/messages"))["messages"].size(), 0u);
}

TEST_F(routes_test, a_full_disk_fails_the_messages_it_reaches_with_the_reason) {
  service_.on_io([this] {
    service_.next_post_error = error{errc::io, "database or disk is full", {}};
    return 0;
  });
  client c(port());
  const auto res = c.request(
      http::verb::post, "/api/v1/messages",
      "[" + post_body("navy", "flash", "a") + "," + post_body("navy", "flash", "b") + "]");
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  const auto r = body_json(res)["results"];
  EXPECT_EQ(r[0]["status"], 503);
  EXPECT_EQ(r[0]["error"]["message"], "the station could not store the message: database or disk is full");
  EXPECT_EQ(r[1]["status"], 201);
}

TEST_F(routes_test, a_batch_with_an_idempotency_key_keys_each_message_by_its_index) {
  client c(port());
  auto req = client::make(http::verb::post, "/api/v1/messages",
                          "[" + post_body("navy", "flash", "a") + "," +
                              post_body("navy", "flash", "b") + "]",
                          test_token, "application/json");
  req.set("Idempotency-Key", "feed-42");
  c.write(req);
  ASSERT_EQ(c.read().result(), http::status::ok);
  req.set("Idempotency-Key", "single-7");
  req.body() = post_body("navy", "flash", "c");
  req.prepare_payload();
  c.write(req);
  ASSERT_EQ(c.read().result(), http::status::created);
  EXPECT_EQ(service_.on_io([this] { return service_.idempotency_keys; }),
            (std::vector<std::string>{"feed-42#0", "feed-42#1", "single-7"}));
}

TEST_F(routes_test, list_pages_with_cursors_and_filters) {
  service_.on_io([this] {
    for (int i = 0; i < 5; ++i) service_.receive("navy", "in " + std::to_string(i));
    service_.receive("air", "air traffic");
    return 0;
  });
  client c(port());
  auto page =
      body_json(c.request(http::verb::get, "/api/v1/messages?box=in&channel=navy&limit=2&after=0"));
  ASSERT_EQ(page["messages"].size(), 2u);
  EXPECT_EQ(page["messages"][0]["text"], "in 0");
  EXPECT_EQ(page["next_after"], page["messages"][1]["cursor"]);
  std::vector<std::string> texts;
  for (int guard = 0; guard < 10 && !page["messages"].empty(); ++guard) {
    for (const auto& m : page["messages"]) texts.push_back(m["text"]);
    page =
        body_json(c.request(http::verb::get, "/api/v1/messages?box=in&channel=navy&limit=2&after=" +
                                                 std::to_string(page["next_after"].get<int>())));
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"in 0", "in 1", "in 2", "in 3", "in 4"}));
  // An empty page hands back the cursor it was given, so a poller can keep polling.
  EXPECT_EQ(page["next_after"], 5);
  const auto out = body_json(c.request(http::verb::get, "/api/v1/messages?box=out"));
  EXPECT_TRUE(out["messages"].empty());
}

TEST_F(routes_test, list_parameters_are_checked_and_limit_is_clamped) {
  client c(port());
  expect_error(c.request(http::verb::get, "/api/v1/messages?box=sideways"),
               http::status::bad_request, "invalid_argument", "box");
  expect_error(c.request(http::verb::get, "/api/v1/messages?after=-1"), http::status::bad_request,
               "invalid_argument", "after");
  expect_error(c.request(http::verb::get, "/api/v1/messages?limit=ten"), http::status::bad_request,
               "invalid_argument", "limit");
  expect_error(c.request(http::verb::get, "/api/v1/messages?colour=red"), http::status::bad_request,
               "invalid_argument", "colour");
  const auto limit_seen = [&](const std::string& query) {
    EXPECT_EQ(c.request(http::verb::get, "/api/v1/messages" + query).result(), http::status::ok);
    return service_.on_io([this] { return service_.last_limit; });
  };
  EXPECT_EQ(limit_seen(""), limits::list_limit_default);
  EXPECT_EQ(limit_seen("?limit=0"), 1u);
  EXPECT_EQ(limit_seen("?limit=1000000"), limits::list_limit_max);
  EXPECT_EQ(limit_seen("?limit=7"), 7u);
}

TEST_F(routes_test, status_has_the_documented_shape) {
  client c(port());
  const auto j = body_json(c.request(http::verb::get, "/api/v1/status"));
  EXPECT_EQ(j["station"], "rok-fleet-command");
  EXPECT_EQ(j["station_name"], "ROK Fleet Command");
  EXPECT_EQ(j["agreement"], "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(j["started_at"], "2026-11-18T11:06:40.000Z");
  ASSERT_EQ(j["channels"].size(), 1u);
  const auto& ch = j["channels"][0];
  for (const char* key :
       {"channel", "peer", "link_up", "active_path", "rtt_ms", "last_heard_ms_ago", "queued",
        "unacked", "out_acked", "out_next_seq", "in_next_expected", "paths"}) {
    EXPECT_TRUE(ch.contains(key)) << key;
  }
  EXPECT_EQ(ch["rtt_ms"], 42);
  EXPECT_EQ(ch["last_heard_ms_ago"], 120);
  EXPECT_EQ(ch["queued"], 3);
  ASSERT_EQ(ch["paths"].size(), 2u);
  EXPECT_EQ(ch["paths"][0],
            (api::json{{"path", "satellite"}, {"up", true}, {"active", true}, {"rtt_ms", 42}}));
  EXPECT_TRUE(ch["paths"][1]["rtt_ms"].is_null());
}

TEST_F(routes_test, unknown_routes_are_404_and_wrong_methods_405) {
  client c(port());
  expect_error(c.request(http::verb::get, "/api/v1/nothing"), http::status::not_found, "not_found");
  const auto del = c.request(http::verb::delete_, "/api/v1/messages");
  expect_error(del, http::status::method_not_allowed, "method_not_allowed");
  EXPECT_EQ(del[http::field::allow], "GET, POST");
  expect_error(c.request(http::verb::post, "/api/v1/status", "{}"),
               http::status::method_not_allowed, "method_not_allowed");
  expect_error(c.request(http::verb::put, "/api/v1/messages/x", "{}"),
               http::status::method_not_allowed, "method_not_allowed");
  expect_error(c.request(http::verb::post, "/healthz", "{}"), http::status::method_not_allowed,
               "method_not_allowed");
}

}  // namespace
}  // namespace hotline::testing
