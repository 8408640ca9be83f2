// SDP for the browser leg (RFC 8866, JSEP RFC 8829): read the browser's offer and build the
// station's answer, which makes the station an ICE-lite, DTLS-SRTP endpoint for one audio stream.
//
// parse_offer faces the console's browser, which is authenticated but still treated as hostile:
// it reads only inside the text it is given, never throws, and refuses (errc::limit) an offer
// over sdp_bytes_max, more than sdp_lines_max lines or a line over sdp_line_bytes_max, and
// (errc::protocol) a malformed line. It refuses (errc::refused) an offer Hotline cannot answer:
// no audio m-line or more than one m-line, a transport other than UDP/TLS/RTP/SAVPF, no
// opus/48000/2 payload type, no a=rtcp-mux, no sha-256 fingerprint, missing or malformed ICE
// credentials, or an a=setup that does not let the station be the DTLS server. Session-level
// ice-ufrag, ice-pwd, fingerprint and setup apply unless the audio section gives its own.
// a=extmap and every other attribute are ignored.
//
// build_answer takes the station's own credentials, certificate fingerprint and host candidate
// and returns the answer text (CRLF line ends). make_ice_credentials draws a fresh ufrag and
// password from OpenSSL's CSPRNG. All functions are pure apart from that draw, and thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "voice/stun.hpp"

namespace hotline::voice {

// A Chromium audio-only offer is about 2.5 KB in 40 lines; a dozen extmaps and codecs fit
// comfortably in these bounds.
inline constexpr std::size_t sdp_bytes_max = 16384;
inline constexpr std::size_t sdp_lines_max = 256;
inline constexpr std::size_t sdp_line_bytes_max = 1024;
inline constexpr std::size_t sdp_ssrcs_max = 8;  // distinct a=ssrc ids in the audio section
inline constexpr std::size_t sdp_mid_bytes_max = 32;
// RFC 8839 5.4: ufrag 4-256 and password 22-256 ice-chars.
inline constexpr std::size_t ice_ufrag_bytes_min = 4;
inline constexpr std::size_t ice_pwd_bytes_min = 22;
inline constexpr std::size_t ice_credential_bytes_max = 256;
inline constexpr std::size_t sha256_bytes = 32;

using sha256_fingerprint = std::array<std::uint8_t, sha256_bytes>;

struct ice_credentials {
  std::string ufrag;
  std::string pwd;
};

enum class dtls_setup { actpass, active };  // what the offer may say; the station is passive

struct sdp_offer {
  ice_credentials ice;
  sha256_fingerprint fingerprint{};  // the browser's DTLS certificate, SHA-256 of its DER
  dtls_setup setup = dtls_setup::actpass;
  std::string mid;                     // empty if the offer has no a=mid
  bool bundle = false;                 // a=group:BUNDLE names the mid
  std::uint8_t opus_payload_type = 0;  // 96-127 (dynamic)
  std::vector<std::uint32_t> ssrcs;    // the browser's sending SSRCs, at most sdp_ssrcs_max
};

result<sdp_offer> parse_offer(std::string_view sdp);

struct sdp_answer_params {
  ice_credentials ice;               // the station's, from make_ice_credentials
  sha256_fingerprint fingerprint{};  // the station's DTLS certificate
  transport_address candidate;       // the station's one host candidate
  std::uint64_t session_id = 0;      // the o= line's session id (below 2^63)
  std::uint32_t ssrc = 0;            // the SSRC the station sends to the browser with
};

// Fails (invalid_argument) on credentials parse_offer would refuse or a zero candidate port.
result<std::string> build_answer(const sdp_offer& offer, const sdp_answer_params& params);

// A fresh 8-character ufrag and 24-character password (ice-chars) from RAND_bytes; fails (io)
// only if the CSPRNG does.
result<ice_credentials> make_ice_credentials();

// "AB:CD:..." as SDP writes a fingerprint (RFC 8122 5).
std::string format_fingerprint(const sha256_fingerprint& fp);

}  // namespace hotline::voice
