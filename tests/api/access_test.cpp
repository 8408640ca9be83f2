// Roles and the permission table, cookie parsing, and the origin check on cookie WebSockets.
#include "api/access.hpp"

#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>

#include "accounts_fixture.hpp"

namespace hotline::testing {
namespace {

namespace websocket = beast::websocket;
using api::permission;
using api::role;
using access_test = accounts_server_test;

std::string post_body() {
  return api::dump({{"channel", "navy"}, {"precedence", "flash"}, {"text", "Launch 0312Z"}});
}

TEST(permission_table, only_duty_officers_and_supervisors_send) {
  using http::verb;
  EXPECT_EQ(api::check_permission(role::duty_officer, verb::post, "/api/v1/messages").verdict,
            permission::allowed);
  EXPECT_EQ(api::check_permission(role::supervisor, verb::post, "/api/v1/messages").verdict,
            permission::allowed);
  for (const role r : {role::auditor, role::admin, role::translator}) {
    EXPECT_EQ(api::check_permission(r, verb::post, "/api/v1/messages").verdict,
              permission::forbidden)
        << api::to_string(r);
  }
}

TEST(permission_table, only_duty_officers_and_supervisors_acknowledge) {
  const char* ack = "/api/v1/messages/m-1/ack";
  EXPECT_EQ(api::check_permission(role::duty_officer, http::verb::post, ack).verdict,
            permission::allowed);
  EXPECT_EQ(api::check_permission(role::supervisor, http::verb::post, ack).verdict,
            permission::allowed);
  for (const role r : {role::auditor, role::admin, role::translator}) {
    EXPECT_EQ(api::check_permission(r, http::verb::post, ack).verdict, permission::forbidden);
  }
}

TEST(permission_table, translators_and_supervisors_translate_and_only_supervisors_review) {
  const char* attach = "/api/v1/messages/m-1/translations";
  const char* review = "/api/v1/messages/m-1/translations/7/review";
  for (const role r : {role::translator, role::supervisor}) {
    EXPECT_EQ(api::check_permission(r, http::verb::post, attach).verdict, permission::allowed);
  }
  for (const role r : {role::duty_officer, role::auditor, role::admin}) {
    EXPECT_EQ(api::check_permission(r, http::verb::post, attach).verdict, permission::forbidden);
  }
  EXPECT_EQ(api::check_permission(role::supervisor, http::verb::post, review).verdict,
            permission::allowed);
  for (const role r : {role::duty_officer, role::translator, role::auditor, role::admin}) {
    EXPECT_EQ(api::check_permission(r, http::verb::post, review).verdict, permission::forbidden)
        << api::to_string(r);
  }
  EXPECT_EQ(api::check_permission(role::auditor, http::verb::get, attach).verdict,
            permission::allowed);
  EXPECT_EQ(api::check_permission(role::supervisor, http::verb::get, review).verdict,
            permission::wrong_method);
}

TEST(permission_table, every_role_reads_and_unlisted_reads_are_open) {
  for (const role r :
       {role::duty_officer, role::translator, role::supervisor, role::auditor, role::admin}) {
    for (const char* path : {"/api/v1/messages", "/api/v1/messages/m-1", "/api/v1/status",
                             "/api/v1/events", "/api/v1/session", "/api/v1/forms"}) {
      EXPECT_EQ(api::check_permission(r, http::verb::get, path).verdict, permission::allowed)
          << api::to_string(r) << " " << path;
    }
  }
  EXPECT_EQ(api::check_permission(role::translator, http::verb::get, "/api/v1/audit").verdict,
            permission::forbidden);
}

TEST(permission_table, an_unlisted_write_fails_closed_and_a_wrong_method_lists_the_right_ones) {
  EXPECT_EQ(api::check_permission(role::supervisor, http::verb::post, "/api/v1/messages/m-1/hide")
                .verdict,
            permission::no_route);
  const auto wrong = api::check_permission(role::admin, http::verb::delete_, "/api/v1/messages");
  EXPECT_EQ(wrong.verdict, permission::wrong_method);
  EXPECT_EQ(wrong.allow, "GET, POST");
  // "*" is one non-empty segment, no more.
  EXPECT_EQ(api::check_permission(role::admin, http::verb::put, "/api/v1/messages/").verdict,
            permission::no_route);
}

TEST(roles, parse_and_print_round_trip) {
  for (const char* name : {"duty-officer", "translator", "supervisor", "auditor", "admin"}) {
    const auto r = api::parse_role(name);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(api::to_string(*r), name);
  }
  EXPECT_FALSE(api::parse_role("root"));
}

TEST(cookies, the_session_cookie_is_found_among_others) {
  EXPECT_EQ(api::cookie_value("a=1; hotline_session=hl_x; b=2", "hotline_session"), "hl_x");
  EXPECT_EQ(api::cookie_value("hotline_session=\"hl_y\"", "hotline_session"), "hl_y");
  EXPECT_FALSE(api::cookie_value("xhotline_session=1", "hotline_session"));
  EXPECT_FALSE(api::cookie_value("", "hotline_session"));
}

TEST(cookies, the_secure_flag_follows_the_option) {
  EXPECT_EQ(api::session_cookie("s", false),
            "hotline_session=s; HttpOnly; SameSite=Strict; Path=/");
  EXPECT_EQ(api::session_cookie("s", true),
            "hotline_session=s; HttpOnly; SameSite=Strict; Path=/; Secure");
  EXPECT_EQ(api::session_cookie("", false),
            "hotline_session=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/");
}

TEST_F(access_test, an_auditor_cannot_send_by_token_or_by_session) {
  client c(port());
  for (const char* token : {auditor_token, admin_token, translator_token}) {
    const auto res = c.request(http::verb::post, "/api/v1/messages", post_body(), token);
    EXPECT_EQ(res.result(), http::status::forbidden) << token;
    EXPECT_EQ(body_json(res)["error"]["code"], "forbidden");
  }
  const auto s = sign_in(c, "auditor-rok");
  const auto res = send(c, http::verb::post, "/api/v1/messages", post_body(), with_session(s));
  EXPECT_EQ(res.result(), http::status::forbidden);
  EXPECT_EQ(body_json(res)["error"]["message"], "the auditor role may not POST /api/v1/messages");
  EXPECT_EQ(on_io([&] { return service_.list({}).value().size(); }), 0u);
  // The auditor still reads.
  EXPECT_EQ(send(c, http::verb::get, "/api/v1/messages", {}, with_session(s)).result(),
            http::status::ok);
  EXPECT_EQ(c.request(http::verb::post, "/api/v1/messages", post_body(), supervisor_token).result(),
            http::status::created);
}

TEST_F(access_test, every_api_route_refuses_a_request_without_credentials) {
  client c(port());
  const std::pair<http::verb, std::string> routes[] = {
      {http::verb::get, "/api/v1/messages"},    {http::verb::post, "/api/v1/messages"},
      {http::verb::get, "/api/v1/messages/x"},  {http::verb::get, "/api/v1/status"},
      {http::verb::get, "/api/v1/events"},      {http::verb::get, "/api/v1/session"},
      {http::verb::delete_, "/api/v1/session"}, {http::verb::patch, "/api/v1/me"},
      {http::verb::get, "/api/v1/audit"},       {http::verb::get, "/api/v1/nowhere"}};
  for (const auto& [verb, target] : routes) {
    EXPECT_EQ(send(c, verb, target, "{}").result(), http::status::unauthorized) << target;
  }
}

class ws_client {
 public:
  ws_client(std::uint16_t port, header_map headers) : ws_(ioc_) {
    beast::get_lowest_layer(ws_).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
      for (const auto& [k, v] : headers) req.set(k, v);
    }));
  }

  http::status handshake(std::uint16_t port) {
    websocket::response_type res;
    beast::error_code ec;
    ws_.handshake(res, "127.0.0.1:" + std::to_string(port), "/api/v1/events", ec);
    return res.result();
  }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
};

TEST_F(access_test, a_cookie_websocket_must_come_from_the_stations_own_origin) {
  client c(port());
  const auto s = sign_in(c, "officer-kim");
  const std::string own = "http://127.0.0.1:" + std::to_string(port());
  EXPECT_EQ(ws_client(port(), {{"Cookie", s.cookie}, {"Origin", own}}).handshake(port()),
            http::status::switching_protocols);
  EXPECT_EQ(ws_client(port(), {{"Cookie", s.cookie}, {"Origin", "http://evil.example"}})
                .handshake(port()),
            http::status::forbidden);
  EXPECT_EQ(ws_client(port(), {{"Cookie", s.cookie}}).handshake(port()), http::status::forbidden);
  EXPECT_EQ(ws_client(port(), {{"Origin", own}}).handshake(port()), http::status::unauthorized);
  // A token needs no origin: it is not something a browser sends on its own.
  EXPECT_EQ(
      ws_client(port(), {{"Authorization", std::string("Bearer ") + test_token}}).handshake(port()),
      http::status::switching_protocols);
}

}  // namespace
}  // namespace hotline::testing
