// Peer transport: listens for and dials TLS links to other stations.
//
// It performs the TCP connect and the TLS handshake (bounded by limits::tls_handshake_timeout_us),
// identifies the peer by its pinned key, and hands the station a ready `peer_connection`.
// Refusals (unknown key, plain TCP, TLS 1.2, a key that belongs to a station other than the one
// dialed) are logged with their reason and the remote address. At most
// limits::inbound_connections_max inbound handshakes run at once. Lives on the station's I/O
// thread; not thread-safe. The handler must outlive the transport.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/agreement.hpp"
#include "core/engine.hpp"
#include "core/error.hpp"
#include "net/peer_connection.hpp"
#include "net/tls.hpp"

namespace hotline::net {

class peer_transport {
 public:
  class handler {
   public:
    virtual ~handler() = default;
    virtual void on_connected(std::shared_ptr<peer_connection> conn, core::direction dir,
                              const std::string& peer, const std::string& path) = 0;
    virtual void on_dial_failed(const std::string& peer, const std::string& path,
                                const std::string& reason) = 0;
  };

  // Binds every listen endpoint. Fails if one cannot be bound.
  static result<std::unique_ptr<peer_transport>> create(boost::asio::io_context& io,
                                                        const tls_settings& tls,
                                                        const std::vector<config::endpoint>& listen,
                                                        handler& h);
  ~peer_transport();

  // Dials `to` and reports the outcome to the handler, never from inside this call: on_connected
  // once the TLS link is up, or on_dial_failed. A host name (not an IP address) is resolved
  // without blocking the I/O thread, within limits::dns_resolve_timeout_us, and every address it
  // resolves to is tried in turn.
  void dial(const std::string& peer, const std::string& path, const config::endpoint& to);
  // A key rotation: connections from now on present `tls`'s certificate and accept only its
  // pins. Links already up are not touched; the station closes those it no longer trusts.
  result<void> rekey(const tls_settings& tls);
  void stop();
  std::vector<std::uint16_t> bound_ports() const;

 private:
  struct impl;
  explicit peer_transport(std::shared_ptr<impl> p);
  // Shared with pending handlers, which check `stopped` before touching the station.
  std::shared_ptr<impl> impl_;
};

}  // namespace hotline::net
