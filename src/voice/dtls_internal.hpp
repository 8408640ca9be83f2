// Internals shared by dtls_identity.cpp and dtls_endpoint.cpp; not part of the voice API.
//
// dtls_identity::impl owns the station's key, certificate and SSL_CTX. verify_peer is the
// context's certificate callback: it accepts only a self-signed leaf, and only when its SHA-256
// equals the fingerprint the endpoint found in the offer (the endpoint's impl is the SSL's app
// data), so that the fingerprint alone decides.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "voice/dtls_endpoint.hpp"

namespace hotline::voice {

struct dtls_identity::impl {
  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  SSL_CTX* ctx = nullptr;
  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl();
};

namespace dtls_internal {

sha256_fingerprint certificate_fingerprint(X509* cert);
int verify_peer(int preverify_ok, X509_STORE_CTX* store);

}  // namespace dtls_internal
}  // namespace hotline::voice
