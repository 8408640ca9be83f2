// The listener: accepts connections, enforces the connection limit, and starts sessions.

#include "api/server.hpp"

#include <spdlog/spdlog.h>

#include "api/json.hpp"
#include "api/session.hpp"

namespace hotline::api {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

// After a failed accept (say, out of file descriptors) the listener pauses this long, so that
// it neither spins nor gives up.
constexpr std::chrono::milliseconds accept_retry_delay{100};

// Turns away a connection over limits::http_connections_max with a short 503. The answer is far
// smaller than any socket send buffer, so one non-blocking write delivers it without tying up a
// coroutine for a client the server has already decided not to serve.
void refuse(tcp::socket& socket) {
  const std::string body =
      dump(error_json("unavailable", "too many connections; try again shortly")) + "\n";
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\n"
      "Content-Type: application/json\r\n"
      "Cache-Control: no-store\r\n"
      "X-Content-Type-Options: nosniff\r\n"
      "Content-Security-Policy: default-src 'none'\r\n"
      "Retry-After: 1\r\n"
      "Connection: close\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(asio::buffer(answer), ignored);
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

asio::awaitable<void> listen(std::shared_ptr<server_state> state) {
  asio::steady_timer retry(state->ioc);
  while (!state->stopping) {
    auto [ec, socket] = co_await state->acceptor.async_accept(as_tuple(use_awaitable));
    if (state->stopping) break;
    if (ec) {
      spdlog::warn("api: accept failed: {}", ec.message());
      retry.expires_after(accept_retry_delay);
      co_await retry.async_wait(as_tuple(use_awaitable));
      continue;
    }
    if (state->closers.size() >= limits::http_connections_max) {
      refuse(socket);
      continue;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small JSON answers must not wait
    asio::co_spawn(state->ioc, run_http_session(state, std::move(socket)),
                   [](std::exception_ptr e) { log_session_end(e, "HTTP session"); });
  }
}

result<tcp::endpoint> resolve(asio::io_context& ioc, const config::endpoint& listen) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(listen.host, ec);
  if (!ec) return tcp::endpoint(address, listen.port);
  tcp::resolver resolver(ioc);
  const auto found = resolver.resolve(listen.host, std::to_string(listen.port), ec);
  if (ec || found.empty()) {
    return fail(errc::io, "cannot resolve API listen address " + listen.host + ": " + ec.message(),
                "api_listen");
  }
  return found.begin()->endpoint();
}

}  // namespace

void log_session_end(std::exception_ptr e, const char* what) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    spdlog::error("api: {} ended by an exception: {}", what, x.what());
  } catch (...) {
    spdlog::error("api: {} ended by an unknown exception", what);
  }
}

namespace {

// Fills in what the caller may leave out: the clock, and Secure cookies whenever TLS is on.
server_options completed(server_options options) {
  if (options.tls) options.secure_cookies = true;
  if (!options.clock_ms) {
    options.clock_ms = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    };
  }
  return options;
}

}  // namespace

server::server(asio::io_context& ioc, station::service& service, config::endpoint listen,
               std::vector<config::api_token> tokens, server_options options)
    : state_(std::make_shared<server_state>(ioc, service, authenticator(std::move(tokens)),
                                            completed(std::move(options)))),
      listen_(std::move(listen)) {}

server::~server() {
  stop();
  // Sessions may outlive this object, but the password checks must not outlive the io_context
  // they resume on; closing here, while it certainly exists, lets the queued ones finish.
  state_->passwords.close();
}

result<void> server::start() {
  if (state_->started) return fail(errc::conflict, "the API server is already started");
  auto endpoint = resolve(state_->ioc, listen_);
  if (!endpoint) return std::unexpected(endpoint.error());
  beast::error_code ec;
  tcp::acceptor& acceptor = state_->acceptor;
  if (acceptor.open(endpoint->protocol(), ec); !ec) {
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(*endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    acceptor.close(ec);
    return fail(errc::io,
                "cannot listen on " + listen_.host + ":" + std::to_string(listen_.port) +
                    " for the API: " + ec.message(),
                "api_listen");
  }
  state_->port = acceptor.local_endpoint(ec).port();
  state_->started = true;
  if (!state_->options.tls && !endpoint->address().is_loopback()) {
    spdlog::warn(
        "api: listening on {}:{} WITHOUT TLS: passwords, tokens and session cookies cross the "
        "network in clear. Set [listen] api_tls_cert and api_tls_key, or bind to 127.0.0.1.",
        listen_.host, state_->port);
  }
  asio::co_spawn(state_->ioc, listen(state_),
                 [](std::exception_ptr e) { log_session_end(e, "API listener"); });
  return {};
}

std::uint16_t server::port() const { return state_->port; }

std::size_t server::connections() const { return state_->closers.size(); }

void server::stop() {
  if (stop_requested_.exchange(true)) return;
  asio::dispatch(state_->ioc, [state = state_] {
    if (state->stopping) return;
    state->stopping = true;
    beast::error_code ignored;
    state->acceptor.close(ignored);
    // Closing a socket only queues the sessions' completions, so the map is not changed while
    // this loop walks a copy of it.
    const auto closers = state->closers;
    for (const auto& [id, close] : closers) close();
  });
}

}  // namespace hotline::api
