// The station's DTLS-SRTP endpoint towards one browser (RFC 5764, RFC 8827): a DTLS 1.2 server
// over OpenSSL that takes datagrams in and hands back datagrams to send and, once the handshake
// is done, the SRTP keys. Sans-I/O: it touches no socket; OpenSSL reads the clock only for its
// retransmission timer, which the caller drives through next_timeout() and handle_timeout().
//
// dtls_identity is the station's certificate for a run: a fresh self-signed ECDSA P-256
// certificate (or one passed in) and an SSL_CTX configured once. Its fingerprint goes into the
// SDP answer. It is immutable after create() and may be shared between endpoints and threads.
//
// dtls_endpoint is one handshake with one browser. The browser's certificate must be
// self-signed, and the SHA-256 of its DER must equal the offer's a=fingerprint: the check runs
// inside OpenSSL's verify callback, so a mismatch aborts the handshake with an alert (a refusal,
// errc::refused), never a warning. The endpoint offers use_srtp with AEAD_AES_256_GCM,
// AEAD_AES_128_GCM and AES128_CM_HMAC_SHA1_80 in that order of preference (OpenSSL picks the
// server's first that the client offers), and refuses a client that offers none.
//
// feed() faces the network. It never throws. It refuses (errc::limit) a datagram over
// dtls_datagram_bytes_max and any datagram once dtls_handshake_bytes_max bytes were fed before
// the handshake finished. Garbage that OpenSSL drops silently (as DTLS requires) comes back as an
// empty output; a fatal handshake error (errc::refused for the fingerprint or certificate,
// errc::protocol otherwise) leaves the endpoint failed(), and every later call fails. After the
// handshake, application data is discarded (the station carries no data channel) and a
// close_notify sets closed().
//
// Not thread-safe: one thread (one strand) owns an endpoint. Movable, not copyable.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "voice/byte_order.hpp"
#include "voice/sdp.hpp"
#include "voice/srtp_session.hpp"

namespace hotline::voice {

// A browser's whole DTLS 1.2 handshake (its flights, retransmissions included) is about 3 KB.
inline constexpr std::size_t dtls_handshake_bytes_max = 65536;
inline constexpr std::size_t dtls_datagram_bytes_max = 1500;  // rtp_datagram_bytes_max
// Records the endpoint sends stay under the IPv6 minimum MTU less IP and UDP headers.
inline constexpr std::size_t dtls_mtu_bytes = 1200;
inline constexpr std::chrono::milliseconds dtls_initial_retransmit_ms{400};
inline constexpr std::chrono::milliseconds dtls_retransmit_ms_max{8000};
inline constexpr std::string_view dtls_srtp_exporter_label = "EXTRACTOR-dtls_srtp";

class dtls_identity {
 public:
  // A fresh ECDSA P-256 key and a self-signed certificate valid for 30 days.
  static result<std::shared_ptr<const dtls_identity>> generate();
  // PEM certificate and private key (for tests, and a station that keeps its certificate).
  static result<std::shared_ptr<const dtls_identity>> from_pem(std::string_view cert_pem,
                                                               std::string_view key_pem);

  const sha256_fingerprint& fingerprint() const { return fingerprint_; }

  struct impl;
  explicit dtls_identity(std::unique_ptr<impl> p);
  ~dtls_identity();
  impl& handle() const { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
  sha256_fingerprint fingerprint_{};
};

// RFC 5764 4.2: the exporter's output split into the client's and the server's key and salt.
struct dtls_srtp_keys {
  srtp_profile profile = srtp_profile::aead_aes_256_gcm;
  bytes client;  // client write key || client write salt
  bytes server;  // server write key || server write salt
  ~dtls_srtp_keys();
  dtls_srtp_keys() = default;
  dtls_srtp_keys(const dtls_srtp_keys&) = default;
  dtls_srtp_keys(dtls_srtp_keys&&) = default;
  dtls_srtp_keys& operator=(const dtls_srtp_keys&) = default;
  dtls_srtp_keys& operator=(dtls_srtp_keys&&) = default;

  // The station is the DTLS server: it sends with the server's keys.
  srtp_profile_keys for_server() const { return {profile, server, client}; }
  srtp_profile_keys for_client() const { return {profile, client, server}; }
};

struct dtls_output {
  std::vector<bytes> datagrams;        // to send to the browser, in order
  std::optional<dtls_srtp_keys> keys;  // set exactly once: when the handshake completes
};

class dtls_endpoint {
 public:
  // `peer_fingerprint` is the offer's a=fingerprint:sha-256.
  static result<dtls_endpoint> create(std::shared_ptr<const dtls_identity> identity,
                                      const sha256_fingerprint& peer_fingerprint);

  dtls_endpoint(dtls_endpoint&&) noexcept;
  dtls_endpoint& operator=(dtls_endpoint&&) noexcept;
  ~dtls_endpoint();

  result<dtls_output> feed(std::span<const std::uint8_t> datagram);

  // How long until handle_timeout() must be called; nullopt when no retransmission is pending.
  std::optional<std::chrono::milliseconds> next_timeout() const;
  // Retransmits the last flight if its timer has expired (otherwise returns nothing). Fails
  // (errc::unavailable) once OpenSSL has given up after its retransmission limit.
  result<dtls_output> handle_timeout();

  bool established() const;
  bool failed() const;
  bool closed() const;

  struct impl;

 private:
  explicit dtls_endpoint(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;  // on the heap: OpenSSL's callbacks hold its address
};

}  // namespace hotline::voice
