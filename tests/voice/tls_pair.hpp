// A real TLS 1.3 client and server joined by an in-memory BIO pair, for tests that need an
// established session (the SRTP key export). The server's certificate is a fresh self-signed
// Ed25519 one; the client does not check it, since these tests are about the session's
// exporter, not about authentication (src/net does that). Single-threaded.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>

namespace hotline::test {

struct ssl_ctx_free {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
  void operator()(SSL* s) const { SSL_free(s); }
};
struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};

class tls_pair {
 public:
  tls_pair() {
    std::unique_ptr<EVP_PKEY, pkey_free> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    std::unique_ptr<X509, x509_free> cert(self_signed(key.get()));
    server_ctx_.reset(SSL_CTX_new(TLS_server_method()));
    client_ctx_.reset(SSL_CTX_new(TLS_client_method()));
    for (SSL_CTX* c : {server_ctx_.get(), client_ctx_.get()}) {
      SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION);
    }
    SSL_CTX_use_certificate(server_ctx_.get(), cert.get());
    SSL_CTX_use_PrivateKey(server_ctx_.get(), key.get());
    SSL_CTX_set_verify(client_ctx_.get(), SSL_VERIFY_NONE, nullptr);
    server_.reset(SSL_new(server_ctx_.get()));
    client_.reset(SSL_new(client_ctx_.get()));
    BIO* client_bio = nullptr;
    BIO* server_bio = nullptr;
    BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
    SSL_set_bio(client_.get(), client_bio, client_bio);
    SSL_set_bio(server_.get(), server_bio, server_bio);
    SSL_set_connect_state(client_.get());
    SSL_set_accept_state(server_.get());
  }

  // Runs both handshakes to completion; true if both ended established.
  bool handshake() {
    for (int round = 0; round < 32; ++round) {
      const int c = SSL_do_handshake(client_.get());
      const int s = SSL_do_handshake(server_.get());
      if (c == 1 && s == 1) return true;
    }
    return false;
  }

  SSL* client() { return client_.get(); }
  SSL* server() { return server_.get(); }

 private:
  static X509* self_signed(EVP_PKEY* key) {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("hotline-test"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, nullptr);
    return x;
  }

  std::unique_ptr<SSL_CTX, ssl_ctx_free> server_ctx_;
  std::unique_ptr<SSL_CTX, ssl_ctx_free> client_ctx_;
  std::unique_ptr<SSL, ssl_free> server_;
  std::unique_ptr<SSL, ssl_free> client_;
};

}  // namespace hotline::test
