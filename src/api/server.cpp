// The listener: accepts connections, enforces the connection limits, and starts sessions.

#include "api/server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>

#include "api/json.hpp"
#include "api/session.hpp"
#include "core/rate_gate.hpp"

namespace hotline::api {
namespace {

using asio::as_tuple;
using asio::use_awaitable;

// After a failed accept (say, out of file descriptors) the listener pauses this long, so that
// it neither spins nor gives up.
constexpr std::chrono::milliseconds accept_retry_delay{100};

// Refused connections are logged at most once in this long, with how many were not, so that a
// flood of them cannot flood the log as well.
constexpr std::int64_t refusal_log_interval_us = 10'000'000;

// Turns away a connection over a connection limit with a short 503. The answer is far smaller
// than any socket send buffer, so one non-blocking write delivers it without tying up a
// coroutine for a client the server has already decided not to serve.
void refuse(tcp::socket& socket, connection_table::verdict why) {
  const std::string body =
      dump(error_json("unavailable", why == connection_table::verdict::address_full
                                         ? "too many connections from this address; close some "
                                           "or try again shortly"
                                         : "too many connections; try again shortly")) +
      "\n";
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

std::int64_t steady_now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// Starts a session for an accepted connection, or refuses it when connection_table says so.
void admit(const std::shared_ptr<server_state>& state, tcp::socket socket,
           core::rate_gate& refusal_log) {
  beast::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // the client has already gone; the socket closes with this scope
  const auto verdict = state->connections.admit(remote.address());
  if (verdict != connection_table::verdict::admitted) {
    if (const auto unlogged = refusal_log.admit(steady_now_us())) {
      spdlog::warn("api: refused a connection from {} ({} open, {} from that address){}",
                   remote.address().to_string(), state->connections.total(),
                   state->connections.from(remote.address()),
                   *unlogged ? fmt::format("; {} more refused since the last report", *unlogged)
                             : std::string());
    }
    refuse(socket, verdict);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);  // small JSON answers must not wait
  asio::co_spawn(
      state->ioc,
      run_http_session(state, std::move(socket), connection_slot(state, remote.address())),
      [](std::exception_ptr e) { log_session_end(e, "HTTP session"); });
}

asio::awaitable<void> listen(std::shared_ptr<server_state> state) {
  asio::steady_timer retry(state->ioc);
  core::rate_gate refusal_log(1, refusal_log_interval_us);
  while (!state->stopping) {
    auto [ec, socket] = co_await state->acceptor.async_accept(as_tuple(use_awaitable));
    if (state->stopping) break;
    if (ec) {
      spdlog::warn("api: accept failed: {}", ec.message());
      retry.expires_after(accept_retry_delay);
      co_await retry.async_wait(as_tuple(use_awaitable));
      continue;
    }
    admit(state, std::move(socket), refusal_log);
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

asio::ip::address connection_table::key(const asio::ip::address& address) {
  if (!address.is_v6()) return address;
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);  // keep the /64
  return asio::ip::address_v6(bytes);
}

std::size_t connection_table::from(const asio::ip::address& address) const {
  const auto it = per_address_.find(key(address));
  return it == per_address_.end() ? 0 : it->second;
}

connection_table::verdict connection_table::admit(const asio::ip::address& address) {
  const asio::ip::address k = key(address);
  const std::size_t held = from(k);
  if (total_ >= limits::http_connections_max) return verdict::server_full;
  if (held >= limits::http_connections_per_address_max) return verdict::address_full;
  if (total_ >= limits::http_connections_max - limits::http_connections_reserve &&
      held >= limits::http_connections_per_address_in_reserve_max) {
    return verdict::server_full;
  }
  ++per_address_[k];
  ++total_;
  assert(total_ <= limits::http_connections_max);
  return verdict::admitted;
}

void connection_table::release(const asio::ip::address& address) {
  const auto it = per_address_.find(key(address));
  assert(it != per_address_.end() && it->second > 0 && total_ > 0);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --total_;
}

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

std::size_t server::connections() const { return state_->connections.total(); }

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
