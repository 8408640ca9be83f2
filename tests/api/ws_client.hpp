// A WebSocket client of /api/v1/events for the API tests: connects on loopback, upgrades with an
// optional token and extra headers, and reads events with a bound, so that a broken server
// fails a test rather than hanging it.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "accounts_fixture.hpp"
#include "server_fixture.hpp"

namespace hotline::testing {

namespace websocket = beast::websocket;

// How long a test waits for something the server should do at once; generous, so that only a
// broken feature, never a slow machine, reaches it.
inline constexpr std::chrono::seconds wait_bound{60};

// What one bounded read of the event stream found.
struct read_result {
  std::optional<api::json> event;  // a text frame, parsed
  std::size_t bytes = 0;           // and its size
  beast::error_code error;         // otherwise why the read ended
  websocket::close_reason close;   // the server's close frame, if it sent one
  bool timed_out = false;
};

class ws_client {
 public:
  ws_client(std::uint16_t port, std::optional<std::string> token, header_map headers = {})
      : ws_(ioc_) {
    beast::get_lowest_layer(ws_).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws_.set_option(websocket::stream_base::decorator(
        [token, headers = std::move(headers)](websocket::request_type& req) {
          if (token) req.set(http::field::authorization, "Bearer " + *token);
          for (const auto& [k, v] : headers) req.set(k, v);
        }));
  }

  beast::error_code handshake(websocket::response_type& res, const std::string& target) {
    beast::error_code ec;
    ws_.handshake(res, "127.0.0.1", target, ec);
    return ec;
  }

  // Reads the next event; throws when the connection ends instead.
  api::json read_event() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    EXPECT_TRUE(ws_.got_text());
    return api::json::parse(beast::buffers_to_string(buffer.data()));
  }

  // Reads the next frame or the connection's end, waiting at most `bound`.
  read_result read_for(std::chrono::steady_clock::duration bound = wait_bound) {
    read_result out;
    beast::flat_buffer buffer;
    bool done = false;
    ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      done = true;
      out.error = ec;
    });
    ioc_.run_for(bound);
    if (!done) {
      out.timed_out = true;
      beast::get_lowest_layer(ws_).close();
      ioc_.restart();
      ioc_.run();
    }
    ioc_.restart();
    if (done && !out.error) {
      out.bytes = buffer.size();
      out.event = api::json::parse(beast::buffers_to_string(buffer.data()));
    }
    out.close = ws_.reason();
    return out;
  }

  void close() { ws_.close(websocket::close_code::normal); }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
};

}  // namespace hotline::testing
