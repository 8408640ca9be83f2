// The station's DTLS certificate and the SSL_CTX every browser handshake starts from.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cassert>
#include <string>

#include "voice/dtls_endpoint.hpp"
#include "voice/dtls_internal.hpp"

namespace hotline::voice {
namespace {

constexpr long certificate_validity_s = 30L * 24 * 3600;
constexpr long certificate_backdate_s = 24L * 3600;  // tolerate a browser's clock a day behind
// The browser's certificate is ECDSA P-256 (Chromium's default) and so is the station's, so
// only ECDSA suites are offered, AEAD only.
constexpr const char* dtls_cipher_list =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
constexpr const char* dtls_srtp_profiles =
    "SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";

result<std::shared_ptr<const dtls_identity>> openssl_failed(std::string_view what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  char text[256] = {};
  ERR_error_string_n(e, text, sizeof text);
  return fail(errc::io, std::string(what) + ": " + text);
}

X509* self_signed(EVP_PKEY* key) {
  X509* x = X509_new();
  if (x == nullptr) return nullptr;
  std::uint32_t serial = 0;
  bool ok = RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) == 1;
  ok = ok && X509_set_version(x, 2) == 1 &&
       ASN1_INTEGER_set(X509_get_serialNumber(x), static_cast<long>(serial & 0x7fffffff)) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -certificate_backdate_s) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(x), certificate_validity_s) != nullptr;
  X509_NAME* name = X509_get_subject_name(x);
  ok = ok && X509_set_pubkey(x, key) == 1 &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>("hotline"), -1, -1,
                                  0) == 1 &&
       X509_set_issuer_name(x, name) == 1 && X509_sign(x, key, EVP_sha256()) > 0;
  if (!ok) {
    X509_free(x);
    return nullptr;
  }
  return x;
}

bool configure(SSL_CTX* ctx, X509* cert, EVP_PKEY* key) {
  SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     dtls_internal::verify_peer);
  // SSL_CTX_set_tlsext_use_srtp returns 0 on success.
  return SSL_CTX_use_certificate(ctx, cert) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
         SSL_CTX_check_private_key(ctx) == 1 &&
         SSL_CTX_set_cipher_list(ctx, dtls_cipher_list) == 1 &&
         SSL_CTX_set1_groups_list(ctx, "X25519:P-256") == 1 &&
         SSL_CTX_set_tlsext_use_srtp(ctx, dtls_srtp_profiles) == 0;
}

result<std::shared_ptr<const dtls_identity>> assemble(EVP_PKEY* key, X509* cert) {
  auto p = std::make_unique<dtls_identity::impl>();
  p->key = key;
  p->cert = cert;
  if (key == nullptr || cert == nullptr) return openssl_failed("no DTLS key or certificate");
  p->ctx = SSL_CTX_new(DTLS_server_method());
  if (p->ctx == nullptr || !configure(p->ctx, cert, key)) {
    return openssl_failed("the DTLS context could not be configured");
  }
  return std::make_shared<const dtls_identity>(std::move(p));
}

}  // namespace

dtls_identity::impl::~impl() {
  SSL_CTX_free(ctx);
  X509_free(cert);
  EVP_PKEY_free(key);
}

dtls_identity::dtls_identity(std::unique_ptr<impl> p) : impl_(std::move(p)) {
  assert(impl_ && impl_->cert != nullptr);
  fingerprint_ = dtls_internal::certificate_fingerprint(impl_->cert);
}

dtls_identity::~dtls_identity() = default;

result<std::shared_ptr<const dtls_identity>> dtls_identity::generate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* cert = key == nullptr ? nullptr : self_signed(key);
  return assemble(key, cert);
}

result<std::shared_ptr<const dtls_identity>> dtls_identity::from_pem(std::string_view cert_pem,
                                                                     std::string_view key_pem) {
  BIO* c = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* k = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = c == nullptr ? nullptr : PEM_read_bio_X509(c, nullptr, nullptr, nullptr);
  EVP_PKEY* key = k == nullptr ? nullptr : PEM_read_bio_PrivateKey(k, nullptr, nullptr, nullptr);
  BIO_free(c);
  BIO_free(k);
  if (cert == nullptr || key == nullptr) {
    X509_free(cert);
    EVP_PKEY_free(key);
    return fail(errc::invalid_argument, "unreadable DTLS certificate or key", "pem");
  }
  return assemble(key, cert);
}

}  // namespace hotline::voice
