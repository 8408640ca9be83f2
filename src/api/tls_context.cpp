#include "api/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace hotline::api {
namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2 suites with forward secrecy and an AEAD cipher; TLS 1.3's defaults are all of that.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

result<std::shared_ptr<ssl::context>> make_api_tls_context(
    const std::filesystem::path& certificate, const std::filesystem::path& private_key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1) {
    return fail(errc::io, "cannot restrict the API's TLS to versions 1.2 and 1.3");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                  SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_TICKET);
  // No resumption: tickets need a key kept for as long as the station runs, and a console
  // makes few connections (it keeps them alive), so each does a full handshake.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  // The key goes in first: OpenSSL refuses a key that does not match a certificate already
  // loaded with a bare "key values mismatch", but drops a mismatched key quietly when the
  // certificate comes second, which the check below then reports in words.
  boost::system::error_code ec;
  ctx->use_private_key_file(private_key.string(), ssl::context::pem, ec);
  if (ec) {
    return fail(errc::io, "cannot load the API's TLS key " + private_key.string() + ": " +
                              ec.message(), "listen.api_tls_key");
  }
  ctx->use_certificate_chain_file(certificate.string(), ec);
  if (ec) {
    return fail(errc::io, "cannot load the API's TLS certificate " + certificate.string() + ": " +
                              ec.message(), "listen.api_tls_cert");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();  // so that no later TLS call on this thread reads this failure as its own
    return fail(errc::invalid_argument,
                "the API's TLS key " + private_key.string() + " does not match its certificate " +
                    certificate.string(),
                "listen.api_tls_key");
  }
  ctx->set_verify_mode(ssl::verify_none);  // clients authenticate with passwords or tokens
  return ctx;
}

}  // namespace hotline::api
