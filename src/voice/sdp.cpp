#include "voice/sdp.hpp"

#include <arpa/inet.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <charconv>

namespace hotline::voice {
namespace {

constexpr std::string_view ice_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t answer_ufrag_chars = 8;  // 48 bits
constexpr std::size_t answer_pwd_chars = 24;   // 144 bits
// RFC 8445 5.1.2.1: type preference 126 (host), local preference 65535, component 1.
constexpr std::uint32_t host_candidate_priority = 2130706431;
constexpr std::string_view opus_fmtp =
    "minptime=20;useinbandfec=1;usedtx=0;stereo=0;sprop-stereo=0;cbr=1;maxaveragebitrate=24000";

// What one section (the session, or the audio m-line) says about transport.
struct section_attrs {
  std::optional<std::string> ufrag;
  std::optional<std::string> pwd;
  std::optional<sha256_fingerprint> fingerprint;
  std::optional<dtls_setup> setup;
};

struct parse_state {
  section_attrs session;
  section_attrs audio;
  std::size_t media_sections = 0;
  bool audio_seen = false;
  bool rtcp_mux = false;
  std::string mid;
  std::vector<std::string> bundle_mids;
  std::vector<std::uint8_t> formats;       // the m-line's payload types, in preference order
  std::vector<std::uint8_t> opus_formats;  // those mapped to opus/48000/2
  std::vector<std::uint32_t> ssrcs;
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Splits on single spaces; empty fields (two spaces) are kept so that callers refuse them.
std::vector<std::string_view> fields(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) return out;
    s.remove_prefix(sp + 1);
  }
}

bool valid_ice(std::string_view s, std::size_t min) {
  return s.size() >= min && s.size() <= ice_credential_bytes_max &&
         s.find_first_not_of(ice_chars) == std::string_view::npos;
}

bool valid_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_.!#$%&'*+^`{|}~").find(c) != std::string_view::npos;
  });
}

std::optional<sha256_fingerprint> parse_fingerprint_hex(std::string_view hex) {
  if (hex.size() != sha256_bytes * 3 - 1) return std::nullopt;
  sha256_fingerprint fp{};
  for (std::size_t i = 0; i < sha256_bytes; ++i) {
    if (i > 0 && hex[i * 3 - 1] != ':') return std::nullopt;
    std::uint8_t v = 0;
    const char* p = hex.data() + i * 3;
    auto [end, ec] = std::from_chars(p, p + 2, v, 16);
    if (ec != std::errc{} || end != p + 2) return std::nullopt;
    fp[i] = v;
  }
  return fp;
}

result<void> malformed(std::string_view what) {
  return fail(errc::protocol, "malformed SDP: " + std::string(what));
}

template <class T>
result<void> set_once(std::optional<T>& slot, T value, std::string_view name) {
  if (slot) return malformed("duplicate a=" + std::string(name));
  slot = std::move(value);
  return {};
}

result<void> on_fingerprint(section_attrs& s, std::string_view v) {
  const auto f = fields(v);
  if (f.size() != 2) return malformed("a=fingerprint");
  if (!iequals(f[0], "sha-256")) return {};  // another hash; the sha-256 one must also be there
  auto fp = parse_fingerprint_hex(f[1]);
  if (!fp) return malformed("a=fingerprint:sha-256");
  return set_once(s.fingerprint, *fp, "fingerprint:sha-256");
}

result<void> on_setup(section_attrs& s, std::string_view v) {
  if (v == "actpass") return set_once(s.setup, dtls_setup::actpass, "setup");
  if (v == "active") return set_once(s.setup, dtls_setup::active, "setup");
  if (v == "passive" || v == "holdconn") {
    return fail(errc::refused, "the offer's a=setup:" + std::string(v) +
                                   " would make the station the DTLS client; Hotline is passive");
  }
  return malformed("a=setup");
}

// Attributes that may appear at session level or in the audio section.
result<bool> on_transport_attr(section_attrs& s, std::string_view name, std::string_view v) {
  result<void> r;
  if (name == "ice-ufrag") {
    r = set_once(s.ufrag, std::string(v), name);
  } else if (name == "ice-pwd") {
    r = set_once(s.pwd, std::string(v), name);
  } else if (name == "fingerprint") {
    r = on_fingerprint(s, v);
  } else if (name == "setup") {
    r = on_setup(s, v);
  } else {
    return false;
  }
  if (!r) return std::unexpected(r.error());
  return true;
}

result<void> on_rtpmap(parse_state& st, std::string_view v) {
  const auto f = fields(v);
  if (f.size() != 2) return malformed("a=rtpmap");
  const auto pt = to_number<unsigned>(f[0]);
  if (!pt || *pt > 127) return malformed("a=rtpmap payload type");
  if (!iequals(f[1], "opus/48000/2")) return {};
  const auto p = static_cast<std::uint8_t>(*pt);
  if (std::find(st.opus_formats.begin(), st.opus_formats.end(), p) == st.opus_formats.end()) {
    st.opus_formats.push_back(p);
  }
  return {};
}

result<void> on_ssrc(parse_state& st, std::string_view v) {
  const auto id = to_number<std::uint32_t>(v.substr(0, v.find(' ')));
  if (!id) return malformed("a=ssrc");
  if (std::find(st.ssrcs.begin(), st.ssrcs.end(), *id) != st.ssrcs.end()) return {};
  if (st.ssrcs.size() >= sdp_ssrcs_max) return fail(errc::limit, "too many a=ssrc ids");
  st.ssrcs.push_back(*id);
  return {};
}

result<void> on_audio_attr(parse_state& st, std::string_view name, std::string_view v) {
  if (name == "rtcp-mux") {
    st.rtcp_mux = true;
  } else if (name == "mid") {
    if (!st.mid.empty()) return malformed("duplicate a=mid");
    if (v.size() > sdp_mid_bytes_max || !valid_token(v)) return malformed("a=mid");
    st.mid = std::string(v);
  } else if (name == "rtpmap") {
    return on_rtpmap(st, v);
  } else if (name == "ssrc") {
    return on_ssrc(st, v);
  }
  return {};  // a=extmap, a=rtcp-fb, a=fmtp of other codecs, a=msid, ...: not Hotline's concern
}

result<void> on_session_attr(parse_state& st, std::string_view name, std::string_view v) {
  if (name != "group") return {};
  const auto f = fields(v);
  if (f.empty() || f[0] != "BUNDLE") return {};
  st.bundle_mids.assign(f.begin() + 1, f.end());
  return {};
}

result<void> on_attribute(parse_state& st, std::string_view value) {
  const auto colon = value.find(':');
  const std::string_view name = value.substr(0, colon);
  const std::string_view v = colon == std::string_view::npos ? "" : value.substr(colon + 1);
  if (st.media_sections == 0) {
    auto t = on_transport_attr(st.session, name, v);
    if (!t) return std::unexpected(t.error());
    return *t ? result<void>{} : on_session_attr(st, name, v);
  }
  auto t = on_transport_attr(st.audio, name, v);
  if (!t) return std::unexpected(t.error());
  return *t ? result<void>{} : on_audio_attr(st, name, v);
}

result<void> on_media(parse_state& st, std::string_view value) {
  if (++st.media_sections > 1) {
    return fail(errc::refused, "Hotline answers exactly one m-line (audio); the offer has more");
  }
  const auto f = fields(value);
  if (f.size() < 4) return malformed("m= line");
  if (f[0] != "audio") return fail(errc::refused, "the offer's m-line is not audio");
  if (f[2] != "UDP/TLS/RTP/SAVPF") {
    return fail(errc::refused, "the audio m-line's transport is not UDP/TLS/RTP/SAVPF");
  }
  if (f.size() - 3 > 128) return fail(errc::limit, "too many payload types on the m-line");
  for (std::size_t i = 3; i < f.size(); ++i) {
    const auto pt = to_number<unsigned>(f[i]);
    if (!pt || *pt > 127) return malformed("m= payload type");
    st.formats.push_back(static_cast<std::uint8_t>(*pt));
  }
  st.audio_seen = true;
  return {};
}

result<void> on_line(parse_state& st, std::size_t index, std::string_view line) {
  if (line.size() > sdp_line_bytes_max) return fail(errc::limit, "an SDP line is too long");
  if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
    return malformed("line " + std::to_string(index + 1));
  }
  if (index == 0 && line != "v=0") return malformed("the first line must be v=0");
  const std::string_view value = line.substr(2);
  switch (line[0]) {
    case 'm':
      return on_media(st, value);
    case 'a':
      return on_attribute(st, value);
    default:
      return {};  // o=, s=, t=, c=, b=, ...: nothing Hotline answers depends on them
  }
}

result<void> split_and_parse(parse_state& st, std::string_view sdp) {
  std::size_t index = 0;
  while (!sdp.empty()) {
    if (index >= sdp_lines_max) return fail(errc::limit, "the SDP has too many lines");
    const auto nl = sdp.find('\n');
    std::string_view line = sdp.substr(0, nl);
    sdp.remove_prefix(nl == std::string_view::npos ? sdp.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto r = on_line(st, index, line); !r) return r;
    ++index;
  }
  if (index == 0) return malformed("empty");
  return {};
}

template <class T>
std::optional<T> pick(const std::optional<T>& media, const std::optional<T>& session) {
  return media ? media : session;
}

result<sdp_offer> finish(const parse_state& st) {
  if (!st.audio_seen) return fail(errc::refused, "the offer has no audio m-line");
  if (!st.rtcp_mux) return fail(errc::refused, "the offer's audio does not use a=rtcp-mux");
  sdp_offer o;
  const auto it = std::find_first_of(st.formats.begin(), st.formats.end(), st.opus_formats.begin(),
                                     st.opus_formats.end());
  if (it == st.formats.end()) return fail(errc::refused, "the offer has no opus/48000/2");
  if (*it < 96) return fail(errc::refused, "opus must use a dynamic payload type (96-127)");
  o.opus_payload_type = *it;
  const auto ufrag = pick(st.audio.ufrag, st.session.ufrag);
  const auto pwd = pick(st.audio.pwd, st.session.pwd);
  if (!ufrag || !valid_ice(*ufrag, ice_ufrag_bytes_min)) {
    return fail(errc::refused, "the offer has no valid a=ice-ufrag");
  }
  if (!pwd || !valid_ice(*pwd, ice_pwd_bytes_min)) {
    return fail(errc::refused, "the offer has no valid a=ice-pwd");
  }
  const auto fp = pick(st.audio.fingerprint, st.session.fingerprint);
  if (!fp) return fail(errc::refused, "the offer has no a=fingerprint:sha-256");
  o.ice = {*ufrag, *pwd};
  o.fingerprint = *fp;
  o.setup = pick(st.audio.setup, st.session.setup).value_or(dtls_setup::actpass);
  o.mid = st.mid;
  o.bundle = !o.mid.empty() &&
             std::find(st.bundle_mids.begin(), st.bundle_mids.end(), o.mid) != st.bundle_mids.end();
  o.ssrcs = st.ssrcs;
  return o;
}

std::string format_address(const transport_address& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.ip.data(), text, sizeof text);
  return text;
}

}  // namespace

result<sdp_offer> parse_offer(std::string_view sdp) {
  if (sdp.size() > sdp_bytes_max) return fail(errc::limit, "the SDP offer is too large");
  parse_state st;
  if (auto r = split_and_parse(st, sdp); !r) return std::unexpected(r.error());
  return finish(st);
}

std::string format_fingerprint(const sha256_fingerprint& fp) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < fp.size(); ++i) {
    if (i > 0) out += ':';
    out += hex[fp[i] >> 4];
    out += hex[fp[i] & 15];
  }
  return out;
}

result<std::string> build_answer(const sdp_offer& offer, const sdp_answer_params& p) {
  if (!valid_ice(p.ice.ufrag, ice_ufrag_bytes_min) || !valid_ice(p.ice.pwd, ice_pwd_bytes_min)) {
    return fail(errc::invalid_argument, "invalid local ICE credentials", "ice");
  }
  if (p.candidate.port == 0) return fail(errc::invalid_argument, "candidate port 0", "candidate");
  const std::string pt = std::to_string(offer.opus_payload_type);
  const std::string addr = format_address(p.candidate);
  const std::string ip = p.candidate.v6 ? "IP6 " : "IP4 ";
  const std::string port = std::to_string(p.candidate.port);
  std::string s;
  auto line = [&s](std::string_view l) { (s += l) += "\r\n"; };
  line("v=0");
  line("o=- " + std::to_string(p.session_id & 0x7fffffffffffffffULL) + " 2 IN IP4 127.0.0.1");
  line("s=-");
  line("t=0 0");
  line("a=ice-lite");
  if (offer.bundle) line("a=group:BUNDLE " + offer.mid);
  line("m=audio " + port + " UDP/TLS/RTP/SAVPF " + pt);
  line("c=IN " + ip + addr);
  if (!offer.mid.empty()) line("a=mid:" + offer.mid);
  line("a=ice-ufrag:" + p.ice.ufrag);
  line("a=ice-pwd:" + p.ice.pwd);
  line("a=fingerprint:sha-256 " + format_fingerprint(p.fingerprint));
  line("a=setup:passive");
  line("a=candidate:1 1 udp " + std::to_string(host_candidate_priority) + " " + addr + " " + port +
       " typ host");
  line("a=end-of-candidates");
  line("a=rtcp-mux");
  line("a=sendrecv");
  line("a=rtpmap:" + pt + " opus/48000/2");
  line("a=fmtp:" + pt + " " + std::string(opus_fmtp));
  line("a=ptime:20");
  if (p.ssrc != 0) line("a=ssrc:" + std::to_string(p.ssrc) + " cname:hotline");
  return s;
}

result<ice_credentials> make_ice_credentials() {
  std::array<unsigned char, answer_ufrag_chars + answer_pwd_chars> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return fail(errc::io, "the CSPRNG failed");
  }
  static_assert(ice_chars.size() == 64);  // so `& 63` draws each character uniformly
  ice_credentials c;
  for (std::size_t i = 0; i < random.size(); ++i) {
    (i < answer_ufrag_chars ? c.ufrag : c.pwd) += ice_chars[random[i] & 63];
  }
  assert(valid_ice(c.ufrag, ice_ufrag_bytes_min) && valid_ice(c.pwd, ice_pwd_bytes_min));
  return c;
}

}  // namespace hotline::voice
