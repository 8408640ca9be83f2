// One WebSocket subscriber on /api/v1/events: pushes service events as JSON text frames.

#include <spdlog/spdlog.h>

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>
#include <utility>

#include "api/json.hpp"
#include "api/session.hpp"
#include "api/translation_routes.hpp"

namespace hotline::api {
namespace {

using asio::as_tuple;
using asio::use_awaitable;
namespace websocket = beast::websocket;

// Clients only need to send control frames (ping, pong, close); anything larger is abuse.
constexpr std::size_t client_message_bytes_max = 4096;
constexpr std::chrono::seconds handshake_timeout{10};

// Shared between the writer loop, the reader loop and the service's callback. `Stream` is the
// transport: beast::tcp_stream, or tls_stream when the API is served over TLS.
// Invariant: `queue` never holds more than limits::websocket_queue_messages_max frames.
template <class Stream>
struct subscriber {
  subscriber(Stream&& stream, station::service& svc)
      : ws(std::move(stream)), wake(ws.get_executor()), service(svc) {}

  websocket::stream<Stream> ws;
  asio::steady_timer wake;  // cancelled to wake the writer; never expires on its own
  std::deque<std::string> queue;
  bool closed = false;
  station::service& service;
  std::optional<std::uint64_t> subscription;

  // Ends the connection; the loops notice and finish. Safe inside a service callback.
  void close() {
    if (closed) return;
    closed = true;
    wake.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
  }

  // Leaves the service's subscriber list. Not to be called from inside a service callback.
  void unsubscribe() {
    if (subscription) service.unsubscribe(*std::exchange(subscription, std::nullopt));
  }
};

std::string render(station::service& service, const station::service_event& e) {
  if (e.type == station::service_event::kind::message && e.msg) {
    json m = to_json(*e.msg);
    // A translation attached or reviewed arrives as its message's update, so consoles show it.
    if (e.msg->direction == storage::box::in) add_translations(service, e.msg->msg.id, m);
    return dump({{"type", "message"}, {"message", std::move(m)}});
  }
  if (e.type == station::service_event::kind::escalation && e.msg) {
    return dump({{"type", "escalation"},
                 {"kind", e.missed_link_test ? "missed_link_test" : "overdue"},
                 {"deadline", format_rfc3339_ms(e.deadline_ms)},
                 {"message", to_json(*e.msg)}});
  }
  if (e.type == station::service_event::kind::alarm) {
    return dump({{"type", "alarm"}, {"kind", "attestation_mismatch"}, {"detail", e.detail}});
  }
  return dump({{"type", "status"}, {"status", to_json(service.status())}});
}

// Reads (and drops) what the client sends, so that pings and the close handshake are answered;
// when the client leaves, the whole session ends.
template <class Stream>
asio::awaitable<void> read_loop(std::shared_ptr<subscriber<Stream>> s) {
  beast::flat_buffer buffer;
  while (!s->closed) {
    auto [ec, n] = co_await s->ws.async_read(buffer, as_tuple(use_awaitable));
    if (ec) break;
    buffer.consume(buffer.size());
  }
  s->close();
}

template <class Stream>
asio::awaitable<void> write_loop(std::shared_ptr<subscriber<Stream>> s) {
  while (!s->closed) {
    if (s->queue.empty()) {
      s->wake.expires_at(asio::steady_timer::time_point::max());
      co_await s->wake.async_wait(as_tuple(use_awaitable));
      continue;
    }
    auto [ec, n] =
        co_await s->ws.async_write(asio::buffer(s->queue.front()), as_tuple(use_awaitable));
    if (ec) break;
    s->queue.pop_front();
  }
  s->close();
}

template <class Stream>
void configure(websocket::stream<Stream>& ws) {
  websocket::stream_base::timeout t{};
  t.handshake_timeout = handshake_timeout;
  t.idle_timeout = std::chrono::duration_cast<std::chrono::seconds>(http_idle_timeout);
  t.keep_alive_pings = true;  // a silent but healthy client answers pings and stays
  ws.set_option(t);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "hotline"); }));
  ws.read_message_max(client_message_bytes_max);
  ws.text(true);
}

template <class Stream>
asio::awaitable<void> run_subscriber(std::shared_ptr<server_state> state, Stream stream,
                                     http_request req) {
  auto s = std::make_shared<subscriber<Stream>>(std::move(stream), state->service);
  std::weak_ptr<subscriber<Stream>> weak = s;
  // `stop` unsubscribes at once, while the service is certainly alive: the owner may stop the
  // io_context right after, and then this coroutine is destroyed without running on.
  session_registration registration(*state, [weak] {
    if (auto p = weak.lock()) {
      p->close();
      p->unsubscribe();
    }
  });
  configure(s->ws);

  // Subscribing before the handshake means that once the client sees "101 Switching
  // Protocols" it misses nothing; events that arrive meanwhile wait in the queue.
  s->subscription = s->service.subscribe([weak](const station::service_event& e) {
    auto p = weak.lock();
    if (!p || p->closed) return;
    if (p->queue.size() >= limits::websocket_queue_messages_max) {
      // A reader this far behind is not reading; dropping it bounds memory, and it can
      // reconnect and catch up from GET /api/v1/messages?after=<cursor>.
      spdlog::warn("api: closing a WebSocket subscriber whose queue is full");
      p->close();
      return;
    }
    p->queue.push_back(render(p->service, e));
    p->wake.cancel();
  });
  struct unsubscribe_on_exit {
    subscriber<Stream>& s;
    ~unsubscribe_on_exit() { s.unsubscribe(); }
  } guard{*s};

  auto [accept_ec] = co_await s->ws.async_accept(req, as_tuple(use_awaitable));
  if (accept_ec) co_return;
  asio::co_spawn(s->ws.get_executor(), read_loop(s),
                 [](std::exception_ptr e) { log_session_end(e, "WebSocket reader"); });
  co_await write_loop(s);
}

}  // namespace

asio::awaitable<void> run_websocket_session(std::shared_ptr<server_state> state,
                                            beast::tcp_stream stream, http_request req) {
  co_await run_subscriber(std::move(state), std::move(stream), std::move(req));
}

asio::awaitable<void> run_websocket_session(std::shared_ptr<server_state> state,
                                            tls_stream stream, http_request req) {
  co_await run_subscriber(std::move(state), std::move(stream), std::move(req));
}

}  // namespace hotline::api
