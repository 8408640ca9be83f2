// The API over HTTPS ([listen] api_tls_cert): requests and sign-in over TLS, Secure session
// cookies, the WebSocket over TLS, and refusals of plain HTTP and of old TLS versions.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "accounts_fixture.hpp"
#include "api/tls_context.hpp"
#include "test_certificate.hpp"

namespace hotline::testing {
namespace {

namespace ssl = asio::ssl;
namespace websocket = beast::websocket;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

// A client context that trusts exactly the test certificate, as `hotline --cacert` does.
ssl::context trusting(const test_certificate& cert, int max_version = 0) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.load_verify_file(cert.certificate().string());
  if (max_version != 0) SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  return ctx;
}

// Connects and completes the handshake, checking the certificate names 127.0.0.1.
beast::error_code connect(tls_stream& stream, std::uint16_t port) {
  beast::get_lowest_layer(stream).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), "127.0.0.1");
  beast::error_code ec;
  stream.handshake(ssl::stream_base::client, ec);
  return ec;
}

response exchange(tls_stream& stream, http::request<http::string_body> req) {
  http::write(stream, req);
  beast::flat_buffer buffer;
  response res;
  http::read(stream, buffer, res);
  return res;
}

class tls_test : public accounts_server_test {
 protected:
  api::server_options extra_options() override { return https_options(cert_); }

  test_certificate cert_;
};

TEST_F(tls_test, sign_in_over_tls_sets_a_secure_cookie_and_tls_1_3_is_chosen) {
  asio::io_context ioc;
  ssl::context ctx = trusting(cert_);
  tls_stream stream(ioc, ctx);
  ASSERT_FALSE(connect(stream, port()));
  EXPECT_EQ(SSL_version(stream.native_handle()), TLS1_3_VERSION);
  const auto login = exchange(stream, client::make(http::verb::post, "/api/v1/session",
                                                   login_body("officer-kim", officer_password),
                                                   std::nullopt, "application/json"));
  ASSERT_EQ(login.result(), http::status::ok) << login.body();
  const std::string cookie(login[http::field::set_cookie]);
  EXPECT_TRUE(cookie.starts_with("hotline_session=")) << cookie;
  EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  // The same connection carries further requests (keep-alive over TLS).
  const auto status = exchange(
      stream, client::make(http::verb::get, "/api/v1/status", {}, test_token, "application/json"));
  EXPECT_EQ(status.result(), http::status::ok) << status.body();
}

TEST_F(tls_test, plain_http_to_the_tls_port_is_refused_without_reaching_a_route) {
  client plain(port());
  const auto res = plain.request(http::verb::post, "/api/v1/session",
                                 login_body("officer-kim", officer_password), std::nullopt);
  EXPECT_EQ(res.result(), http::status::bad_request);
  EXPECT_EQ(body_json(res)["error"].value("code", ""), "tls_required") << res.body();
  EXPECT_TRUE(res[http::field::set_cookie].empty());
  EXPECT_TRUE(plain.closed_by_server());
  EXPECT_EQ(audit_count("login"), 0u);
}

TEST_F(tls_test, tls_1_1_is_refused) {
  asio::io_context ioc;
  ssl::context ctx = trusting(cert_, TLS1_1_VERSION);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  tls_stream stream(ioc, ctx);
  EXPECT_TRUE(connect(stream, port()));
}

TEST_F(tls_test, tls_1_2_is_accepted_for_older_browsers) {
  asio::io_context ioc;
  ssl::context ctx = trusting(cert_, TLS1_2_VERSION);
  tls_stream stream(ioc, ctx);
  ASSERT_FALSE(connect(stream, port()));
  const auto res = exchange(
      stream, client::make(http::verb::get, "/api/v1/status", {}, test_token, "application/json"));
  EXPECT_EQ(res.result(), http::status::ok);
}

TEST_F(tls_test, the_event_stream_works_over_tls) {
  asio::io_context ioc;
  ssl::context ctx = trusting(cert_);
  websocket::stream<tls_stream> ws(ioc, ctx);
  ASSERT_FALSE(connect(ws.next_layer(), port()));
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(http::field::authorization, std::string("Bearer ") + test_token);
  }));
  websocket::response_type res;
  beast::error_code ec;
  ws.handshake(res, "127.0.0.1", "/api/v1/events", ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result(), http::status::switching_protocols);
  ws.close(websocket::close_code::normal, ec);
}

TEST(api_tls_context, a_key_that_does_not_match_the_certificate_is_refused) {
  test_certificate one;
  test_certificate other;
  auto ctx = api::make_api_tls_context(one.certificate(), other.private_key());
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, errc::invalid_argument);
  EXPECT_EQ(ctx.error().field, "listen.api_tls_key");
  auto missing = api::make_api_tls_context(one.certificate().string() + ".gone", one.private_key());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().field, "listen.api_tls_cert");
}

}  // namespace
}  // namespace hotline::testing
