// A real OpenSSL DTLS 1.2 client over memory BIOs, standing in for the browser in tests of the
// station's DTLS-SRTP endpoint: its own self-signed ECDSA P-256 certificate, use_srtp with the
// profiles a test chooses, and its output split into one datagram per DTLS record. Single-threaded.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "voice/byte_order.hpp"
#include "voice/dtls_endpoint.hpp"
#include "voice/sdp.hpp"

namespace hotline::test {

inline constexpr const char* browser_srtp_profiles =
    "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80";

class dtls_client {
 public:
  // `srtp_profiles` empty: the client does not offer use_srtp at all.
  explicit dtls_client(const std::string& srtp_profiles = browser_srtp_profiles) {
    key_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    cert_ = make_cert(key_);
    ctx_ = SSL_CTX_new(DTLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION);
    SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU);
    SSL_CTX_use_certificate(ctx_, cert_);
    SSL_CTX_use_PrivateKey(ctx_, key_);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    if (!srtp_profiles.empty()) SSL_CTX_set_tlsext_use_srtp(ctx_, srtp_profiles.c_str());
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in_, -1);
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_mtu(ssl_, 1200);
    SSL_set_connect_state(ssl_);
  }
  ~dtls_client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    X509_free(cert_);
    EVP_PKEY_free(key_);
  }
  dtls_client(const dtls_client&) = delete;
  dtls_client& operator=(const dtls_client&) = delete;

  voice::sha256_fingerprint fingerprint() const {
    voice::sha256_fingerprint fp{};
    unsigned int n = 0;
    X509_digest(cert_, EVP_sha256(), fp.data(), &n);
    return fp;
  }

  // Starts the handshake (or continues it, after a datagram or a timeout); returns what to send.
  std::vector<voice::bytes> step() {
    if (!done_) {
      done_ = SSL_do_handshake(ssl_) == 1;
    } else {
      char buf[2048];
      while (SSL_read(ssl_, buf, sizeof buf) > 0) {
      }
    }
    return drain();
  }

  std::vector<voice::bytes> receive(const voice::bytes& datagram) {
    BIO_write(in_, datagram.data(), static_cast<int>(datagram.size()));
    return step();
  }

  std::vector<voice::bytes> retransmit() {
    DTLSv1_handle_timeout(ssl_);
    return drain();
  }

  bool done() const { return done_; }
  SSL* ssl() { return ssl_; }

  // The same export the endpoint does, from the client's side.
  voice::dtls_srtp_keys keys(voice::srtp_profile profile) {
    const std::size_t k = voice::srtp_key_bytes(profile);
    const std::size_t s = voice::srtp_salt_bytes(profile);
    voice::bytes m(2 * (k + s));
    const std::string label(voice::dtls_srtp_exporter_label);
    EXPECT_EQ(SSL_export_keying_material(ssl_, m.data(), m.size(), label.data(), label.size(),
                                         nullptr, 0, 0),
              1);
    voice::dtls_srtp_keys out;
    out.profile = profile;
    out.client.assign(m.begin(), m.begin() + static_cast<long>(k));
    out.client.insert(out.client.end(), m.begin() + static_cast<long>(2 * k),
                      m.begin() + static_cast<long>(2 * k + s));
    out.server.assign(m.begin() + static_cast<long>(k), m.begin() + static_cast<long>(2 * k));
    out.server.insert(out.server.end(), m.begin() + static_cast<long>(2 * k + s), m.end());
    return out;
  }

  // Splits what the client wrote into DTLS records (13-byte header, length in bytes 11-12), one
  // datagram each, as a browser's network stack would send them.
  std::vector<voice::bytes> drain() {
    std::vector<voice::bytes> out;
    char* data = nullptr;
    const long n = BIO_get_mem_data(out_, &data);
    std::span<const std::uint8_t> all(reinterpret_cast<const std::uint8_t*>(data),
                                      static_cast<std::size_t>(n));
    while (all.size() >= 13) {
      const std::size_t len = 13 + voice::load_be16(all, 11);
      if (len > all.size()) break;
      out.emplace_back(all.begin(), all.begin() + static_cast<long>(len));
      all = all.subspan(len);
    }
    (void)BIO_reset(out_);
    return out;
  }

  // A self-signed certificate for `key`; the caller frees it.
  static X509* make_cert(EVP_PKEY* key) {
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("browser"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    return x;
  }

 private:
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
  bool done_ = false;
};

}  // namespace hotline::test
