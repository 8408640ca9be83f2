// SRTP master keys for one call, derived from the established TLS 1.3 link between the two
// stations, so that no DTLS handshake has to cross a satellite hop.
//
// Both stations call derive_call_keys with the same call id on the same TLS session, and get
// the same 88 bytes from the TLS exporter (RFC 8446 7.5, RFC 5705) under a private label, with
// the call id as the context. The first 44 bytes key the direction from the station whose id
// sorts first (bytewise) to the other; the next 44 key the reverse. Each 44 bytes are an
// AEAD_AES_256_GCM master key (32) and master salt (12), RFC 7714. So each side's `send` is the
// other side's `receive`, and the two directions never share a key.
//
// Keys are bound to one TLS session: a reconnected link exports different bytes. The caller
// derives the keys once, when the call is set up on a link, and holds them for the call; the
// call does not depend on that link staying up. A call id must never repeat on one TLS session
// (the same keys with the same SSRC and sequence numbers would reuse GCM nonces).
//
// Pure apart from the exporter; thread-safe if the exporter is. Key material is wiped when the
// owning value is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "core/error.hpp"

struct ssl_st;

namespace hotline::voice {

inline constexpr std::size_t srtp_master_key_bytes = 32;   // AES-256
inline constexpr std::size_t srtp_master_salt_bytes = 12;  // RFC 7714 8.2
inline constexpr std::size_t call_id_bytes_max = 64;
inline constexpr std::string_view srtp_exporter_label = "EXPORTER-hotline-voice-srtp";

// Fills `out` with keying material for `label` and `context`; fails with an error if it cannot.
using keying_exporter = std::function<result<void>(
    std::string_view label, std::span<const std::uint8_t> context, std::span<std::uint8_t> out)>;

struct srtp_master {
  std::array<std::uint8_t, srtp_master_key_bytes> key{};
  std::array<std::uint8_t, srtp_master_salt_bytes> salt{};

  srtp_master() = default;
  srtp_master(const srtp_master&) = default;
  srtp_master& operator=(const srtp_master&) = default;
  ~srtp_master();
  bool operator==(const srtp_master&) const = default;
};

struct call_srtp_keys {
  srtp_master send;     // protects what this station sends
  srtp_master receive;  // unprotects what the peer sends
};

// Fails (invalid_argument) on an empty or over-long call id, an empty station id, or a peer
// equal to self; passes on the exporter's error.
result<call_srtp_keys> derive_call_keys(const keying_exporter& exporter, std::string_view call_id,
                                        std::string_view self_station,
                                        std::string_view peer_station);

// The production exporter: SSL_export_keying_material on `ssl`, which must outlive the returned
// function and have completed a TLS 1.3 handshake.
keying_exporter tls_exporter(ssl_st* ssl);

}  // namespace hotline::voice
