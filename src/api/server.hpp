// Server: the station's HTTP API (JSON over HTTP/1.1, plus a WebSocket event stream), written up
// in docs/api.md.
//
// Threading: everything runs on the one io_context given at construction, which must be run by a
// single thread (the station's I/O thread). `start`, `port`, `connections` and `stop` must be
// called on that thread (or before it runs).
//
// Lifetimes: the io_context, the service and the accounts (when given) must outlive the server
// and every session it started. Sessions keep the server's shared state alive, so destroying
// the `server` object while the io_context still runs is safe once `stop` has been called. The
// destructor waits for password checks already queued (at most a few hundred milliseconds).
//
// Failure containment: each connection is its own coroutine with a catch-all completion handler
// that logs; no exception from a session reaches the io_context or the other sessions. A hostile
// client is bounded by the limits in core/limits.hpp: connections in total, per remote address
// and in reserve for new addresses (over them, a short 503 at once), the time to send a request
// header, and the events a WebSocket may leave unread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "config/agreement.hpp"
#include "config/station_config.hpp"
#include "core/error.hpp"
#include "core/limits.hpp"
#include "station/service.hpp"
#include "storage/accounts.hpp"

namespace hotline::api {

struct server_state;

// What the server needs beyond the service and the API tokens; every field is optional.
struct server_options {
  // People, their sessions and the audit log. Null: API tokens only, and no sign-in route.
  storage::accounts* accounts = nullptr;
  // The built web console (index.html and assets/), served at / and /assets/. Empty: none.
  std::filesystem::path console_dir;
  // Serves HTTPS only: every connection must complete a TLS handshake before its first request,
  // and a plain HTTP request gets a short 400 saying so. Null: plain HTTP. Shared, read-only.
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Marks the session cookie Secure. Always so with `tls`; set it alone when a TLS-terminating
  // proxy stands in front of a plain-HTTP API.
  bool secure_cookies = false;
  // Milliseconds since the Unix epoch, UTC. Empty: the system clock. Tests pass their own.
  std::function<std::int64_t()> clock_ms;
  // How long a client has to send a whole request header, and how often a WebSocket opened with
  // a session cookie re-checks its session when no event comes. The defaults are the limits in
  // core/limits.hpp; tests shorten or lengthen them so that nothing they check races the clock.
  std::chrono::microseconds request_header_timeout{limits::http_request_header_timeout_us};
  std::chrono::microseconds websocket_session_check_interval{
      limits::websocket_session_check_interval_us};
};

class server {
 public:
  server(boost::asio::io_context& ioc, station::service& service, config::endpoint listen,
         std::vector<config::api_token> tokens, server_options options = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens (port 0 picks a free port), then starts accepting once the io_context
  // runs. Logs a warning when the address is not loopback and there is no TLS. Fails with errc::io
  // when the address cannot be resolved or bound, and with errc::conflict when already started.
  result<void> start();

  // The bound port; 0 before a successful `start`.
  std::uint16_t port() const;

  // Open HTTP and WebSocket connections, counted from their acceptance to their end.
  std::size_t connections() const;

  // Closes the acceptor and every open connection. Pending reads and writes end at once with
  // an error, so every session finishes within one turn of the io_context. Idempotent.
  void stop();

 private:
  std::shared_ptr<server_state> state_;
  config::endpoint listen_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace hotline::api
