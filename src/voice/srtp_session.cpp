#include "voice/srtp_session.hpp"

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <mutex>
#include <string>

#include "voice/rtp.hpp"

namespace hotline::voice {
namespace {

constexpr std::size_t srtcp_trailer_bytes_max = SRTP_MAX_TRAILER_LEN + 4;  // plus the SRTCP index

result<void> init_library_once() {
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_fail;
  std::call_once(once, [] { status = srtp_init(); });
  if (status != srtp_err_status_ok) return fail(errc::io, "libsrtp2 failed to initialise");
  return {};
}

void set_crypto(srtp_profile profile, srtp_crypto_policy_t* c) {
  switch (profile) {
    case srtp_profile::aead_aes_256_gcm:
      return srtp_crypto_policy_set_aes_gcm_256_16_auth(c);
    case srtp_profile::aead_aes_128_gcm:
      return srtp_crypto_policy_set_aes_gcm_128_16_auth(c);
    case srtp_profile::aes128_cm_sha1_80:
      return srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(c);
  }
}

// A policy for one direction; `material` (key then salt) must outlive srtp_create.
srtp_policy_t policy_for(srtp_profile profile, srtp_ssrc_type_t direction,
                         unsigned char* material) {
  srtp_policy_t p{};
  set_crypto(profile, &p.rtp);
  set_crypto(profile, &p.rtcp);
  p.ssrc.type = direction;
  p.key = material;
  p.window_size = srtp_replay_window_packets;
  p.allow_repeat_tx = 0;
  return p;
}

bytes concatenate(const srtp_master& m) {
  static_assert(SRTP_AES_GCM_256_KEY_LEN_WSALT == srtp_master_key_bytes + srtp_master_salt_bytes);
  bytes out(m.key.begin(), m.key.end());
  out.insert(out.end(), m.salt.begin(), m.salt.end());
  return out;
}

result<bytes> refused_unprotect(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_replay_fail:
      return fail(errc::conflict, "replay: packet already received");
    case srtp_err_status_replay_old:
      return fail(errc::conflict, "replay: packet older than the replay window");
    case srtp_err_status_auth_fail:
      return fail(errc::refused, "SRTP authentication failed");
    default:
      return fail(errc::protocol, "malformed SRTP packet (libsrtp2 status " +
                                      std::to_string(static_cast<int>(status)) + ")");
  }
}

template <class Fn>
result<bytes> run(Fn fn, std::span<const std::uint8_t> in, std::size_t room_bytes) {
  if (in.size() > rtp_datagram_bytes_max) return fail(errc::limit, "packet too large for SRTP");
  bytes buf(in.size() + room_bytes);
  std::copy(in.begin(), in.end(), buf.begin());
  int len = static_cast<int>(in.size());
  const srtp_err_status_t status = fn(buf.data(), &len);
  if (status != srtp_err_status_ok) return refused_unprotect(status);
  assert(len >= 0 && static_cast<std::size_t>(len) <= buf.size());
  buf.resize(static_cast<std::size_t>(len));
  return buf;
}

result<bytes> protect_failed(result<bytes> r) {
  if (r) return r;
  return fail(errc::invalid_argument, "SRTP protect refused the packet: " + r.error().message);
}

// Creates one libsrtp2 context for one direction; nullptr and the status on failure.
srtp_err_status_t create_context(srtp_profile profile, srtp_ssrc_type_t direction,
                                 std::span<const std::uint8_t> key_salt, srtp_t* out) {
  bytes material(key_salt.begin(), key_salt.end());
  srtp_policy_t policy = policy_for(profile, direction, material.data());
  const srtp_err_status_t status = srtp_create(out, &policy);
  OPENSSL_cleanse(material.data(), material.size());
  return status;
}

}  // namespace

bool is_replay(const error& e) { return e.code == errc::conflict; }

std::string_view to_string(srtp_profile p) {
  switch (p) {
    case srtp_profile::aead_aes_256_gcm:
      return "AEAD_AES_256_GCM";
    case srtp_profile::aead_aes_128_gcm:
      return "AEAD_AES_128_GCM";
    case srtp_profile::aes128_cm_sha1_80:
      return "AES128_CM_HMAC_SHA1_80";
  }
  return "unknown";
}

std::size_t srtp_key_bytes(srtp_profile p) { return p == srtp_profile::aead_aes_256_gcm ? 32 : 16; }

std::size_t srtp_salt_bytes(srtp_profile p) {
  return p == srtp_profile::aes128_cm_sha1_80 ? 14 : 12;
}

srtp_profile_keys::~srtp_profile_keys() {
  OPENSSL_cleanse(send.data(), send.size());
  OPENSSL_cleanse(receive.data(), receive.size());
}

result<srtp_session> srtp_session::create(const call_srtp_keys& keys) {
  srtp_profile_keys k;
  k.profile = srtp_profile::aead_aes_256_gcm;
  k.send = concatenate(keys.send);
  k.receive = concatenate(keys.receive);
  return create(k);
}

result<srtp_session> srtp_session::create(const srtp_profile_keys& keys) {
  const std::size_t length = srtp_key_bytes(keys.profile) + srtp_salt_bytes(keys.profile);
  if (keys.send.size() != length || keys.receive.size() != length) {
    return fail(
        errc::invalid_argument,
        "SRTP key and salt have the wrong length for " + std::string(to_string(keys.profile)),
        "keys");
  }
  if (auto ok = init_library_once(); !ok) return std::unexpected(ok.error());
  srtp_t tx = nullptr;
  srtp_t rx = nullptr;
  srtp_err_status_t status = create_context(keys.profile, ssrc_any_outbound, keys.send, &tx);
  if (status == srtp_err_status_ok) {
    status = create_context(keys.profile, ssrc_any_inbound, keys.receive, &rx);
  }
  srtp_session session(tx, rx);  // owns whatever was created, so a failure frees it
  if (status != srtp_err_status_ok) {
    return fail(errc::io, "libsrtp2 could not create a session (status " +
                              std::to_string(static_cast<int>(status)) + ")");
  }
  return session;
}

void srtp_session::release() {
  if (tx_ != nullptr) srtp_dealloc(tx_);
  if (rx_ != nullptr) srtp_dealloc(rx_);
  tx_ = nullptr;
  rx_ = nullptr;
}

srtp_session::srtp_session(srtp_session&& other) noexcept : tx_(other.tx_), rx_(other.rx_) {
  other.tx_ = nullptr;
  other.rx_ = nullptr;
}

srtp_session& srtp_session::operator=(srtp_session&& other) noexcept {
  if (this != &other) {
    release();
    tx_ = other.tx_;
    rx_ = other.rx_;
    other.tx_ = nullptr;
    other.rx_ = nullptr;
  }
  return *this;
}

srtp_session::~srtp_session() { release(); }

result<bytes> srtp_session::protect(std::span<const std::uint8_t> rtp) {
  assert(tx_ != nullptr && rx_ != nullptr);
  if (rtp.size() < rtp_header_bytes_min) return fail(errc::invalid_argument, "not an RTP packet");
  return protect_failed(
      run([this](void* p, int* n) { return srtp_protect(tx_, p, n); }, rtp, SRTP_MAX_TRAILER_LEN));
}

result<bytes> srtp_session::unprotect(std::span<const std::uint8_t> srtp) {
  assert(tx_ != nullptr && rx_ != nullptr);
  if (srtp.size() < rtp_header_bytes_min) return fail(errc::protocol, "SRTP packet is truncated");
  return run([this](void* p, int* n) { return srtp_unprotect(rx_, p, n); }, srtp, 0);
}

result<bytes> srtp_session::protect_rtcp(std::span<const std::uint8_t> rtcp) {
  assert(tx_ != nullptr && rx_ != nullptr);
  if (rtcp.size() < rtcp_header_bytes) return fail(errc::invalid_argument, "not an RTCP packet");
  return protect_failed(run([this](void* p, int* n) { return srtp_protect_rtcp(tx_, p, n); }, rtcp,
                            srtcp_trailer_bytes_max));
}

result<bytes> srtp_session::unprotect_rtcp(std::span<const std::uint8_t> srtcp) {
  assert(tx_ != nullptr && rx_ != nullptr);
  if (srtcp.size() < rtcp_header_bytes) return fail(errc::protocol, "SRTCP packet is truncated");
  return run([this](void* p, int* n) { return srtp_unprotect_rtcp(rx_, p, n); }, srtcp, 0);
}

}  // namespace hotline::voice
