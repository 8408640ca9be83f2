// Fuzz target for the browser's SDP offer parser and the station's answer.
//
// The input is the offer text. Parsing must be deterministic and keep its promises: credentials
// within their bounds and made of ice-chars, a dynamic opus payload type, at most sdp_ssrcs_max
// SSRCs, a mid within its bound, and bundle only with a mid. For every accepted offer an answer
// must build, stay within sdp_bytes_max and name the offer's payload type. A broken rule aborts,
// so libFuzzer and the corpus replay both report it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "voice/sdp.hpp"

namespace {

using namespace hotline::voice;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_sdp: %s\n", what);
  std::abort();
}

bool ice_chars_only(const std::string& s) {
  return s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ==
         std::string::npos;
}

void check_offer(const sdp_offer& o) {
  require(o.ice.ufrag.size() >= ice_ufrag_bytes_min &&
              o.ice.ufrag.size() <= ice_credential_bytes_max && ice_chars_only(o.ice.ufrag),
          "bad ufrag accepted");
  require(o.ice.pwd.size() >= ice_pwd_bytes_min && o.ice.pwd.size() <= ice_credential_bytes_max &&
              ice_chars_only(o.ice.pwd),
          "bad ice-pwd accepted");
  require(o.opus_payload_type >= 96 && o.opus_payload_type <= 127, "opus payload type not dynamic");
  require(o.ssrcs.size() <= sdp_ssrcs_max, "too many SSRCs");
  require(o.mid.size() <= sdp_mid_bytes_max, "mid over its bound");
  require(!o.bundle || !o.mid.empty(), "bundle without a mid");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto offer = parse_offer(text);
  auto again = parse_offer(text);
  require(offer.has_value() == again.has_value(), "parsing is not deterministic");
  if (!offer) return 0;
  require(size <= sdp_bytes_max, "accepted an oversize offer");
  check_offer(*offer);
  require(offer->ice.pwd == again->ice.pwd && offer->fingerprint == again->fingerprint,
          "parsing is not deterministic");
  sdp_answer_params p;
  p.ice = {"StAt", "stationPassword0123456789"};
  p.candidate.ip = {192, 0, 2, 1};
  p.candidate.port = 40000;
  auto answer = build_answer(*offer, p);
  require(answer.has_value(), "no answer for an accepted offer");
  require(answer->size() <= sdp_bytes_max, "answer over sdp_bytes_max");
  const std::string pt = std::to_string(offer->opus_payload_type);
  require(answer->find("a=rtpmap:" + pt + " opus/48000/2\r\n") != std::string::npos,
          "answer does not name the offer's opus payload type");
  return 0;
}
