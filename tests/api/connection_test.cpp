// Connection handling: limits, garbage, keep-alive, pipelining, the connection cap and stop.
#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "core/limits.hpp"
#include "server_fixture.hpp"

namespace hotline::testing {
namespace {

using connection_test = server_test;

void write_raw(client& c, const std::string& bytes) {
  asio::write(c.stream().socket(), asio::buffer(bytes));
}

void expect_server_still_serves(std::uint16_t port) {
  client fresh(port);
  EXPECT_EQ(fresh.request(http::verb::get, "/healthz").result(), http::status::ok);
}

TEST_F(connection_test, a_body_over_the_limit_is_413_and_the_server_keeps_serving) {
  client c(port());
  // Only the head is sent: the server must refuse on the declared length, before reading it.
  write_raw(c, "POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                   std::string(test_token) +
                   "\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(limits::http_body_bytes_max + 1) + "\r\n\r\n");
  const auto res = c.read();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_EQ(body_json(res)["error"]["code"], "limit");
  EXPECT_TRUE(c.closed_by_server());
  expect_server_still_serves(port());
}

TEST_F(connection_test, a_client_sending_the_whole_oversized_body_still_reads_the_413) {
  client c(port());
  const std::string body(limits::http_body_bytes_max + 1, 'a');
  // A second thread sends, as a real client would, while this one reads the answer.
  std::thread sender([&c, &body] {
    beast::error_code ec;
    asio::write(c.stream().socket(),
                asio::buffer("POST /api/v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                             std::string(test_token) +
                             "\r\nContent-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body),
                ec);
  });
  const auto res = c.read();
  sender.join();
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(connection_test, a_body_at_the_limit_is_read) {
  client c(port());
  // Valid JSON exactly http_body_bytes_max long; it is refused for its text, not its size.
  std::string body = R"({"channel":"navy","precedence":"routine","text":")";
  body += std::string(limits::http_body_bytes_max - body.size() - 2, 'a') + "\"}";
  ASSERT_EQ(body.size(), limits::http_body_bytes_max);
  const auto res = c.request(http::verb::post, "/api/v1/messages", body);
  EXPECT_EQ(res.result(), http::status::payload_too_large);
  EXPECT_EQ(body_json(res)["error"]["field"], "text");
}

TEST_F(connection_test, headers_over_the_limit_are_431) {
  client c(port());
  write_raw(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " +
                   std::string(limits::http_header_bytes_max, 'f') + "\r\n\r\n");
  EXPECT_EQ(c.read().result(), http::status::request_header_fields_too_large);
  EXPECT_TRUE(c.closed_by_server());
  expect_server_still_serves(port());
}

TEST_F(connection_test, garbage_is_answered_400_and_closed) {
  client c(port());
  // The start of a TLS ClientHello, as a client configured for https would send.
  static constexpr char tls_hello[] =
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n";
  write_raw(c, std::string(tls_hello, sizeof tls_hello - 1));
  EXPECT_TRUE(c.closed_by_server());
  client c2(port());
  write_raw(c2, "HELLO THERE\r\n\r\n");
  EXPECT_EQ(c2.read().result(), http::status::bad_request);
  EXPECT_TRUE(c2.closed_by_server());
  expect_server_still_serves(port());
}

TEST_F(connection_test, keep_alive_serves_100_requests_on_one_connection) {
  client c(port());
  for (int i = 0; i < 100; ++i) {
    const auto res = c.request(http::verb::get, i % 2 ? "/api/v1/status" : "/healthz");
    ASSERT_EQ(res.result(), http::status::ok) << "request " << i;
    ASSERT_TRUE(res.keep_alive());
  }
  EXPECT_EQ(service_.on_io([this] { return server_->connections(); }), 1u);
}

TEST_F(connection_test, pipelined_requests_are_answered_in_order) {
  client c(port());
  std::string batch;
  constexpr int count = 50;
  for (int i = 0; i < count; ++i) {
    auto req = client::make(http::verb::get, i % 2 ? "/api/v1/messages/none" : "/healthz", {},
                            test_token, {});
    std::ostringstream os;
    os << req;
    batch += os.str();
  }
  write_raw(c, batch);
  for (int i = 0; i < count; ++i) {
    EXPECT_EQ(c.read().result(), i % 2 ? http::status::not_found : http::status::ok) << i;
  }
}

TEST_F(connection_test, connection_close_is_honoured) {
  client c(port());
  auto req = client::make(http::verb::get, "/healthz", {}, test_token, {});
  req.keep_alive(false);
  c.write(req);
  const auto res = c.read();
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(connection_test, connections_over_the_cap_are_refused_with_503) {
  std::vector<std::unique_ptr<client>> open;
  for (std::size_t i = 0; i < limits::http_connections_max; ++i) {
    open.push_back(std::make_unique<client>(port()));
    // A request per connection makes sure the server has registered it before the next.
    ASSERT_EQ(open.back()->request(http::verb::get, "/healthz").result(), http::status::ok);
  }
  client extra(port());
  write_raw(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto res = extra.read();
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(body_json(res)["error"]["code"], "unavailable");
  EXPECT_TRUE(extra.closed_by_server());
  // Those already in are still served.
  EXPECT_EQ(open.front()->request(http::verb::get, "/healthz").result(), http::status::ok);
}

TEST_F(connection_test, stop_closes_open_connections_and_the_listener) {
  client c(port());
  ASSERT_EQ(c.request(http::verb::get, "/healthz").result(), http::status::ok);
  server_->stop();
  EXPECT_TRUE(c.closed_by_server());
  asio::io_context ioc;
  tcp::socket probe(ioc);
  beast::error_code ec;
  probe.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()), ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
}

}  // namespace
}  // namespace hotline::testing
