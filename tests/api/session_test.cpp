// Signing in and out over real sockets: the cookie, CSRF, idle and absolute expiry, the lockout
// per user and address, rate limiting, the interface language and the audit log.
#include <gtest/gtest.h>

#include "accounts_fixture.hpp"

namespace hotline::testing {
namespace {

using session_test = accounts_server_test;

std::string post_body(const std::string& text = "Exercise area ALPHA closed") {
  return api::dump({{"channel", "navy"}, {"precedence", "flash"}, {"text", text}});
}

TEST_F(session_test, sign_in_sets_an_httponly_strict_cookie_and_answers_who_and_csrf) {
  client c(port());
  const auto res =
      send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", officer_password));
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  const std::string cookie(res[http::field::set_cookie]);
  EXPECT_TRUE(cookie.starts_with("hotline_session=hl_")) << cookie;
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: no Secure flag";
  const auto j = body_json(res);
  // No labels in this station's agreement: no clearance to name.
  EXPECT_EQ(j["user"], (api::json{{"name", "officer-kim"},
                                  {"role", "duty-officer"},
                                  {"language", "ko"},
                                  {"clearance", nullptr}}));
  EXPECT_GE(j["csrf_token"].get<std::string>().size(), 40u);

  // Only the SHA-256 of the secret is stored.
  const std::string secret =
      cookie.substr(cookie.find('=') + 1, cookie.find(';') - cookie.find('=') - 1);
  EXPECT_TRUE(
      on_io([&] { return accounts_->find_session(config::sha256_hex(secret))->has_value(); }));
  EXPECT_FALSE(on_io([&] { return accounts_->find_session(secret)->has_value(); }));
  EXPECT_EQ(audit_count("login"), 1u);
}

TEST_F(session_test, the_cookie_authenticates_reads_and_who_am_i) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s, false)).result(),
            http::status::ok);
  const auto me = send(c, http::verb::get, "/api/v1/session", {}, with_session(s, false));
  ASSERT_EQ(me.result(), http::status::ok) << me.body();
  EXPECT_EQ(body_json(me)["user"]["name"], "officer-kim");
  EXPECT_EQ(body_json(me)["via"], "session");
  EXPECT_EQ(body_json(me)["csrf_token"], s.csrf);
  const auto bogus = send(c, http::verb::get, "/api/v1/status", {},
                          {{"Cookie", "hotline_session=hl_not-a-session"}});
  EXPECT_EQ(bogus.result(), http::status::unauthorized);
  // The dead cookie is removed so the console shows its sign-in page.
  EXPECT_NE(std::string(bogus[http::field::set_cookie]).find("Max-Age=0"), std::string::npos);
}

TEST_F(session_test, wrong_password_and_unknown_user_are_both_401_and_audited) {
  client c(port());
  for (const auto& [user, pass] : {std::pair{"officer-kim", "wrong-passphrase!"},
                                   std::pair{"nobody-here", officer_password}}) {
    const auto res = send(c, http::verb::post, "/api/v1/session", login_body(user, pass));
    EXPECT_EQ(res.result(), http::status::unauthorized) << res.body();
    EXPECT_EQ(body_json(res)["error"]["message"], "wrong user name or password");
    EXPECT_TRUE(res[http::field::set_cookie].empty());
  }
  const auto entries = audit();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].actor, "officer-kim");
  EXPECT_EQ(entries[0].action, "login_failed");
  EXPECT_EQ(entries[1].action, "login_failed");
  // The audit log never holds a password.
  for (const auto& e : entries) EXPECT_EQ(e.detail.find("passphrase"), std::string::npos);
}

TEST_F(session_test, a_cookie_request_that_changes_something_needs_the_csrf_token) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  auto no_token =
      send(c, http::verb::post, "/api/v1/messages", post_body(), with_session(s, false));
  EXPECT_EQ(no_token.result(), http::status::forbidden);
  EXPECT_EQ(body_json(no_token)["error"]["code"], "csrf");
  header_map wrong = with_session(s);
  wrong["X-CSRF-Token"] = s.csrf + "x";
  EXPECT_EQ(
      body_json(send(c, http::verb::post, "/api/v1/messages", post_body(), wrong))["error"]["code"],
      "csrf");
  EXPECT_EQ(on_io([&] { return service_.list({}).value().size(); }), 0u);
  EXPECT_EQ(send(c, http::verb::post, "/api/v1/messages", post_body(), with_session(s)).result(),
            http::status::created);
  // A bearer token uses no cookie and needs no CSRF token.
  EXPECT_EQ(c.request(http::verb::post, "/api/v1/messages", post_body()).result(),
            http::status::created);
}

TEST_F(session_test, sign_out_ends_the_session_and_clears_the_cookie) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  EXPECT_EQ(send(c, http::verb::delete_, "/api/v1/session", {}, with_session(s, false)).result(),
            http::status::forbidden);  // CSRF applies to signing out too
  const auto out = send(c, http::verb::delete_, "/api/v1/session", {}, with_session(s));
  EXPECT_EQ(out.result(), http::status::no_content);
  EXPECT_NE(std::string(out[http::field::set_cookie]).find("hotline_session=; Max-Age=0"),
            std::string::npos);
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
            http::status::unauthorized);
  EXPECT_EQ(audit_count("logout"), 1u);
  EXPECT_EQ(c.request(http::verb::delete_, "/api/v1/session").result(), http::status::conflict);
}

TEST_F(session_test, a_session_ends_after_fifteen_idle_minutes) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  advance_ms(api::session_idle_timeout_ms - 1);
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
            http::status::ok);  // in use again: the idle clock restarts
  advance_ms(api::session_idle_timeout_ms - 1);
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
            http::status::ok);
  advance_ms(api::session_idle_timeout_ms);
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
            http::status::unauthorized);
}

TEST_F(session_test, a_session_ends_after_twelve_hours_however_busy) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  std::int64_t elapsed = 0;
  for (; elapsed + 10 * 60'000 < api::session_lifetime_ms; elapsed += 10 * 60'000) {
    advance_ms(10 * 60'000);
    ASSERT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
              http::status::ok)
        << "after " << elapsed << " ms";
  }
  advance_ms(api::session_lifetime_ms - elapsed);
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
            http::status::unauthorized);
}

// One sign-in attempt on a fresh connection from `source`, another loopback address (Linux
// routes all of 127.0.0.0/8 to the loopback interface).
response sign_in_from(const std::string& source, std::uint16_t port, const std::string& user,
                      const std::string& password) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(asio::ip::make_address(source), 0));
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  auto req = client::make(http::verb::post, "/api/v1/session", login_body(user, password),
                          std::nullopt, "application/json");
  http::write(socket, req);
  beast::flat_buffer buffer;
  response res;
  http::read(socket, buffer, res);
  return res;
}

// Everything a client can see of a response: status, headers and body.
std::vector<std::string> seen(const response& res) {
  std::vector<std::string> out{std::to_string(res.result_int()), res.body()};
  for (const auto& field : res) {
    out.push_back(std::string(field.name_string()) + ": " + std::string(field.value()));
  }
  return out;
}

TEST_F(session_test, five_wrong_passwords_lock_the_user_out_from_that_address_only) {
  client c(port());
  const auto wrong = [&] {
    return send(c, http::verb::post, "/api/v1/session",
                login_body("officer-kim", "not-the-passphrase"));
  };
  const auto right = [&] {
    return send(c, http::verb::post, "/api/v1/session",
                login_body("officer-kim", officer_password));
  };
  const auto first = wrong();
  ASSERT_EQ(first.result(), http::status::unauthorized);
  for (int i = 2; i < api::login_failures_max; ++i) ASSERT_EQ(seen(wrong()), seen(first));
  EXPECT_EQ(audit_count("locked_out"), 0u);
  // The fifth locks, and neither it nor the refusals after it look any different from a wrong
  // password: nothing tells an attacker that the name exists or that it has been locked out.
  EXPECT_EQ(seen(wrong()), seen(first));
  EXPECT_EQ(audit_count("locked_out"), 1u);
  EXPECT_EQ(seen(right()), seen(first));
  // The user signs in from any other machine.
  EXPECT_EQ(sign_in_from("127.0.0.2", port(), "officer-kim", officer_password).result(),
            http::status::ok);
  advance_ms(api::login_lockout_ms - 1);
  EXPECT_EQ(seen(right()), seen(first));
  advance_ms(1);
  EXPECT_EQ(right().result(), http::status::ok);
}

TEST_F(session_test, four_wrong_passwords_then_the_right_one_sign_in_and_start_the_count_again) {
  client c(port());
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i < api::login_failures_max; ++i) {
      ASSERT_EQ(send(c, http::verb::post, "/api/v1/session",
                     login_body("officer-kim", "not-the-passphrase"))
                    .result(),
                http::status::unauthorized);
    }
    EXPECT_EQ(
        send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", officer_password))
            .result(),
        http::status::ok)
        << "round " << round;
  }
  EXPECT_EQ(audit_count("locked_out"), 0u);
}

TEST_F(session_test, a_new_password_lifts_the_lock) {
  client c(port());
  for (int i = 0; i < api::login_failures_max; ++i) {
    send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", "not-the-passphrase"));
  }
  ASSERT_EQ(audit_count("locked_out"), 1u);
  const std::string next = "a-new-watch-passphrase";
  const std::string hash = storage::hash_password(next).value();
  ASSERT_TRUE(on_io([&] { return accounts_->set_password_hash("officer-kim", hash).has_value(); }));
  EXPECT_EQ(send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", next)).result(),
            http::status::ok);
}

TEST_F(session_test, more_than_ten_attempts_a_minute_from_one_address_are_429) {
  client c(port());
  for (std::size_t i = 0; i < api::login_attempts_per_window_max; ++i) {
    const auto name = "stranger-" + std::to_string(i);
    ASSERT_EQ(send(c, http::verb::post, "/api/v1/session", login_body(name, "whatever-passphrase"))
                  .result(),
              http::status::unauthorized);
  }
  advance_ms(1'000);
  const auto refused =
      send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", officer_password));
  EXPECT_EQ(refused.result(), http::status::too_many_requests);
  EXPECT_EQ(refused[http::field::retry_after], "59");
  EXPECT_EQ(audit_count("login_rate_limited"), 1u);
  advance_ms(api::login_window_ms);
  EXPECT_EQ(
      send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", officer_password))
          .result(),
      http::status::ok);
}

TEST_F(session_test, a_disabled_user_cannot_sign_in_and_loses_its_sessions) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  ASSERT_TRUE(on_io([&] { return accounts_->set_disabled("officer-kim", true).has_value(); }));
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/status", {}, with_session(s)).result(),
            http::status::unauthorized);
  const auto res =
      send(c, http::verb::post, "/api/v1/session", login_body("officer-kim", officer_password));
  EXPECT_EQ(res.result(), http::status::forbidden);
  EXPECT_EQ(body_json(res)["error"]["code"], "disabled");
}

TEST_F(session_test, the_user_sets_its_interface_language) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  const auto res =
      send(c, http::verb::patch, "/api/v1/me", R"({"language":"ru"})", with_session(s));
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(body_json(res)["user"]["language"], "ru");
  EXPECT_EQ(body_json(send(c, http::verb::get, "/api/v1/session", {},
                           with_session(s)))["user"]["language"],
            "ru");
  EXPECT_EQ(
      send(c, http::verb::patch, "/api/v1/me", R"({"language":"fr"})", with_session(s)).result(),
      http::status::bad_request);
  EXPECT_EQ(c.request(http::verb::patch, "/api/v1/me", R"({"language":"ru"})").result(),
            http::status::conflict);  // a token has no language
  EXPECT_EQ(audit_count("language_changed"), 1u);
}

TEST_F(session_test, malformed_sign_in_bodies_are_400_or_415) {
  client c(port());
  EXPECT_EQ(send(c, http::verb::post, "/api/v1/session", R"({"username":"officer-kim"})").result(),
            http::status::bad_request);
  EXPECT_EQ(
      send(c, http::verb::post, "/api/v1/session", R"({"username":1,"password":"x"})").result(),
      http::status::bad_request);
  EXPECT_EQ(send(c, http::verb::post, "/api/v1/session",
                 R"({"username":"a","password":"b","remember":true})")
                .result(),
            http::status::bad_request);
  auto req = client::make(http::verb::post, "/api/v1/session",
                          login_body("officer-kim", officer_password), std::nullopt, "text/plain");
  c.write(req);
  EXPECT_EQ(c.read().result(), http::status::unsupported_media_type);
}

TEST_F(session_test, the_audit_log_is_readable_by_overseers_only) {
  client c(port());
  sign_in(c, "officer-kim");
  const auto res = c.request(http::verb::get, "/api/v1/audit?after=0&limit=10", {}, auditor_token);
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  const auto j = body_json(res);
  ASSERT_EQ(j["entries"].size(), 1u);
  EXPECT_EQ(j["entries"][0]["action"], "login");
  EXPECT_EQ(j["entries"][0]["actor"], "officer-kim");
  EXPECT_EQ(j["next_after"], j["entries"][0]["id"]);
  for (const char* token : {admin_token, supervisor_token}) {
    EXPECT_EQ(c.request(http::verb::get, "/api/v1/audit", {}, token).result(), http::status::ok);
  }
  for (const char* token : {test_token, translator_token}) {
    const auto refused = c.request(http::verb::get, "/api/v1/audit", {}, token);
    EXPECT_EQ(refused.result(), http::status::forbidden);
    EXPECT_EQ(body_json(refused)["error"]["code"], "forbidden");
  }
  EXPECT_EQ(c.request(http::verb::get, "/api/v1/audit?limit=x", {}, auditor_token).result(),
            http::status::bad_request);
}

}  // namespace
}  // namespace hotline::testing
