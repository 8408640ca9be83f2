// API TLS: the server-side TLS context for the HTTP API and the web console, when the station
// config names a certificate for them ([listen] api_tls_cert and api_tls_key).
//
// This is not the peer links' context (net/tls.hpp). Browsers and the CLI are the clients here:
// they check the certificate against the authorities they trust (or a pinned file), and present
// none of their own. TLS 1.3 is preferred and TLS 1.2 accepted, with forward-secret AEAD suites
// only; compression, renegotiation and session tickets are off. The context is created once and
// shared by every connection; it is safe to share across threads.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>

#include "core/error.hpp"

namespace hotline::api {

// Loads the PEM certificate chain and private key. Fails with errc::io when a file cannot be
// read or parsed, and errc::invalid_argument when the key does not match the certificate.
// Browsers refuse Ed25519 server certificates; use ECDSA P-256 or RSA for the console.
result<std::shared_ptr<boost::asio::ssl::context>> make_api_tls_context(
    const std::filesystem::path& certificate, const std::filesystem::path& private_key);

}  // namespace hotline::api
