// One WebSocket subscriber on /api/v1/events: pushes service events as JSON text frames until the
// client leaves, the server stops, the client falls too far behind, or, for a subscriber that
// signed in with a session cookie or a token made with `hotline token add`, that credential ends.
//
// Events reach subscribers through the server's one service subscription (event_fanout in
// session.hpp), rendered once per event and shared between their queues.

#include <spdlog/spdlog.h>

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cassert>
#include <deque>
#include <optional>
#include <utility>

#include "api/clearance.hpp"
#include "api/json.hpp"
#include "api/session.hpp"
#include "api/session_check.hpp"
#include "api/translation_routes.hpp"

namespace hotline::api {
namespace {

using asio::as_tuple;
using asio::use_awaitable;
namespace websocket = beast::websocket;
using frame = event_fanout::frame;

// Clients only need to send control frames (ping, pong, close); anything larger is abuse.
constexpr std::size_t client_message_bytes_max = 4096;
// Bounds the opening handshake and, as Beast applies it to both, the closing one.
constexpr std::chrono::seconds handshake_timeout{10};

// `e` as a subscriber cleared to `clearance` may see it.
std::string render(station::service& service, const station::service_event& e,
                   std::string_view clearance) {
  if (e.type == station::service_event::kind::message && e.msg) {
    json m = to_json(*e.msg, service, clearance);
    // A translation attached or reviewed arrives as its message's update, so consoles show it.
    if (e.msg->direction == storage::box::in && !m["redacted"].get<bool>()) {
      add_translations(service, e.msg->msg.id, m);
    }
    return dump({{"type", "message"}, {"message", std::move(m)}});
  }
  if (e.type == station::service_event::kind::escalation && e.msg) {
    return dump({{"type", "escalation"},
                 {"kind", e.missed_link_test ? "missed_link_test" : "overdue"},
                 {"deadline", format_rfc3339_ms(e.deadline_ms)},
                 {"message", to_json(*e.msg, service, clearance)}});
  }
  if (e.type == station::service_event::kind::alarm) {
    return dump({{"type", "alarm"}, {"kind", "attestation_mismatch"}, {"detail", e.detail}});
  }
  return dump({{"type", "status"}, {"status", to_json(service.status())}});
}

// Renders `e` at most twice, in full and as the envelope of a message above some listener's
// clearance, and hands each listener the frame it may see. Runs inside the service's callback,
// so nothing may be thrown from here into the station.
void fan_out(server_state& state, const station::service_event& e) {
  if (state.events.listeners.empty()) return;
  frame full;
  frame envelope;
  const auto listeners = state.events.listeners;  // a copy: a listener may leave meanwhile
  for (const auto& [id, listener] : listeners) {
    const bool readable = !e.msg || cleared(state.service, listener.clearance, e.msg->msg.label);
    frame& rendered = readable ? full : envelope;
    if (!rendered) {
      try {
        rendered = std::make_shared<const std::string>(render(state.service, e, listener.clearance));
      } catch (const std::exception& x) {
        spdlog::error("api: cannot render an event for WebSocket subscribers: {}", x.what());
        return;
      }
    }
    listener.push(rendered);
  }
}

// Adds a listener, subscribing the server to the service if it is the first.
std::uint64_t start_listening(const std::shared_ptr<server_state>& state, std::string clearance,
                              std::function<void(const frame&)> listener) {
  event_fanout& events = state->events;
  if (!events.subscription) {
    // Weak: the service may outlive a server stopped without its io_context running again.
    events.subscription = state->service.subscribe(
        [weak = std::weak_ptr<server_state>(state)](const station::service_event& e) {
          if (auto s = weak.lock()) fan_out(*s, e);
        });
  }
  const std::uint64_t id = events.next_listener++;
  events.listeners.emplace(id, event_fanout::listener{std::move(clearance), std::move(listener)});
  return id;
}

// Removes a listener, unsubscribing the server from the service if it was the last. Not to be
// called from inside a service callback.
void stop_listening(server_state& state, std::uint64_t id) {
  event_fanout& events = state.events;
  events.listeners.erase(id);
  if (events.listeners.empty() && events.subscription) {
    state.service.unsubscribe(*std::exchange(events.subscription, std::nullopt));
  }
}

// Shared between the writer loop, the reader loop and the fan-out's listener. `Stream` is the
// transport: beast::tcp_stream, or tls_stream when the API is served over TLS.
// Invariant: `queue` holds at most limits::websocket_queue_messages_max frames, of
// `queue_bytes` bytes in all, at most limits::websocket_queue_bytes_max.
template <class Stream>
struct subscriber {
  subscriber(Stream&& stream, std::shared_ptr<server_state> st,
             std::optional<revocable_credential> cred)
      : ws(std::move(stream)),
        wake(ws.get_executor()),
        state(std::move(st)),
        credential(std::move(cred)) {}

  websocket::stream<Stream> ws;
  // Cancelled to wake the writer; otherwise expires when the session is next due a check.
  asio::steady_timer wake;
  std::shared_ptr<server_state> state;
  // What to re-check, for a subscriber that signed in with a cookie or a revocable token. A token
  // from the config needs none: it changes only with the config, which a restart applies.
  const std::optional<revocable_credential> credential;
  std::deque<frame> queue;
  std::size_t queue_bytes = 0;
  bool closed = false;
  std::optional<std::uint64_t> listener;

  // Queues a frame for the writer, or ends the connection when that would take the queue over
  // either limit: a reader this far behind is not reading, dropping it bounds memory, and it can
  // reconnect and catch up from GET /api/v1/messages?after=<cursor>.
  void push(const frame& f) {
    if (closed) return;
    assert(queue.size() <= limits::websocket_queue_messages_max);
    assert(queue_bytes <= limits::websocket_queue_bytes_max);
    if (queue.size() == limits::websocket_queue_messages_max ||
        f->size() > limits::websocket_queue_bytes_max - queue_bytes) {
      spdlog::warn(
          "api: closing a WebSocket subscriber that is not reading ({} events of {} bytes "
          "waiting)",
          queue.size(), queue_bytes);
      close();
      return;
    }
    queue.push_back(f);
    queue_bytes += f->size();
    wake.cancel();
  }

  void pop() {
    queue_bytes -= queue.front()->size();
    queue.pop_front();
  }

  // Ends the connection; the loops notice and finish. Safe inside a service callback, and
  // whatever the loops are waiting on: the writer's timer is cancelled and the socket closed
  // under any pending read or write, which then completes at once with an error.
  void close() {
    if (closed) return;
    closed = true;
    wake.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws).socket().close(ignored);
  }

  // Stops hearing events. Not to be called from inside a service callback.
  void leave() {
    if (listener) stop_listening(*state, *std::exchange(listener, std::nullopt));
  }

  // Nullopt while the credential is live (or there is none to check); otherwise why to close.
  std::optional<websocket::close_reason> credential_refusal() {
    if (!credential) return std::nullopt;
    auto live = credential_live(*state->options.accounts, *credential, now_ms(*state));
    if (!live) {
      // Fail closed: without the store nobody can tell whether the credential still holds.
      spdlog::error("api: cannot check a WebSocket subscriber's credential: {}",
                    live.error().message);
      return websocket::close_reason(websocket::close_code::try_again_later,
                                     "cannot check the credential now");
    }
    if (*live) return std::nullopt;
    return websocket::close_reason(websocket::close_code::policy_error,
                                   credential->what == revocable_credential::kind::session
                                       ? "session ended"
                                       : "token revoked");
  }
};

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

// Writes queued frames in order. A subscriber with a session checks it before each frame, so
// that nothing is sent once the session has ended, and at least every
// websocket_session_check_interval while no event comes, so that an ended session's socket is
// closed even on a quiet station.
template <class Stream>
asio::awaitable<void> write_loop(std::shared_ptr<subscriber<Stream>> s) {
  using clock = asio::steady_timer::clock_type;
  const auto interval = s->state->options.websocket_session_check_interval;
  auto next_check = clock::now() + interval;
  while (!s->closed) {
    if (s->credential && (!s->queue.empty() || clock::now() >= next_check)) {
      if (const auto refusal = s->credential_refusal()) {
        spdlog::info("api: closing a WebSocket subscriber: {}", refusal->reason.c_str());
        co_await s->ws.async_close(*refusal, as_tuple(use_awaitable));  // bounded: configure()
        break;
      }
      next_check = clock::now() + interval;
    }
    if (s->queue.empty()) {
      s->wake.expires_at(s->credential ? next_check : clock::time_point::max());
      co_await s->wake.async_wait(as_tuple(use_awaitable));
      continue;
    }
    const frame next = s->queue.front();  // stays alive for the write whatever the queue does
    auto [ec, n] = co_await s->ws.async_write(asio::buffer(*next), as_tuple(use_awaitable));
    if (ec) break;
    s->pop();
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
                                     http_request req, std::string clearance) {
  // The upgrade was authenticated already (routes.hpp); this only notes which revocable
  // credential, if any, it was authenticated by, to check again later.
  auto credential = presented_revocable_credential(*state, req);
  if (credential) credential->clearance = clearance;
  auto s = std::make_shared<subscriber<Stream>>(std::move(stream), state, std::move(credential));
  std::weak_ptr<subscriber<Stream>> weak = s;
  // `stop` stops listening at once, while the service is certainly alive: the owner may stop the
  // io_context right after, and then this coroutine is destroyed without running on.
  session_registration registration(*state, [weak] {
    if (auto p = weak.lock()) {
      p->close();
      p->leave();
    }
  });
  configure(s->ws);

  // Listening before the handshake means that once the client sees "101 Switching Protocols"
  // it misses nothing; events that arrive meanwhile wait in the queue.
  s->listener = start_listening(state, std::move(clearance), [weak](const frame& f) {
    if (auto p = weak.lock()) p->push(f);
  });
  struct leave_on_exit {
    subscriber<Stream>& s;
    ~leave_on_exit() { s.leave(); }
  } guard{*s};

  auto [accept_ec] = co_await s->ws.async_accept(req, as_tuple(use_awaitable));
  if (accept_ec) co_return;
  asio::co_spawn(s->ws.get_executor(), read_loop(s),
                 [](std::exception_ptr e) { log_session_end(e, "WebSocket reader"); });
  co_await write_loop(s);
}

}  // namespace

asio::awaitable<void> run_websocket_session(std::shared_ptr<server_state> state,
                                            beast::tcp_stream stream, http_request req,
                                            std::string clearance) {
  co_await run_subscriber(std::move(state), std::move(stream), std::move(req),
                          std::move(clearance));
}

asio::awaitable<void> run_websocket_session(std::shared_ptr<server_state> state, tls_stream stream,
                                            http_request req, std::string clearance) {
  co_await run_subscriber(std::move(state), std::move(stream), std::move(req),
                          std::move(clearance));
}

}  // namespace hotline::api
