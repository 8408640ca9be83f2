// TLS: the mutually authenticated TLS 1.3 context a station uses for its peer links.
//
// There is no certificate authority. Each side presents a self-signed certificate, and a peer
// is accepted only if the public key in its certificate has a fingerprint pinned in the
// agreement. TLS 1.2 and older are refused, and so is a client without a certificate. A context
// is shared by every connection made while it is current (a key rotation makes a new one); it
// is safe to share across threads.
#pragma once

#include <boost/asio/ssl.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"

namespace hotline::net {

// Fingerprint ("sha256:<hex>") -> station id, for every station this one may talk to.
using pin_set = std::map<std::string, std::string>;

struct tls_settings {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
  pin_set pins;
};

// Builds the TLS 1.3-only context with this station's certificate and key.
result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const tls_settings& s);

// Installs the pinning check on one stream. When the peer's key is not pinned the handshake
// fails and `*refusal` says why (the stream must outlive the handshake, and so must `refusal`).
void install_pin_check(boost::asio::ssl::stream<boost::asio::ip::tcp::socket>& stream,
                       const pin_set& pins, std::shared_ptr<std::string> refusal);

// After a successful handshake: the station whose pinned key the peer presented.
result<std::string> peer_station(SSL* ssl, const pin_set& pins);
// The fingerprint of the key the peer presented; empty when it presented none.
std::string peer_fingerprint(SSL* ssl);

}  // namespace hotline::net
