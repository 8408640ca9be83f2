// Session plumbing shared by the listener, the HTTP sessions and the WebSocket sessions.
// Internal to src/api; not part of the API layer's public surface.
//
// Invariant: all of this is touched only on the server's io_context thread.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/auth.hpp"
#include "api/login_throttle.hpp"
#include "api/password_worker.hpp"
#include "api/server.hpp"
#include "core/limits.hpp"
#include "station/service.hpp"

namespace hotline::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

inline constexpr std::chrono::microseconds http_idle_timeout{limits::http_idle_timeout_us};

// What the server knows about the connection a request came on.
struct peer_info {
  std::string address;  // the remote IP address, for login throttling and the audit log
};

// The open connections, in total and per remote address, and the rule that admits a new one
// (core/limits.hpp): at most http_connections_max in all and http_connections_per_address_max
// from one address; and once all but http_connections_reserve are taken, only addresses holding
// fewer than http_connections_per_address_in_reserve_max. An IPv6 address counts by its /64,
// which one machine usually holds whole; an IPv4-mapped one counts as its IPv4 address.
// Invariant: total() is the sum of the per-address counts, and no address is kept at zero.
class connection_table {
 public:
  enum class verdict { admitted, address_full, server_full };

  // Counts one more connection from `address` when the rule admits it.
  verdict admit(const asio::ip::address& address);
  // Forgets one connection that `admit` counted.
  void release(const asio::ip::address& address);

  std::size_t total() const { return total_; }
  std::size_t from(const asio::ip::address& address) const;

 private:
  static asio::ip::address key(const asio::ip::address& address);

  std::map<asio::ip::address, std::size_t> per_address_;
  std::size_t total_ = 0;
};

// Service events rendered once and shared by every WebSocket subscriber: the server subscribes
// to the service once, while any subscriber listens, so that a status event costs one call of
// service::status() however many consoles are open (websocket_session.cpp). A message event is
// rendered at most twice: in full for the subscribers cleared for it, and as its envelope for
// those below its marking (api/clearance.hpp).
struct event_fanout {
  using frame = std::shared_ptr<const std::string>;
  struct listener {
    std::string clearance;  // of the credential that opened the subscription
    std::function<void(const frame&)> push;
  };
  std::optional<std::uint64_t> subscription;  // to the service; set while listeners is not empty
  std::uint64_t next_listener = 1;
  std::map<std::uint64_t, listener> listeners;
};

struct server_state {
  server_state(asio::io_context& io, station::service& svc, authenticator a, server_options o)
      : ioc(io), service(svc), auth(std::move(a)), options(std::move(o)), acceptor(io) {}

  asio::io_context& ioc;
  station::service& service;
  const authenticator auth;
  const server_options options;  // clock_ms is always set
  login_throttle throttle;
  login_lockouts lockouts;
  password_worker passwords;
  std::size_t password_checks_pending = 0;
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  bool started = false;
  bool stopping = false;
  connection_table connections;
  event_fanout events;
  std::uint64_t next_session_id = 1;
  std::uint64_t login_failures = 0;  // refused sign-ins since the server started, for /metrics
  // Open sessions by id, each with the action that closes its socket. `stop` calls them all.
  std::map<std::uint64_t, std::function<void()>> closers;
};

// One admitted connection's place in server_state::connections, from its acceptance until this
// object is destroyed with the connection's coroutine frame (whether it ran to its end or the
// io_context was destroyed first). Move-only.
class connection_slot {
 public:
  connection_slot(std::shared_ptr<server_state> state, asio::ip::address address)
      : state_(std::move(state)), address_(address) {}
  connection_slot(connection_slot&& other) noexcept = default;
  connection_slot& operator=(connection_slot&&) = delete;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot() {
    if (state_) state_->connections.release(address_);
  }

  const asio::ip::address& address() const { return address_; }

 private:
  std::shared_ptr<server_state> state_;  // null once moved from
  asio::ip::address address_;
};

// Registers a session for the lifetime of this object, so that `stop` closes it. Lives in the
// session's coroutine frame, so the closer's captures stay valid exactly as long as it is
// registered.
class session_registration {
 public:
  session_registration(server_state& state, std::function<void()> closer)
      : state_(state), id_(state.next_session_id++) {
    state_.closers.emplace(id_, std::move(closer));
  }
  ~session_registration() { state_.closers.erase(id_); }
  session_registration(const session_registration&) = delete;
  session_registration& operator=(const session_registration&) = delete;

 private:
  server_state& state_;
  std::uint64_t id_;
};

inline std::int64_t now_ms(const server_state& state) { return state.options.clock_ms(); }

// Runs one HTTP connection, admitted into `slot`: completes the TLS handshake first when the
// server has TLS, reads requests (pipelined ones in order), answers each, and hands the stream
// to a WebSocket session on an upgrade to /api/v1/events. The slot is released when the
// connection ends, WebSocket included.
asio::awaitable<void> run_http_session(std::shared_ptr<server_state> state, tcp::socket socket,
                                       connection_slot slot);

// Completes the WebSocket handshake for `req` (already authenticated and routed) and pushes
// service events, as a reader of `clearance` may see them, until either side closes. One
// overload per transport.
asio::awaitable<void> run_websocket_session(std::shared_ptr<server_state> state,
                                            beast::tcp_stream stream, http_request req,
                                            std::string clearance);
asio::awaitable<void> run_websocket_session(std::shared_ptr<server_state> state, tls_stream stream,
                                            http_request req, std::string clearance);

// Logs an exception that ended a coroutine; never rethrows. For co_spawn completion handlers.
void log_session_end(std::exception_ptr e, const char* what);

}  // namespace hotline::api
