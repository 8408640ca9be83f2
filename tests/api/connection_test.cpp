// Connection handling: limits, garbage, keep-alive, pipelining, the connection caps (in total,
// per address and in reserve), the request header deadline, and stop.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "core/limits.hpp"
#include "server_fixture.hpp"

namespace hotline::testing {
namespace {

using namespace std::chrono_literals;
using connection_test = server_test;

// Bounds on waiting for the server, generous so that only a broken feature, never a slow
// machine, reaches them.
constexpr auto wait_bound = 60s;

void write_raw(client& c, const std::string& bytes) {
  asio::write(c.stream().socket(), asio::buffer(bytes));
}

void expect_server_still_serves(std::uint16_t port) {
  client fresh(port);
  EXPECT_EQ(fresh.request(http::verb::get, "/healthz").result(), http::status::ok);
}

// True once `socket` has data or an end to read, false if neither comes within `bound`.
bool readable_within(tcp::socket& socket, std::chrono::milliseconds bound) {
  pollfd p{socket.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(bound.count())) == 1;
}

// True when the server closes `socket` within `bound` (reading and dropping whatever it sends
// first); false if it is still open then.
bool closed_within(tcp::socket& socket, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  char sink[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms || !readable_within(socket, left)) return false;
    beast::error_code ec;
    socket.read_some(asio::buffer(sink), ec);
    if (ec) return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
}

// A connection from a chosen loopback address (Linux routes all of 127.0.0.0/8 to the
// loopback interface, so 127.0.0.2 is another machine as far as the server can tell).
class connection_from {
 public:
  connection_from(asio::io_context& ioc, const std::string& source, std::uint16_t port)
      : socket_(ioc) {
    socket_.open(tcp::v4());
    socket_.bind(tcp::endpoint(asio::ip::make_address(source), 0));
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }

  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  // The server's next response, or nullopt when none starts within wait_bound.
  std::optional<response> read() {
    if (!readable_within(socket_, wait_bound)) return std::nullopt;
    response res;
    beast::error_code ec;
    http::read(socket_, buffer_, res, ec);
    if (ec) return std::nullopt;
    return res;
  }

  tcp::socket& socket() { return socket_; }

 private:
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// The start of a request whose header never ends: what a client holding connections open sends.
const std::string half_sent_request = "GET /healthz HTTP/1.1\r\nHost: x\r\n";

// Expects `c` to be refused with the short 503. A connection expected to be refused sends
// nothing first: a server closing a socket with unread bytes resets it, and the reset may
// destroy the answer before it is read.
void expect_refused(connection_from& c) {
  const auto res = c.read();
  ASSERT_TRUE(res) << "no answer from the server";
  EXPECT_EQ(res->result(), http::status::service_unavailable);
  EXPECT_EQ(body_json(*res)["error"]["code"], "unavailable");
  EXPECT_EQ((*res)[http::field::retry_after], "1");
  EXPECT_TRUE(closed_within(c.socket(), wait_bound));
}

// Opens `count` connections from `source`, each holding a half-sent request.
void hold(std::vector<std::unique_ptr<connection_from>>& held, asio::io_context& ioc,
          const std::string& source, std::size_t count, std::uint16_t port) {
  for (std::size_t i = 0; i < count; ++i) {
    held.push_back(std::make_unique<connection_from>(ioc, source, port));
    held.back()->send(half_sent_request);
  }
}

// A server whose request header deadline is far longer than any test, so that connections held
// with half-sent requests stay open for as long as the test needs them.
class connection_cap_test : public server_test {
 protected:
  api::server_options extra_options() override {
    api::server_options o;
    o.request_header_timeout = std::chrono::hours(1);
    return o;
  }

  std::size_t open_connections() {
    return service_.on_io([this] { return server_->connections(); });
  }

  asio::io_context client_ioc_;
};

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

TEST_F(connection_cap_test, one_address_holds_at_most_its_cap_and_a_closed_one_frees_a_place) {
  std::vector<std::unique_ptr<connection_from>> held;
  hold(held, client_ioc_, "127.0.0.3", limits::http_connections_per_address_max, port());
  connection_from extra(client_ioc_, "127.0.0.3", port());
  expect_refused(extra);
  // The server accepts in order, so the refusal shows that all those before it were counted.
  EXPECT_EQ(open_connections(), limits::http_connections_per_address_max);

  held.back().reset();
  const auto deadline = std::chrono::steady_clock::now() + wait_bound;
  while (open_connections() != limits::http_connections_per_address_max - 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(open_connections(), limits::http_connections_per_address_max - 1);
  connection_from again(client_ioc_, "127.0.0.3", port());
  again.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto res = again.read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST_F(connection_cap_test, the_last_connections_are_kept_for_addresses_holding_few) {
  constexpr std::size_t shared = limits::http_connections_max - limits::http_connections_reserve;
  static_assert(shared % limits::http_connections_per_address_max == 0);
  static_assert(
      limits::http_connections_reserve % limits::http_connections_per_address_in_reserve_max == 0);
  std::vector<std::unique_ptr<connection_from>> held;
  // Busy addresses fill everything but the reserve.
  for (std::size_t a = 1; a <= shared / limits::http_connections_per_address_max; ++a) {
    const std::string source = "127.0.1." + std::to_string(a);
    hold(held, client_ioc_, source, limits::http_connections_per_address_max, port());
    connection_from extra(client_ioc_, source, port());
    expect_refused(extra);
  }
  ASSERT_EQ(open_connections(), shared);
  // The reserve goes to addresses holding fewer than the reserve's own cap.
  for (std::size_t a = 1;
       a <= limits::http_connections_reserve / limits::http_connections_per_address_in_reserve_max;
       ++a) {
    const std::string source = "127.0.2." + std::to_string(a);
    hold(held, client_ioc_, source, limits::http_connections_per_address_in_reserve_max, port());
    connection_from extra(client_ioc_, source, port());
    expect_refused(extra);
  }
  ASSERT_EQ(open_connections(), limits::http_connections_max);
  // Full: a newcomer is refused too, and those already in are still served.
  connection_from newcomer(client_ioc_, "127.0.3.1", port());
  expect_refused(newcomer);
  held.front()->send("\r\n");
  const auto res = held.front()->read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
}

// A server with a console to serve, as a station's own machine would load it.
class flood_test : public connection_cap_test {
 protected:
  api::server_options extra_options() override {
    api::server_options o = connection_cap_test::extra_options();
    console_dir_ = std::filesystem::temp_directory_path() /
                   ("hotline-flood-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(console_dir_);
    std::ofstream(console_dir_ / "index.html") << "<!doctype html><title>Hotline</title>";
    o.console_dir = console_dir_;
    return o;
  }

  void TearDown() override {
    server_test::TearDown();
    std::filesystem::remove_all(console_dir_);
  }

  std::filesystem::path console_dir_;
};

// Regression: 520 half-sent requests from one address took every connection, and /healthz
// answered 503.
TEST_F(flood_test, half_open_connections_from_one_address_leave_healthz_and_the_console_served) {
  constexpr std::size_t flood = limits::http_connections_max + 8;
  std::vector<std::unique_ptr<connection_from>> held;
  hold(held, client_ioc_, "127.0.0.2", limits::http_connections_per_address_max, port());
  for (std::size_t i = limits::http_connections_per_address_max; i < flood; ++i) {
    connection_from extra(client_ioc_, "127.0.0.2", port());
    expect_refused(extra);
  }
  EXPECT_EQ(open_connections(), limits::http_connections_per_address_max);

  client own(port());  // from 127.0.0.1
  EXPECT_EQ(own.request(http::verb::get, "/healthz").result(), http::status::ok);
  const auto console = own.request(http::verb::get, "/", {}, std::nullopt);
  EXPECT_EQ(console.result(), http::status::ok);
  EXPECT_NE(console.body().find("Hotline"), std::string::npos);
  // The flood's own connections are still served when they finish their requests.
  held.front()->send("\r\n");
  const auto res = held.front()->read();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result(), http::status::ok);
}

// A server whose header deadline is short, to see it end connections.
class header_deadline_test : public server_test {
 protected:
  static constexpr auto header_timeout = 1s;
  // Well short of the idle timeout, which would close the connections as well, later.
  static constexpr auto close_bound = 30s;
  static_assert(close_bound < std::chrono::microseconds(limits::http_idle_timeout_us));

  api::server_options extra_options() override {
    api::server_options o;
    o.request_header_timeout = header_timeout;
    return o;
  }
};

TEST_F(header_deadline_test, a_connection_that_sends_no_whole_header_in_time_is_closed) {
  client silent(port());
  EXPECT_TRUE(closed_within(silent.stream().socket(), close_bound));
  client trickling(port());
  write_raw(trickling, half_sent_request);
  EXPECT_TRUE(closed_within(trickling.stream().socket(), close_bound));
  expect_server_still_serves(port());
}

TEST_F(header_deadline_test, a_kept_alive_connection_may_idle_longer_but_its_next_header_may_not) {
  client c(port());
  ASSERT_EQ(c.request(http::verb::get, "/healthz").result(), http::status::ok);
  // Idle between requests is the idle timeout's business, not the header deadline's.
  std::this_thread::sleep_for(3 * header_timeout);
  ASSERT_EQ(c.request(http::verb::get, "/healthz").result(), http::status::ok);
  std::this_thread::sleep_for(3 * header_timeout);
  // A request that starts after a long idle still has the header deadline from its first byte.
  write_raw(c, half_sent_request);
  EXPECT_TRUE(closed_within(c.stream().socket(), close_bound));
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
