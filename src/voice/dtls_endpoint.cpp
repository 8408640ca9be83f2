#include "voice/dtls_endpoint.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <mutex>
#include <string>

#include "voice/dtls_internal.hpp"

namespace hotline::voice {

struct dtls_endpoint::impl {
  std::shared_ptr<const dtls_identity> identity;
  sha256_fingerprint expected{};
  SSL* ssl = nullptr;
  BIO* in = nullptr;            // a memory BIO holding the one datagram being fed
  std::vector<bytes> outgoing;  // what OpenSSL wrote since the last call, one datagram each
  std::string verify_error;     // why the verify callback refused, if it did
  std::size_t handshake_bytes = 0;
  bool established = false;
  bool failed = false;
  bool closed = false;

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() { SSL_free(ssl); }  // frees both BIOs
};

namespace {

using endpoint_impl = dtls_endpoint::impl;

// Application data after the handshake is read and dropped in chunks of this size, at most this
// many per datagram (one datagram cannot hold more).
constexpr std::size_t app_read_bytes = 2048;
constexpr int app_reads_max = 8;

// A write-only BIO that keeps each write as one datagram. OpenSSL treats every write to a
// datagram BIO as one datagram: it packs a flight's records into writes of at most the MTU set
// with SSL_set_mtu (SSL_OP_NO_QUERY_MTU keeps it from asking the BIO), so boundaries hold.
int sink_write(BIO* b, const char* data, int len) {
  auto* self = static_cast<endpoint_impl*>(BIO_get_data(b));
  if (self == nullptr || len < 0) return -1;
  const auto* p = reinterpret_cast<const std::uint8_t*>(data);
  self->outgoing.emplace_back(p, p + len);
  return len;
}

long sink_ctrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
      return static_cast<long>(dtls_mtu_bytes);
    default:
      return 0;
  }
}

int sink_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* sink_method() {
  static BIO_METHOD* method = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "hotline-dtls-sink");
    if (method == nullptr) return;
    BIO_meth_set_write(method, sink_write);
    BIO_meth_set_ctrl(method, sink_ctrl);
    BIO_meth_set_create(method, sink_create);
  });
  return method;
}

// The retransmission timer: dtls_initial_retransmit_ms, doubling up to dtls_retransmit_ms_max.
unsigned int next_timer_us(SSL*, unsigned int previous_us) {
  constexpr auto initial = std::chrono::microseconds(dtls_initial_retransmit_ms).count();
  constexpr auto ceiling = std::chrono::microseconds(dtls_retransmit_ms_max).count();
  if (previous_us == 0) return static_cast<unsigned int>(initial);
  return static_cast<unsigned int>(std::min<long long>(2LL * previous_us, ceiling));
}

std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "no detail";
  char text[256] = {};
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

std::optional<srtp_profile> profile_of(const SRTP_PROTECTION_PROFILE* p) {
  if (p == nullptr) return std::nullopt;
  switch (p->id) {
    case SRTP_AEAD_AES_256_GCM:
      return srtp_profile::aead_aes_256_gcm;
    case SRTP_AEAD_AES_128_GCM:
      return srtp_profile::aead_aes_128_gcm;
    case SRTP_AES128_CM_SHA1_80:
      return srtp_profile::aes128_cm_sha1_80;
    default:
      return std::nullopt;
  }
}

// RFC 5764 4.2: client key, server key, client salt, server salt.
result<dtls_srtp_keys> export_keys(SSL* ssl) {
  const auto profile = profile_of(SSL_get_selected_srtp_profile(ssl));
  if (!profile) return fail(errc::refused, "the browser did not negotiate a DTLS-SRTP profile");
  const std::size_t k = srtp_key_bytes(*profile);
  const std::size_t s = srtp_salt_bytes(*profile);
  std::array<std::uint8_t, 2 * (32 + 14)> material{};
  assert(2 * (k + s) <= material.size());
  if (SSL_export_keying_material(ssl, material.data(), 2 * (k + s), dtls_srtp_exporter_label.data(),
                                 dtls_srtp_exporter_label.size(), nullptr, 0, 0) != 1) {
    return fail(errc::io, "DTLS-SRTP key export failed: " + openssl_reason());
  }
  dtls_srtp_keys keys;
  keys.profile = *profile;
  const auto* m = material.data();
  keys.client.assign(m, m + k);
  keys.client.insert(keys.client.end(), m + 2 * k, m + 2 * k + s);
  keys.server.assign(m + k, m + 2 * k);
  keys.server.insert(keys.server.end(), m + 2 * k + s, m + 2 * (k + s));
  OPENSSL_cleanse(material.data(), material.size());
  return keys;
}

// Defence in depth: the verify callback has already checked the certificate the peer used.
bool peer_matches(SSL* ssl, const sha256_fingerprint& expected) {
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (peer == nullptr) return false;
  const sha256_fingerprint got = dtls_internal::certificate_fingerprint(peer);
  return CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0;
}

dtls_output take_output(endpoint_impl& self) {
  dtls_output out;
  out.datagrams = std::move(self.outgoing);
  self.outgoing.clear();
  return out;
}

result<dtls_output> fail_endpoint(endpoint_impl& self, errc code, std::string why) {
  self.failed = true;
  self.outgoing.clear();
  return fail(code, std::move(why));
}

result<dtls_output> on_handshake_done(endpoint_impl& self) {
  if (!peer_matches(self.ssl, self.expected)) {
    return fail_endpoint(self, errc::refused, "the browser's certificate does not match the offer");
  }
  auto keys = export_keys(self.ssl);
  if (!keys) return fail_endpoint(self, keys.error().code, keys.error().message);
  self.established = true;
  dtls_output out = take_output(self);
  out.keys = std::move(*keys);
  return out;
}

result<dtls_output> step_handshake(endpoint_impl& self) {
  ERR_clear_error();
  const int r = SSL_do_handshake(self.ssl);
  if (r == 1) return on_handshake_done(self);
  const int e = SSL_get_error(self.ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return take_output(self);
  if (!self.verify_error.empty()) return fail_endpoint(self, errc::refused, self.verify_error);
  return fail_endpoint(self, errc::protocol, "DTLS handshake failed: " + openssl_reason());
}

// After the handshake: a retransmitted client flight makes OpenSSL resend its last flight; data
// records are dropped; close_notify closes.
result<dtls_output> read_after_handshake(endpoint_impl& self) {
  std::array<std::uint8_t, app_read_bytes> sink{};
  for (int i = 0; i < app_reads_max; ++i) {
    ERR_clear_error();
    const int r = SSL_read(self.ssl, sink.data(), static_cast<int>(sink.size()));
    if (r > 0) continue;
    const int e = SSL_get_error(self.ssl, r);
    if (e == SSL_ERROR_ZERO_RETURN) self.closed = true;
    if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
    return fail_endpoint(self, errc::protocol,
                         "DTLS failed after the handshake: " + openssl_reason());
  }
  return take_output(self);
}

}  // namespace

namespace dtls_internal {

sha256_fingerprint certificate_fingerprint(X509* cert) {
  sha256_fingerprint fp{};
  unsigned int n = 0;
  const int ok = X509_digest(cert, EVP_sha256(), fp.data(), &n);
  assert(ok == 1 && n == fp.size());
  (void)ok;
  return fp;
}

int verify_peer(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl == nullptr ? nullptr : static_cast<endpoint_impl*>(SSL_get_app_data(ssl));
  if (self == nullptr) return 0;
  const int err = X509_STORE_CTX_get_error(store);
  if (X509_STORE_CTX_get_error_depth(store) != 0) {
    self->verify_error = "the browser sent a certificate chain, not one self-signed certificate";
    return 0;
  }
  if (preverify_ok == 0 && err != X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
    self->verify_error =
        std::string("the browser's certificate is refused: ") + X509_verify_cert_error_string(err);
    return 0;
  }
  const sha256_fingerprint got = certificate_fingerprint(X509_STORE_CTX_get_current_cert(store));
  if (CRYPTO_memcmp(got.data(), self->expected.data(), got.size()) != 0) {
    self->verify_error = "the browser's certificate does not match the offer's fingerprint";
    return 0;
  }
  return 1;
}

}  // namespace dtls_internal

dtls_srtp_keys::~dtls_srtp_keys() {
  OPENSSL_cleanse(client.data(), client.size());
  OPENSSL_cleanse(server.data(), server.size());
}

result<dtls_endpoint> dtls_endpoint::create(std::shared_ptr<const dtls_identity> identity,
                                            const sha256_fingerprint& peer_fingerprint) {
  if (!identity) return fail(errc::invalid_argument, "no DTLS identity", "identity");
  const BIO_METHOD* method = sink_method();
  if (method == nullptr) return fail(errc::io, "the DTLS output BIO could not be made");
  auto self = std::make_unique<impl>();
  self->identity = std::move(identity);
  self->expected = peer_fingerprint;
  self->ssl = SSL_new(self->identity->handle().ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(method);
  if (self->ssl == nullptr || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return fail(errc::io, "the DTLS session could not be made: " + openssl_reason());
  }
  BIO_set_mem_eof_return(in, -1);  // an empty input means "wait", not end of stream
  BIO_set_data(out, self.get());
  SSL_set_bio(self->ssl, in, out);
  self->in = in;
  SSL_set_app_data(self->ssl, self.get());
  SSL_set_mtu(self->ssl, static_cast<long>(dtls_mtu_bytes));
  DTLS_set_timer_cb(self->ssl, next_timer_us);
  SSL_set_accept_state(self->ssl);
  return dtls_endpoint(std::move(self));
}

dtls_endpoint::dtls_endpoint(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
dtls_endpoint::dtls_endpoint(dtls_endpoint&&) noexcept = default;
dtls_endpoint& dtls_endpoint::operator=(dtls_endpoint&&) noexcept = default;
dtls_endpoint::~dtls_endpoint() = default;

result<dtls_output> dtls_endpoint::feed(std::span<const std::uint8_t> datagram) {
  assert(impl_);
  impl& self = *impl_;
  if (self.failed) return fail(errc::conflict, "the DTLS endpoint has failed");
  if (datagram.size() > dtls_datagram_bytes_max) return fail(errc::limit, "DTLS datagram too big");
  if (!self.established) {
    self.handshake_bytes += datagram.size();
    if (self.handshake_bytes > dtls_handshake_bytes_max) {
      return fail_endpoint(self, errc::limit, "the DTLS handshake exceeded its byte limit");
    }
  }
  if (datagram.empty()) return dtls_output{};
  (void)BIO_reset(self.in);
  BIO_write(self.in, datagram.data(), static_cast<int>(datagram.size()));
  auto out = self.established ? read_after_handshake(self) : step_handshake(self);
  (void)BIO_reset(self.in);  // a datagram's unread remainder never joins the next one
  return out;
}

std::optional<std::chrono::milliseconds> dtls_endpoint::next_timeout() const {
  assert(impl_);
  if (impl_->failed) return std::nullopt;
  timeval tv{};
  if (DTLSv1_get_timeout(impl_->ssl, &tv) != 1) return std::nullopt;
  return std::chrono::milliseconds(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

result<dtls_output> dtls_endpoint::handle_timeout() {
  assert(impl_);
  impl& self = *impl_;
  if (self.failed) return fail(errc::conflict, "the DTLS endpoint has failed");
  ERR_clear_error();
  if (DTLSv1_handle_timeout(self.ssl) < 0) {
    return fail_endpoint(self, errc::unavailable, "the browser stopped answering the handshake");
  }
  return take_output(self);
}

bool dtls_endpoint::established() const { return impl_ && impl_->established; }
bool dtls_endpoint::failed() const { return impl_ && impl_->failed; }
bool dtls_endpoint::closed() const { return impl_ && impl_->closed; }

}  // namespace hotline::voice
