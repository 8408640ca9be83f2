// One HTTP/1.1 connection: keep-alive, pipelining, limits, and the hand-off to WebSocket.

#include <array>
#include <boost/beast/websocket.hpp>
#include <tuple>

#include "api/routes.hpp"
#include "api/session.hpp"

namespace hotline::api {
namespace {

using asio::as_tuple;
using asio::use_awaitable;
namespace websocket = beast::websocket;

// The read buffer holds at most one request plus what a pipelining client sent after it.
constexpr std::size_t read_buffer_bytes_max =
    limits::http_header_bytes_max + limits::http_body_bytes_max + 64 * 1024;
constexpr std::chrono::seconds linger_timeout{2};
constexpr std::size_t linger_bytes_max = 4 * limits::http_body_bytes_max;

// The answer to a request that could not be parsed, or none when the connection should just
// close (the peer left, timed out, or sent only part of a request).
std::optional<http_response> answer_for_read_error(const beast::error_code& ec) {
  if (ec == http::error::body_limit) {
    return error_response(11, false, http::status::payload_too_large, "limit",
                          "the request body is larger than " +
                              std::to_string(limits::http_body_bytes_max) + " bytes");
  }
  if (ec == http::error::header_limit) {
    return error_response(11, false, http::status::request_header_fields_too_large, "limit",
                          "the request headers are larger than " +
                              std::to_string(limits::http_header_bytes_max) + " bytes");
  }
  if (ec.category() == beast::error_code(http::error::bad_method).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return error_response(11, false, http::status::bad_request, "invalid_argument",
                          "malformed HTTP request: " + ec.message());
  }
  return std::nullopt;
}

// After refusing a request mid-body, the client may still be sending it. Closing a socket with
// unread bytes makes the kernel send a reset, which can destroy the refusal before the client
// reads it; so stop sending, then read and discard for a short, bounded while first.
asio::awaitable<void> linger(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(linger_timeout);
  std::array<char, 16 * 1024> sink;
  for (std::size_t drained = 0; !ec && drained < linger_bytes_max;) {
    std::size_t n = 0;
    std::tie(ec, n) = co_await stream.async_read_some(asio::buffer(sink), as_tuple(use_awaitable));
    drained += n;
  }
}

void close_stream(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
}

}  // namespace

asio::awaitable<void> run_http_session(std::shared_ptr<server_state> state, tcp::socket socket) {
  beast::error_code remote_ec;
  const peer_info peer{socket.remote_endpoint(remote_ec).address().to_string()};
  beast::tcp_stream stream(std::move(socket));
  std::optional<session_registration> registration;
  registration.emplace(*state, [&stream] { close_stream(stream); });
  beast::flat_buffer buffer(read_buffer_bytes_max);
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits::http_header_bytes_max));
    parser.body_limit(limits::http_body_bytes_max);
    stream.expires_after(http_idle_timeout);
    auto [read_ec, read_bytes] =
        co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
    if (read_ec) {
      if (auto answer = answer_for_read_error(read_ec)) {
        stream.expires_after(http_idle_timeout);
        auto [ec, n] = co_await http::async_write(stream, *answer, as_tuple(use_awaitable));
        if (!ec) co_await linger(stream);
      }
      break;
    }
    http_request req = parser.release();
    if (websocket::is_upgrade(req)) {
      if (auto refusal = check_upgrade(*state, req)) {
        stream.expires_after(http_idle_timeout);
        auto [ec, n] = co_await http::async_write(stream, *refusal, as_tuple(use_awaitable));
        if (ec || !refusal->keep_alive()) break;
        continue;
      }
      // The WebSocket session registers itself; this one must let go of the stream first.
      registration.reset();
      stream.expires_never();
      co_await run_websocket_session(state, std::move(stream), std::move(req));
      co_return;
    }
    http_response res = co_await handle_request(*state, req, peer);
    if (state->stopping) res.keep_alive(false);
    stream.expires_after(http_idle_timeout);
    auto [write_ec, write_bytes] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
    if (write_ec || !res.keep_alive()) break;
  }
  close_stream(stream);
}

}  // namespace hotline::api
