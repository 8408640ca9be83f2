// SDP for the browser leg: a Chromium-like offer parses into what the station needs, every offer
// Hotline cannot answer is refused with a reason, the bounds hold at their edges, and the answer
// carries each line the browser must see.
#include "voice/sdp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hotline::voice {
namespace {

const std::vector<std::string> chromium_offer_lines = {
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "a=extmap-allow-mixed",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:R7xQ",
    "a=ice-pwd:hL0s9XbTqv3Yw2KpZr8mNc4e",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 3C:4E:91:0A:7B:D2:55:18:E6:0F:A4:93:2C:BB:71:8D:19:E0:5A:C3:4F:62:D8:"
    "0B:97:A1:36:EF:20:5C:84:7D",
    "a=setup:actpass",
    "a=mid:0",
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "a=sendrecv",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:13 CN/8000",
    "a=rtpmap:110 telephone-event/48000",
    "a=rtpmap:126 telephone-event/8000",
    "a=ssrc:2386415789 cname:Qw3rTy7uIoP9aSdF",
    "a=ssrc:2386415789 msid:stream track",
};

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) (s += l) += "\r\n";
  return s;
}

// The offer with every line starting with `prefix` replaced by `with` (removed if empty).
std::string offer_with(const std::string& prefix, const std::string& with = "") {
  std::vector<std::string> lines;
  for (const auto& l : chromium_offer_lines) {
    if (l.rfind(prefix, 0) != 0) {
      lines.push_back(l);
    } else if (!with.empty()) {
      lines.push_back(with);
    }
  }
  return join(lines);
}

void expect_refused(const std::string& sdp, errc code, const std::string& why_contains) {
  auto r = parse_offer(sdp);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, code) << r.error().message;
  EXPECT_NE(r.error().message.find(why_contains), std::string::npos) << r.error().message;
}

TEST(sdp_offer, a_chromium_offer_parses) {
  auto o = parse_offer(join(chromium_offer_lines));
  ASSERT_TRUE(o.has_value()) << o.error().message;
  EXPECT_EQ(o->ice.ufrag, "R7xQ");
  EXPECT_EQ(o->ice.pwd, "hL0s9XbTqv3Yw2KpZr8mNc4e");
  EXPECT_EQ(o->fingerprint[0], 0x3c);
  EXPECT_EQ(o->fingerprint[31], 0x7d);
  EXPECT_EQ(format_fingerprint(o->fingerprint).substr(0, 8), "3C:4E:91");
  EXPECT_EQ(o->setup, dtls_setup::actpass);
  EXPECT_EQ(o->mid, "0");
  EXPECT_TRUE(o->bundle);
  EXPECT_EQ(o->opus_payload_type, 111);
  EXPECT_EQ(o->ssrcs, std::vector<std::uint32_t>{2386415789u});
}

TEST(sdp_offer, bare_line_feeds_and_session_level_credentials_are_accepted) {
  std::string fingerprint = "a=fingerprint:sha-256 00";
  for (int i = 1; i < 32; ++i) fingerprint += ":0" + std::to_string(i % 10);
  const std::vector<std::string> lines = {"v=0",
                                          "a=ice-ufrag:abcd",
                                          "a=ice-pwd:0123456789abcdef012345",
                                          fingerprint,
                                          "m=audio 9 UDP/TLS/RTP/SAVPF 96",
                                          "a=rtcp-mux",
                                          "a=rtpmap:96 OPUS/48000/2",
                                          "a=setup:active"};
  std::string sdp;
  for (const auto& l : lines) (sdp += l) += "\n";
  auto o = parse_offer(sdp);
  ASSERT_TRUE(o.has_value()) << o.error().message;
  EXPECT_EQ(o->ice.ufrag, "abcd");
  EXPECT_EQ(o->setup, dtls_setup::active);
  EXPECT_EQ(o->opus_payload_type, 96);
  EXPECT_TRUE(o->mid.empty());
  EXPECT_FALSE(o->bundle);
}

TEST(sdp_offer, what_hotline_cannot_answer_is_refused_with_a_reason) {
  expect_refused(offer_with("m=audio", "m=video 9 UDP/TLS/RTP/SAVPF 111"), errc::refused, "audio");
  expect_refused(offer_with("m=audio"), errc::refused, "no audio");
  expect_refused(offer_with("a=rtpmap:111"), errc::refused, "opus");
  expect_refused(offer_with("a=rtpmap:111", "a=rtpmap:111 opus/48000/1"), errc::refused, "opus");
  expect_refused(offer_with("a=rtcp-mux"), errc::refused, "rtcp-mux");
  expect_refused(offer_with("a=fingerprint",
                            "a=fingerprint:sha-1 3C:4E:91:0A:7B:D2:55:18:E6:0F:"
                            "A4:93:2C:BB:71:8D:19:E0:5A:C3"),
                 errc::refused, "sha-256");
  expect_refused(offer_with("a=ice-ufrag"), errc::refused, "ice-ufrag");
  expect_refused(offer_with("a=ice-pwd"), errc::refused, "ice-pwd");
  expect_refused(offer_with("a=ice-pwd", "a=ice-pwd:short"), errc::refused, "ice-pwd");
  expect_refused(offer_with("a=ice-ufrag", "a=ice-ufrag:R7x:"), errc::refused, "ice-ufrag");
  expect_refused(offer_with("a=setup", "a=setup:passive"), errc::refused, "passive");
  expect_refused(offer_with("m=audio", "m=audio 9 RTP/AVP 111"), errc::refused, "SAVPF");
  std::string two = join(chromium_offer_lines) + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  expect_refused(two, errc::refused, "one m-line");
}

TEST(sdp_offer, malformed_lines_are_protocol_errors) {
  expect_refused(offer_with("v=0", "v=1"), errc::protocol, "v=0");
  expect_refused(offer_with("s=-", "s-"), errc::protocol, "line");
  expect_refused(offer_with("s=-", "S=-"), errc::protocol, "line");
  expect_refused(offer_with("a=fingerprint", "a=fingerprint:sha-256 3C:4E"), errc::protocol,
                 "fingerprint");
  expect_refused(offer_with("a=fingerprint", "a=fingerprint:sha-256 " + std::string(95, 'Z')),
                 errc::protocol, "fingerprint");
  expect_refused(offer_with("a=mid", "a=mid:0 1"), errc::protocol, "mid");
  expect_refused(offer_with("a=rtpmap:111", "a=rtpmap:999 opus/48000/2"), errc::protocol,
                 "payload type");
  expect_refused(offer_with("a=ssrc:2386415789 cname", "a=ssrc:x cname:y"), errc::protocol, "ssrc");
  std::string dup = offer_with("a=sendrecv", "a=ice-ufrag:Other");
  expect_refused(dup, errc::protocol, "duplicate");
  expect_refused("", errc::protocol, "empty");
}

TEST(sdp_offer, limits_hold_at_their_edges) {
  const std::string base = join(chromium_offer_lines);
  // A line of exactly sdp_line_bytes_max passes; one more byte is refused.
  const std::string at_max = "a=x-pad:" + std::string(sdp_line_bytes_max - 8, 'p');
  ASSERT_EQ(at_max.size(), sdp_line_bytes_max);
  EXPECT_TRUE(parse_offer(base + at_max + "\r\n").has_value());
  expect_refused(base + at_max + "p\r\n", errc::limit, "too long");

  std::string many = base;
  for (std::size_t i = chromium_offer_lines.size(); i < sdp_lines_max; ++i) many += "a=x\r\n";
  EXPECT_TRUE(parse_offer(many).has_value());
  expect_refused(many + "a=x\r\n", errc::limit, "too many lines");

  std::string big = base + "a=x-pad:";
  big += std::string(sdp_bytes_max - big.size(), 'p');
  // Over the line bound too, but the whole-text bound is checked first.
  expect_refused(big + "p", errc::limit, "too large");

  std::string ssrcs = base;
  for (std::size_t i = 1; i < sdp_ssrcs_max; ++i) ssrcs += "a=ssrc:" + std::to_string(i) + "\r\n";
  EXPECT_TRUE(parse_offer(ssrcs).has_value());
  expect_refused(ssrcs + "a=ssrc:99 cname:x\r\n", errc::limit, "ssrc");
}

TEST(sdp_answer, carries_every_line_the_browser_needs) {
  auto offer = parse_offer(join(chromium_offer_lines));
  ASSERT_TRUE(offer.has_value());
  auto creds = make_ice_credentials();
  ASSERT_TRUE(creds.has_value());
  sdp_answer_params p;
  p.ice = *creds;
  p.fingerprint.fill(0xab);
  p.candidate.ip = {192, 0, 2, 7};
  p.candidate.port = 40000;
  p.session_id = 77;
  p.ssrc = 0x01020304;
  auto a = build_answer(*offer, p);
  ASSERT_TRUE(a.has_value()) << a.error().message;
  const std::vector<std::string> expected = {
      "v=0\r\n",
      "a=ice-lite\r\n",
      "a=group:BUNDLE 0\r\n",
      "m=audio 40000 UDP/TLS/RTP/SAVPF 111\r\n",
      "c=IN IP4 192.0.2.7\r\n",
      "a=mid:0\r\n",
      "a=ice-ufrag:" + creds->ufrag + "\r\n",
      "a=ice-pwd:" + creds->pwd + "\r\n",
      "a=fingerprint:sha-256 AB:AB:",
      "a=setup:passive\r\n",
      "a=candidate:1 1 udp 2130706431 192.0.2.7 40000 typ host\r\n",
      "a=rtcp-mux\r\n",
      "a=sendrecv\r\n",
      "a=rtpmap:111 opus/48000/2\r\n",
      "a=fmtp:111 minptime=20;useinbandfec=1;usedtx=0;stereo=0;sprop-stereo=0;cbr=1;"
      "maxaveragebitrate=24000\r\n",
      "a=ptime:20\r\n",
      "a=ssrc:16909060 cname:hotline\r\n"};
  for (const std::string& line : expected) {
    EXPECT_NE(a->find(line), std::string::npos) << line;
  }
  EXPECT_EQ(a->find("\n\n"), std::string::npos);
}

TEST(sdp_answer, an_ipv6_candidate_and_bad_credentials) {
  auto offer = parse_offer(join(chromium_offer_lines));
  ASSERT_TRUE(offer.has_value());
  sdp_answer_params p;
  p.ice = *make_ice_credentials();
  p.candidate.v6 = true;
  p.candidate.ip[15] = 1;
  p.candidate.port = 5000;
  auto a = build_answer(*offer, p);
  ASSERT_TRUE(a.has_value());
  EXPECT_NE(a->find("c=IN IP6 ::1\r\n"), std::string::npos);
  p.ice.pwd = "short";
  EXPECT_EQ(build_answer(*offer, p).error().code, errc::invalid_argument);
}

TEST(sdp_answer, ice_credentials_are_fresh_and_well_formed) {
  auto a = make_ice_credentials();
  auto b = make_ice_credentials();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->ufrag.size(), 8u);
  EXPECT_EQ(a->pwd.size(), 24u);
  EXPECT_NE(a->pwd, b->pwd);
  EXPECT_EQ(
      a->pwd.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
      std::string::npos);
}

}  // namespace
}  // namespace hotline::voice
