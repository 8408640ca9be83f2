#include "net/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "config/keys.hpp"

namespace hotline::net {
namespace ssl = boost::asio::ssl;

namespace {

std::string key_fingerprint(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (n <= 0) return {};
  std::string fp = config::spki_fingerprint(
      std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n)));
  OPENSSL_free(der);
  return fp;
}

}  // namespace

result<std::shared_ptr<ssl::context>> make_tls_context(const tls_settings& s) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
    return fail(errc::io, "cannot restrict TLS to version 1.3");
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Session tickets would let a later connection skip the certificate check; every link
  // proves its key afresh.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(s.certificate.string(), ec);
  if (ec) return fail(errc::io, "cannot load TLS certificate " + s.certificate.string() + ": " + ec.message());
  ctx->use_private_key_file(s.private_key.string(), ssl::context::pem, ec);
  if (ec) return fail(errc::io, "cannot load TLS key " + s.private_key.string() + ": " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(errc::invalid_argument, "TLS key does not match the certificate");
  }
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return ctx;
}

void install_pin_check(ssl::stream<boost::asio::ip::tcp::socket>& stream, const pin_set& pins,
                       std::shared_ptr<std::string> refusal) {
  stream.set_verify_callback([&pins, refusal](bool /*preverified*/, ssl::verify_context& v) {
    X509_STORE_CTX* store = v.native_handle();
    // Only the leaf's key matters: it is pinned, and no authority vouches for anything.
    if (X509_STORE_CTX_get_error_depth(store) > 0) return true;
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    std::string fp = cert ? key_fingerprint(cert) : std::string{};
    if (!fp.empty() && pins.contains(fp)) {
      X509_STORE_CTX_set_error(store, X509_V_OK);
      return true;
    }
    *refusal = "unknown key " + (fp.empty() ? std::string("(unreadable)") : fp) +
               ": not pinned in the agreement";
    return false;
  });
}

std::string peer_fingerprint(SSL* ssl_handle) {
  X509* cert = SSL_get1_peer_certificate(ssl_handle);
  if (!cert) return {};
  std::string fp = key_fingerprint(cert);
  X509_free(cert);
  return fp;
}

result<std::string> peer_station(SSL* ssl_handle, const pin_set& pins) {
  std::string fp = peer_fingerprint(ssl_handle);
  if (fp.empty()) return fail(errc::refused, "peer presented no certificate");
  auto it = pins.find(fp);
  if (it == pins.end()) return fail(errc::refused, "unknown key " + fp);
  return it->second;
}

}  // namespace hotline::net
