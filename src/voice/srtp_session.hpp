// One call's SRTP context (RFC 3711) with AEAD_AES_256_GCM (RFC 7714), wrapping libsrtp2.
//
// Between stations the profile is always AEAD_AES_256_GCM. Towards the browser it is whatever
// the DTLS-SRTP handshake negotiated (dtls_endpoint.hpp): the station prefers AEAD_AES_256_GCM,
// then AEAD_AES_128_GCM, and accepts AES128_CM_HMAC_SHA1_80 only from a browser that offers
// nothing else; srtp_profile_keys carries the profile and each direction's key and salt.
//
// A session protects what this station sends with `keys.send` and unprotects what the peer
// sends with `keys.receive`, for any SSRC. The station sends every packet on every healthy path
// at once, encrypted once, so the peer normally receives each packet twice: the replay window
// (srtp_replay_window_packets, wide enough for the delay difference between fibre and
// satellite) refuses the second copy. That refusal is errc::conflict, which is_replay() tells
// apart from a forged or damaged packet (errc::refused), so that the caller counts duplicates
// rather than raising an alarm. A refused packet changes no state.
//
// Errors: protect fails (invalid_argument) on a packet libsrtp2 cannot parse or one over
// rtp_datagram_bytes_max; unprotect fails with errc::conflict (replay: a copy already accepted,
// or older than the window), errc::refused (authentication failed), errc::protocol (malformed),
// or errc::limit (oversize). libsrtp2 allows one wildcard-SSRC template per context, so a
// session holds two: one outbound, one inbound. A session is movable, not copyable, and not
// thread-safe: one thread (one strand) owns it. libsrtp2 is initialised once per process,
// thread-safely, by the first create().
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "voice/byte_order.hpp"
#include "voice/srtp_keys.hpp"

struct srtp_ctx_t_;

namespace hotline::voice {

// 1024 packets of 20 ms: 20 s, far more than the 300 ms one satellite hop adds.
inline constexpr std::size_t srtp_replay_window_packets = 1024;

bool is_replay(const error& e);

enum class srtp_profile { aead_aes_256_gcm, aead_aes_128_gcm, aes128_cm_sha1_80 };

std::string_view to_string(srtp_profile p);
std::size_t srtp_key_bytes(srtp_profile p);   // 32, 16, 16
std::size_t srtp_salt_bytes(srtp_profile p);  // 12, 12, 14

// One session's keys under a negotiated profile: each direction is its master key followed by
// its master salt (srtp_key_bytes + srtp_salt_bytes). Wiped when destroyed.
struct srtp_profile_keys {
  srtp_profile profile = srtp_profile::aead_aes_256_gcm;
  bytes send;     // protects what this end sends
  bytes receive;  // unprotects what the peer sends

  srtp_profile_keys() = default;
  srtp_profile_keys(srtp_profile p, bytes send_key_salt, bytes receive_key_salt)
      : profile(p), send(std::move(send_key_salt)), receive(std::move(receive_key_salt)) {}
  srtp_profile_keys(const srtp_profile_keys&) = default;
  srtp_profile_keys(srtp_profile_keys&&) = default;
  srtp_profile_keys& operator=(const srtp_profile_keys&) = default;
  srtp_profile_keys& operator=(srtp_profile_keys&&) = default;
  ~srtp_profile_keys();
};

class srtp_session {
 public:
  // AEAD_AES_256_GCM with keys from the station-to-station link (srtp_keys.hpp).
  static result<srtp_session> create(const call_srtp_keys& keys);
  // Any profile; fails (invalid_argument) if a direction's key and salt have the wrong length.
  static result<srtp_session> create(const srtp_profile_keys& keys);

  srtp_session(srtp_session&& other) noexcept;
  srtp_session& operator=(srtp_session&& other) noexcept;
  srtp_session(const srtp_session&) = delete;
  srtp_session& operator=(const srtp_session&) = delete;
  ~srtp_session();

  // RTP in, SRTP out (the RTP header in clear, payload encrypted, 16-byte tag appended).
  result<bytes> protect(std::span<const std::uint8_t> rtp);
  result<bytes> unprotect(std::span<const std::uint8_t> srtp);
  result<bytes> protect_rtcp(std::span<const std::uint8_t> rtcp);
  result<bytes> unprotect_rtcp(std::span<const std::uint8_t> srtcp);

 private:
  srtp_session(srtp_ctx_t_* outbound, srtp_ctx_t_* inbound) : tx_(outbound), rx_(inbound) {}
  void release();

  srtp_ctx_t_* tx_ = nullptr;  // protects with keys.send
  srtp_ctx_t_* rx_ = nullptr;  // unprotects with keys.receive
};

}  // namespace hotline::voice
