#include "net/peer_transport.hpp"

#include <spdlog/spdlog.h>

#include <cassert>

#include "core/limits.hpp"

namespace hotline::net {
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using stream_type = peer_connection::stream_type;

struct peer_transport::impl : std::enable_shared_from_this<peer_transport::impl> {
  asio::io_context& io;
  std::shared_ptr<ssl::context> ctx;
  std::vector<std::shared_ptr<ssl::context>> retired;  // contexts before a key rotation
  pin_set pins;
  handler& h;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::size_t inbound_handshakes = 0;
  bool stopped = false;

  impl(asio::io_context& io_, std::shared_ptr<ssl::context> c, pin_set p, handler& hh)
      : io(io_), ctx(std::move(c)), pins(std::move(p)), h(hh) {}

  void accept(tcp::acceptor& a);
  void handshake_inbound(tcp::socket socket);
  void dial(const std::string& peer, const std::string& path, const config::endpoint& to);
  void resolve(const std::string& peer, const std::string& path, const config::endpoint& to);
  void connect(std::vector<tcp::endpoint> endpoints, const std::string& peer,
               const std::string& path, std::string remote);
  void handshake_outbound(std::unique_ptr<stream_type> stream, const std::string& peer,
                          const std::string& path, std::string remote);
};

namespace {

std::string remote_of(const tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

std::string handshake_reason(const boost::system::error_code& ec, const std::string& refusal) {
  if (!refusal.empty()) return refusal;
  if (ec == asio::error::operation_aborted) return "TLS handshake timed out";
  std::string what = ec.message();
  // OpenSSL's reasons are terse; say what they mean for an operator.
  if (what.find("unsupported protocol") != std::string::npos) {
    return "peer offered an older TLS version; only TLS 1.3 is accepted (" + what + ")";
  }
  if (what.find("wrong version number") != std::string::npos ||
      what.find("http request") != std::string::npos ||
      what.find("packet length too long") != std::string::npos) {
    return "not a TLS client (" + what + ")";
  }
  if (what.find("peer did not return a certificate") != std::string::npos) {
    return "peer presented no certificate";
  }
  return "TLS handshake failed: " + what;
}

// Runs `op` with a deadline: when it passes, the socket closes and the operation fails.
std::shared_ptr<asio::steady_timer> arm_deadline(stream_type& stream) {
  auto timer = std::make_shared<asio::steady_timer>(stream.get_executor());
  timer->expires_after(std::chrono::microseconds(limits::tls_handshake_timeout_us));
  timer->async_wait([&stream](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored;
      stream.lowest_layer().close(ignored);
    }
  });
  return timer;
}

}  // namespace

result<std::unique_ptr<peer_transport>> peer_transport::create(
    asio::io_context& io, const tls_settings& tls, const std::vector<config::endpoint>& listen,
    handler& h) {
  auto ctx = make_tls_context(tls);
  if (!ctx) return std::unexpected(ctx.error());
  auto p = std::make_shared<impl>(io, *ctx, tls.pins, h);
  for (const auto& ep : listen) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(ep.host, ec);
    if (ec) return fail(errc::invalid_argument, "listen address " + ep.to_string() + ": " + ec.message());
    auto a = std::make_unique<tcp::acceptor>(io);
    tcp::endpoint endpoint(address, ep.port);
    a->open(endpoint.protocol(), ec);
    if (!ec) a->set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a->bind(endpoint, ec);
    if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail(errc::io, "cannot listen on " + ep.to_string() + ": " + ec.message());
    p->acceptors.push_back(std::move(a));
  }
  for (auto& a : p->acceptors) p->accept(*a);
  return std::unique_ptr<peer_transport>(new peer_transport(std::move(p)));
}

peer_transport::peer_transport(std::shared_ptr<impl> p) : impl_(std::move(p)) {}

peer_transport::~peer_transport() { stop(); }

result<void> peer_transport::rekey(const tls_settings& tls) {
  auto ctx = make_tls_context(tls);
  if (!ctx) return std::unexpected(ctx.error());
  // Links made under the old context keep it alive; rotations are rare, so it is simply kept.
  impl_->retired.push_back(std::move(impl_->ctx));
  impl_->ctx = std::move(*ctx);
  impl_->pins = tls.pins;
  return {};
}

void peer_transport::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& a : impl_->acceptors) {
    boost::system::error_code ignored;
    a->close(ignored);
  }
}

std::vector<std::uint16_t> peer_transport::bound_ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& a : impl_->acceptors) ports.push_back(a->local_endpoint().port());
  return ports;
}

void peer_transport::dial(const std::string& peer, const std::string& path,
                          const config::endpoint& to) {
  impl_->dial(peer, path, to);
}

void peer_transport::impl::accept(tcp::acceptor& a) {
  a.async_accept([self = shared_from_this(), &a](boost::system::error_code ec, tcp::socket s) {
    if (self->stopped) return;
    if (ec) {
      spdlog::warn("peer listener: accept failed: {}", ec.message());
    } else if (self->inbound_handshakes >= limits::inbound_connections_max) {
      spdlog::warn("peer listener: refused {}: {} handshakes already under way", remote_of(s),
                   limits::inbound_connections_max);
    } else {
      self->handshake_inbound(std::move(s));
    }
    self->accept(a);
  });
}

void peer_transport::impl::handshake_inbound(tcp::socket socket) {
  std::string remote = remote_of(socket);
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto stream = std::make_unique<stream_type>(std::move(socket), *ctx);
  auto refusal = std::make_shared<std::string>();
  install_pin_check(*stream, pins, refusal);
  auto timer = arm_deadline(*stream);
  ++inbound_handshakes;
  stream_type& ref = *stream;
  ref.async_handshake(
      ssl::stream_base::server,
      [self = shared_from_this(), s = std::move(stream), refusal, timer,
       remote](boost::system::error_code ec) mutable {
        timer->cancel();
        --self->inbound_handshakes;
        if (self->stopped) return;
        if (ec) {
          spdlog::warn("peer link from {} refused: {}", remote, handshake_reason(ec, *refusal));
          return;
        }
        auto station = peer_station(s->native_handle(), self->pins);
        if (!station) {
          spdlog::warn("peer link from {} refused: {}", remote, station.error().message);
          return;
        }
        auto conn = std::make_shared<peer_connection>(std::move(s), remote);
        self->h.on_connected(std::move(conn), core::direction::inbound, *station, {});
      });
}

void peer_transport::impl::dial(const std::string& peer, const std::string& path,
                                const config::endpoint& to) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(to.host, ec);
  if (ec) return resolve(peer, path, to);
  connect({tcp::endpoint(address, to.port)}, peer, path, to.to_string());
}

// A host name is resolved in the background (Asio runs getaddrinfo on a thread of its own), so a
// slow name server never holds up the station's I/O thread. getaddrinfo cannot be interrupted:
// when limits::dns_resolve_timeout_us passes first the dial fails there and then, and the late
// answer is ignored.
void peer_transport::impl::resolve(const std::string& peer, const std::string& path,
                                   const config::endpoint& to) {
  auto resolver = std::make_shared<tcp::resolver>(io);
  auto timer = std::make_shared<asio::steady_timer>(io);
  auto settled = std::make_shared<bool>(false);  // the dial has succeeded or failed already
  timer->expires_after(std::chrono::microseconds(limits::dns_resolve_timeout_us));
  timer->async_wait([self = shared_from_this(), resolver, settled, peer, path,
                     host = to.host](boost::system::error_code ec) {
    if (ec || *settled) return;
    *settled = true;
    resolver->cancel();
    if (self->stopped) return;
    self->h.on_dial_failed(peer, path,
                           "cannot resolve " + host + ": no answer within " +
                               std::to_string(limits::dns_resolve_timeout_us / 1000) + " ms");
  });
  resolver->async_resolve(
      to.host, std::to_string(to.port),
      [self = shared_from_this(), resolver, timer, settled, peer, path, host = to.host,
       remote = to.to_string()](boost::system::error_code ec,
                                const tcp::resolver::results_type& results) {
        if (*settled) return;
        *settled = true;
        timer->cancel();
        if (self->stopped) return;
        if (ec || results.empty()) {
          return self->h.on_dial_failed(
              peer, path, "cannot resolve " + host + ": " + (ec ? ec.message() : "no address"));
        }
        std::vector<tcp::endpoint> endpoints;
        for (const auto& entry : results) endpoints.push_back(entry.endpoint());
        self->connect(std::move(endpoints), peer, path, remote);
      });
}

// Tries each address in turn (a name may resolve to IPv6 and IPv4 both) until one accepts.
void peer_transport::impl::connect(std::vector<tcp::endpoint> endpoints, const std::string& peer,
                                   const std::string& path, std::string remote) {
  assert(!endpoints.empty());
  auto stream = std::make_unique<stream_type>(io, *ctx);
  auto timer = arm_deadline(*stream);
  stream_type& ref = *stream;
  asio::async_connect(
      ref.lowest_layer(), endpoints,
      [self = shared_from_this(), s = std::move(stream), timer, peer, path,
       remote = std::move(remote)](boost::system::error_code ec, const tcp::endpoint&) mutable {
        if (self->stopped) return;
        if (ec) {
          timer->cancel();
          return self->h.on_dial_failed(peer, path, "connect to " + remote + ": " + ec.message());
        }
        boost::system::error_code ignored;
        s->lowest_layer().set_option(tcp::no_delay(true), ignored);
        self->handshake_outbound(std::move(s), peer, path, remote);
      });
}

void peer_transport::impl::handshake_outbound(std::unique_ptr<stream_type> stream,
                                              const std::string& peer, const std::string& path,
                                              std::string remote) {
  auto refusal = std::make_shared<std::string>();
  install_pin_check(*stream, pins, refusal);
  auto timer = arm_deadline(*stream);
  stream_type& ref = *stream;
  ref.async_handshake(
      ssl::stream_base::client,
      [self = shared_from_this(), s = std::move(stream), refusal, timer, peer, path,
       remote](boost::system::error_code ec) mutable {
        timer->cancel();
        if (self->stopped) return;
        if (ec) return self->h.on_dial_failed(peer, path, handshake_reason(ec, *refusal));
        auto station = peer_station(s->native_handle(), self->pins);
        if (!station || *station != peer) {
          std::string who = station ? *station : station.error().message;
          return self->h.on_dial_failed(peer, path,
                                        remote + " presented the key of " + who + ", not " + peer);
        }
        auto conn = std::make_shared<peer_connection>(std::move(s), remote);
        self->h.on_connected(std::move(conn), core::direction::outbound, peer, path);
      });
}

}  // namespace hotline::net
