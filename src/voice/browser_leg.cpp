#include "voice/browser_leg.hpp"

#include <cassert>
#include <string>

namespace hotline::voice {

result<browser_leg> browser_leg::create(const sdp_offer& offer, ice_credentials local,
                                        std::shared_ptr<const dtls_identity> identity) {
  if (local.ufrag.empty() || local.pwd.empty()) {
    return fail(errc::invalid_argument, "empty local ICE credentials", "local");
  }
  auto dtls = dtls_endpoint::create(std::move(identity), offer.fingerprint);
  if (!dtls) return std::unexpected(dtls.error());
  return browser_leg(std::move(local), offer.ice.ufrag, std::move(*dtls));
}

result<leg_output> browser_leg::receive(const transport_address& from,
                                        std::span<const std::uint8_t> datagram) {
  if (failed()) return fail(errc::conflict, "the browser leg has failed");
  auto kind = classify_datagram(datagram);
  if (!kind) return std::unexpected(kind.error());
  if (peer_ && from != *peer_) {
    return fail(errc::refused, "a datagram from an address other than the nominated one");
  }
  switch (*kind) {
    case datagram_kind::stun:
      return on_stun(from, datagram);
    case datagram_kind::dtls:
      return on_dtls(datagram);
    case datagram_kind::rtp:
    case datagram_kind::rtcp:
      return on_srtp(*kind, datagram);
  }
  return fail(errc::protocol, "unknown datagram kind");
}

result<leg_output> browser_leg::on_stun(const transport_address& from,
                                        std::span<const std::uint8_t> d) {
  auto request = parse_binding_request(d);
  if (!request) return std::unexpected(request.error());
  if (auto ok = authenticate_binding_request(d, *request, local_.ufrag, local_.pwd); !ok) {
    return std::unexpected(ok.error());
  }
  // authenticate_binding_request checked "<local ufrag>:"; the rest must be the offer's ufrag.
  assert(request->username.has_value());
  if (request->username->substr(local_.ufrag.size() + 1) != remote_ufrag_) {
    return fail(errc::refused, "the STUN USERNAME does not name the offer's ufrag");
  }
  if (request->ice_controlled) {
    return fail(errc::protocol, "an ICE-lite station's peer must be controlling");
  }
  auto response = build_binding_success(request->transaction_id, from, local_.pwd);
  if (!response) return std::unexpected(response.error());
  if (request->use_candidate && !peer_) peer_ = from;
  leg_output out;
  out.send.push_back({from, std::move(*response)});
  return out;
}

result<leg_output> browser_leg::on_dtls(std::span<const std::uint8_t> d) {
  if (!peer_) return fail(errc::conflict, "DTLS before the browser nominated a candidate");
  return to_peer(dtls_.feed(d));
}

result<leg_output> browser_leg::to_peer(result<dtls_output> out) {
  if (!out) return std::unexpected(out.error());
  leg_output leg;
  for (auto& d : out->datagrams) {
    assert(peer_.has_value());  // the endpoint only speaks after a datagram from the peer
    leg.send.push_back({*peer_, std::move(d)});
  }
  if (out->keys) {
    assert(!srtp_.has_value());
    auto session = srtp_session::create(out->keys->for_server());
    if (!session) return std::unexpected(session.error());
    srtp_.emplace(std::move(*session));
    profile_ = out->keys->profile;
    leg.connected = true;
  }
  return leg;
}

result<leg_output> browser_leg::on_srtp(datagram_kind kind, std::span<const std::uint8_t> d) {
  if (!srtp_) return fail(errc::conflict, "SRTP before the DTLS handshake keyed it");
  leg_output out;
  if (kind == datagram_kind::rtp) {
    auto plain = srtp_->unprotect(d);
    if (!plain) return std::unexpected(plain.error());
    out.rtp.push_back(std::move(*plain));
  } else {
    auto plain = srtp_->unprotect_rtcp(d);
    if (!plain) return std::unexpected(plain.error());
    out.rtcp.push_back(std::move(*plain));
  }
  return out;
}

std::optional<std::chrono::milliseconds> browser_leg::next_timeout() const {
  return dtls_.next_timeout();
}

result<leg_output> browser_leg::handle_timeout() {
  if (!peer_) return leg_output{};
  return to_peer(dtls_.handle_timeout());
}

result<bytes> browser_leg::protect_rtp(std::span<const std::uint8_t> rtp) {
  if (!srtp_) return fail(errc::conflict, "the browser leg is not connected");
  return srtp_->protect(rtp);
}

result<bytes> browser_leg::protect_rtcp(std::span<const std::uint8_t> rtcp) {
  if (!srtp_) return fail(errc::conflict, "the browser leg is not connected");
  return srtp_->protect_rtcp(rtcp);
}

}  // namespace hotline::voice
