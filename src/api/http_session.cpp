// One HTTP/1.1 connection, over TCP or TLS: keep-alive, pipelining, limits, and the hand-off to
// WebSocket.

#include <spdlog/spdlog.h>

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
constexpr std::chrono::microseconds tls_handshake_timeout{limits::tls_handshake_timeout_us};
constexpr std::size_t linger_bytes_max = 4 * limits::http_body_bytes_max;
// What one read takes while waiting for the first byte of a kept-alive connection's next request.
constexpr std::size_t first_read_bytes_max = 16 * 1024;
static_assert(first_read_bytes_max <= read_buffer_bytes_max);

using request_parser = http::request_parser<http::string_body>;

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

// Ends a connection politely before closing it: over TLS, a close_notify (waited for at most
// linger_timeout); over TCP there is nothing to say.
asio::awaitable<void> say_goodbye(beast::tcp_stream&) { co_return; }

asio::awaitable<void> say_goodbye(tls_stream& stream) {
  beast::get_lowest_layer(stream).expires_after(linger_timeout);
  co_await stream.async_shutdown(as_tuple(use_awaitable));
}

// Reads one request into `parser`. Three deadlines: a kept-alive connection may wait
// http_idle_timeout for the first byte of its next request (none for the connection's first
// request, whose clock started when it opened); from there the whole header must arrive within
// `header_timeout`, so that a client trickling one byte at a time cannot hold the connection for
// the idle timeout; and the body then has http_idle_timeout.
template <class Stream>
asio::awaitable<beast::error_code> read_request(Stream& stream, beast::flat_buffer& buffer,
                                                request_parser& parser, bool first_request,
                                                std::chrono::microseconds header_timeout) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  if (!first_request) {
    if (buffer.size() == 0) {  // nothing pipelined: wait for the next request to start
      tcp_layer.expires_after(http_idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(first_read_bytes_max),
                                                     as_tuple(use_awaitable));
      if (ec) co_return ec;
      buffer.commit(n);
    }
    tcp_layer.expires_after(header_timeout);
  }
  auto [header_ec, header_bytes] =
      co_await http::async_read_header(stream, buffer, parser, as_tuple(use_awaitable));
  if (header_ec || parser.is_done()) co_return header_ec;
  tcp_layer.expires_after(http_idle_timeout);
  auto [body_ec, body_bytes] =
      co_await http::async_read(stream, buffer, parser, as_tuple(use_awaitable));
  co_return body_ec;
}

// Reads and answers requests until the client leaves, a limit is hit, or the server stops.
// `buffer` holds whatever the client sent before the first request was read (for TLS, bytes
// the handshake did not use).
template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<server_state> state, Stream stream,
                            beast::flat_buffer buffer, peer_info peer) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  std::optional<session_registration> registration;
  registration.emplace(*state, [&tcp_layer] { close_stream(tcp_layer); });
  const std::chrono::microseconds header_timeout = state->options.request_header_timeout;
  tcp_layer.expires_after(header_timeout);  // the first request's clock starts now
  for (bool first_request = true;; first_request = false) {
    request_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(limits::http_header_bytes_max));
    parser.body_limit(limits::http_body_bytes_max);
    const beast::error_code read_ec =
        co_await read_request(stream, buffer, parser, first_request, header_timeout);
    if (read_ec) {
      if (auto answer = answer_for_read_error(read_ec)) {
        tcp_layer.expires_after(http_idle_timeout);
        auto [ec, n] = co_await http::async_write(stream, *answer, as_tuple(use_awaitable));
        if (!ec) co_await linger(tcp_layer);
      }
      break;
    }
    http_request req = parser.release();
    if (websocket::is_upgrade(req)) {
      auto checked = check_upgrade(*state, req);
      if (auto* refusal = std::get_if<http_response>(&checked)) {
        tcp_layer.expires_after(http_idle_timeout);
        auto [ec, n] = co_await http::async_write(stream, *refusal, as_tuple(use_awaitable));
        if (ec || !refusal->keep_alive()) break;
        continue;
      }
      // The WebSocket session registers itself; this one must let go of the stream first.
      registration.reset();
      tcp_layer.expires_never();
      co_await run_websocket_session(state, std::move(stream), std::move(req),
                                     std::get<principal>(std::move(checked)).clearance);
      co_return;
    }
    http_response res = co_await handle_request(*state, req, peer);
    if (state->stopping) res.keep_alive(false);
    tcp_layer.expires_after(http_idle_timeout);
    auto [write_ec, write_bytes] = co_await http::async_write(stream, res, as_tuple(use_awaitable));
    if (write_ec || !res.keep_alive()) {
      if (!write_ec && !state->stopping) co_await say_goodbye(stream);
      break;
    }
  }
  close_stream(tcp_layer);
}

// The answer to plain HTTP sent to the HTTPS port. It goes out in clear, as the request came,
// so that whoever typed http:// learns what to type instead; it carries nothing secret.
http_response plain_http_refusal() {
  return error_response(11, false, http::status::bad_request, "tls_required",
                        "this station's API speaks HTTPS only: use https://");
}

// The TLS handshake, then `serve`. What is not TLS is refused before any route sees it.
asio::awaitable<void> run_tls_session(std::shared_ptr<server_state> state,
                                      beast::tcp_stream tcp_layer, peer_info peer) {
  beast::flat_buffer buffer(read_buffer_bytes_max);
  tls_stream stream(std::move(tcp_layer), *state->options.tls);
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  std::optional<session_registration> registration;
  registration.emplace(*state, [&lowest] { close_stream(lowest); });
  lowest.expires_after(tls_handshake_timeout);
  auto [detect_ec, is_tls] =
      co_await beast::async_detect_ssl(lowest, buffer, as_tuple(use_awaitable));
  if (detect_ec) {
    close_stream(lowest);
    co_return;
  }
  if (!is_tls) {
    const http_response answer = plain_http_refusal();
    auto [ec, n] = co_await http::async_write(lowest, answer, as_tuple(use_awaitable));
    if (!ec) co_await linger(lowest);
    close_stream(lowest);
    co_return;
  }
  auto [handshake_ec, used] = co_await stream.async_handshake(
      asio::ssl::stream_base::server, buffer.data(), as_tuple(use_awaitable));
  if (handshake_ec) {
    spdlog::debug("api: TLS handshake with {} failed: {}", peer.address, handshake_ec.message());
    close_stream(lowest);
    co_return;
  }
  buffer.consume(used);
  // `serve` registers the session again; between the two there is no suspension, so `stop`
  // cannot miss it.
  registration.reset();
  co_await serve(std::move(state), std::move(stream), std::move(buffer), std::move(peer));
}

}  // namespace

asio::awaitable<void> run_http_session(std::shared_ptr<server_state> state, tcp::socket socket,
                                       connection_slot slot) {
  peer_info peer{slot.address().to_string()};
  beast::tcp_stream stream(std::move(socket));
  if (state->options.tls) {
    co_await run_tls_session(std::move(state), std::move(stream), std::move(peer));
  } else {
    co_await serve(std::move(state), std::move(stream), beast::flat_buffer(read_buffer_bytes_max),
                   std::move(peer));
  }
}

}  // namespace hotline::api
