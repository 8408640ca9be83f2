// The media plane towards one browser's peer connection: the station's ICE-lite, DTLS-SRTP end
// of it, sans-I/O. Datagrams from the media socket go in with their source address; datagrams
// to send (with their destination), plain RTP and RTCP from the browser come out.
//
// One leg is made per call from the browser's offer (sdp.hpp), the station's ICE credentials
// (the answer's) and its DTLS identity. It:
// - answers STUN Binding requests that authenticate with the station's ICE credentials (and
//   name the offer's ufrag as the sender), from any source, until it is locked: the first
//   authenticated request carrying USE-CANDIDATE (the browser's nomination; the station is
//   ICE-lite, so the browser is always controlling) locks the leg onto that request's source;
// - from then on drops everything from any other source (errc::refused);
// - feeds DTLS from the locked address to its dtls_endpoint, and once the handshake has keyed
//   SRTP, unprotects SRTP and SRTCP into plain RTP and RTCP.
// Every datagram is hostile. An error from receive() means that datagram was dropped and
// nothing else changed, except where failed() turns true: a fatal DTLS error (a certificate
// that does not match the offer's fingerprint, the handshake byte limit), after which every
// datagram is refused (errc::conflict) and the call must be torn down. Nothing is queued: a
// datagram that comes too early (DTLS before nomination, SRTP before the keys) is dropped
// (errc::conflict), and the browser's own retransmission brings it again.
//
// Not thread-safe: one thread (one strand) owns a leg. Movable, not copyable.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "voice/byte_order.hpp"
#include "voice/dtls_endpoint.hpp"
#include "voice/rtp.hpp"
#include "voice/sdp.hpp"
#include "voice/srtp_session.hpp"
#include "voice/stun.hpp"

namespace hotline::voice {

struct outgoing_datagram {
  transport_address to;
  bytes data;
};

struct leg_output {
  std::vector<outgoing_datagram> send;  // STUN answers and DTLS records, in order
  std::vector<bytes> rtp;               // plain RTP from the browser (already authenticated)
  std::vector<bytes> rtcp;              // plain RTCP from the browser
  bool connected = false;               // this datagram completed the DTLS handshake
};

class browser_leg {
 public:
  static result<browser_leg> create(const sdp_offer& offer, ice_credentials local,
                                    std::shared_ptr<const dtls_identity> identity);

  result<leg_output> receive(const transport_address& from, std::span<const std::uint8_t> datagram);

  // The DTLS retransmission timer (dtls_endpoint::next_timeout).
  std::optional<std::chrono::milliseconds> next_timeout() const;
  result<leg_output> handle_timeout();

  // RTP and RTCP towards the browser, once connected(); fails (errc::conflict) before.
  result<bytes> protect_rtp(std::span<const std::uint8_t> rtp);
  result<bytes> protect_rtcp(std::span<const std::uint8_t> rtcp);

  const std::optional<transport_address>& peer() const { return peer_; }
  bool connected() const { return srtp_.has_value(); }
  bool failed() const { return dtls_.failed(); }
  bool closed() const { return dtls_.closed(); }  // the browser sent close_notify
  std::optional<srtp_profile> profile() const { return profile_; }

 private:
  browser_leg(ice_credentials local, std::string remote_ufrag, dtls_endpoint dtls)
      : local_(std::move(local)), remote_ufrag_(std::move(remote_ufrag)), dtls_(std::move(dtls)) {}

  result<leg_output> on_stun(const transport_address& from, std::span<const std::uint8_t> d);
  result<leg_output> on_dtls(std::span<const std::uint8_t> d);
  result<leg_output> on_srtp(datagram_kind kind, std::span<const std::uint8_t> d);
  result<leg_output> to_peer(result<dtls_output> out);

  ice_credentials local_;
  std::string remote_ufrag_;
  dtls_endpoint dtls_;
  std::optional<transport_address> peer_;  // Invariant: set once, never changed
  std::optional<srtp_session> srtp_;       // Invariant: set only after the DTLS handshake
  std::optional<srtp_profile> profile_;
};

}  // namespace hotline::voice
