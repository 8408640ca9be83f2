// Roles, cookie parsing, refusals by role over real sockets, and the origin check on cookie
// WebSockets. The route table itself is tested in router_test.cpp and route_matrix_test.cpp.
#include "api/access.hpp"

#include <gtest/gtest.h>

#include <boost/beast/websocket.hpp>

#include "accounts_fixture.hpp"

namespace hotline::testing {
namespace {

namespace websocket = beast::websocket;
using api::role;
using access_test = accounts_server_test;

std::string post_body() {
  return api::dump({{"channel", "navy"}, {"precedence", "flash"}, {"text", "Launch 0312Z"}});
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
