// SRTP for calls between stations: keys exported from a real TLS 1.3 session agree at both
// ends and differ per call and per direction; the session round-trips, refuses tampering, and
// refuses the second path's copy as a replay that the caller can tell from an attack.
#include <gtest/gtest.h>

#include <string>

#include "tls_pair.hpp"
#include "voice/rtp.hpp"
#include "voice/srtp_keys.hpp"
#include "voice/srtp_session.hpp"

namespace hotline::voice {
namespace {

constexpr const char* station_a = "rok-fleet-command";
constexpr const char* station_b = "ru-pacific-fleet";

struct linked_keys {
  call_srtp_keys a;  // the client's
  call_srtp_keys b;  // the server's
};

linked_keys keys_over_tls(test::tls_pair& tls, const std::string& call_id) {
  auto a = derive_call_keys(tls_exporter(tls.client()), call_id, station_a, station_b);
  auto b = derive_call_keys(tls_exporter(tls.server()), call_id, station_b, station_a);
  EXPECT_TRUE(a.has_value() && b.has_value());
  return {*a, *b};
}

// A fixed exporter for session tests that do not need TLS: distinct bytes per position.
result<void> counting_exporter(std::string_view, std::span<const std::uint8_t> context,
                               std::span<std::uint8_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(i * 7 + context.size());
  }
  return {};
}

bytes rtp_packet(std::uint16_t seq, std::uint8_t fill = 0x55) {
  rtp_header h;
  h.payload_type = 111;
  h.seq = seq;
  h.timestamp = 960u * seq;
  h.ssrc = 0x1234;
  return *serialize_rtp(h, bytes(60, fill));
}

struct session_pair {
  srtp_session a;
  srtp_session b;
};

session_pair sessions() {
  auto a = derive_call_keys(counting_exporter, "call-1", station_a, station_b);
  auto b = derive_call_keys(counting_exporter, "call-1", station_b, station_a);
  auto sa = srtp_session::create(*a);
  auto sb = srtp_session::create(*b);
  EXPECT_TRUE(sa.has_value()) << sa.error().message;
  EXPECT_TRUE(sb.has_value());
  return {std::move(*sa), std::move(*sb)};
}

TEST(srtp_keys, both_ends_of_a_tls_session_derive_the_same_keys) {
  test::tls_pair tls;
  ASSERT_TRUE(tls.handshake());
  const linked_keys k = keys_over_tls(tls, "call-20261207-0001");
  EXPECT_EQ(k.a.send, k.b.receive);
  EXPECT_EQ(k.a.receive, k.b.send);
  EXPECT_NE(k.a.send, k.a.receive);
  EXPECT_NE(k.a.send.key, decltype(k.a.send.key){});
}

TEST(srtp_keys, different_calls_and_sessions_give_different_keys) {
  test::tls_pair tls;
  ASSERT_TRUE(tls.handshake());
  const linked_keys one = keys_over_tls(tls, "call-1");
  const linked_keys two = keys_over_tls(tls, "call-2");
  EXPECT_NE(one.a.send, two.a.send);
  EXPECT_NE(one.a.receive, two.a.receive);
  const linked_keys again = keys_over_tls(tls, "call-1");
  EXPECT_EQ(one.a.send, again.a.send);  // deterministic on one session

  test::tls_pair other;
  ASSERT_TRUE(other.handshake());
  const linked_keys elsewhere = keys_over_tls(other, "call-1");
  EXPECT_NE(one.a.send, elsewhere.a.send);  // bound to the TLS session
}

TEST(srtp_keys, the_direction_follows_the_station_order_not_the_tls_role) {
  // The same exporter at both ends; only the names decide who sends with which half.
  auto a = derive_call_keys(counting_exporter, "c", "alpha", "bravo");
  auto b = derive_call_keys(counting_exporter, "c", "bravo", "alpha");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->send, b->receive);
  EXPECT_EQ(a->receive, b->send);
  EXPECT_EQ(a->send.key[0], 1);  // "alpha" sorts first: the first half of the export
  EXPECT_EQ(b->send.key[0], static_cast<std::uint8_t>(44 * 7 + 1));
}

TEST(srtp_keys, bad_inputs_and_exporter_failures_are_errors) {
  EXPECT_EQ(derive_call_keys(counting_exporter, "", "a", "b").error().code, errc::invalid_argument);
  EXPECT_EQ(derive_call_keys(counting_exporter, std::string(65, 'c'), "a", "b").error().code,
            errc::invalid_argument);
  EXPECT_TRUE(derive_call_keys(counting_exporter, std::string(64, 'c'), "a", "b").has_value());
  EXPECT_EQ(derive_call_keys(counting_exporter, "c", "a", "a").error().code,
            errc::invalid_argument);
  EXPECT_EQ(derive_call_keys(counting_exporter, "c", "", "a").error().code, errc::invalid_argument);
  auto broken = [](std::string_view, std::span<const std::uint8_t>,
                   std::span<std::uint8_t>) -> result<void> { return fail(errc::io, "link gone"); };
  EXPECT_EQ(derive_call_keys(broken, "c", "a", "b").error().code, errc::io);
  // An SSL object that never finished a handshake cannot export.
  test::tls_pair not_yet;
  EXPECT_EQ(derive_call_keys(tls_exporter(not_yet.client()), "c", "a", "b").error().code,
            errc::unavailable);
}

TEST(srtp_session, a_packet_round_trips_over_keys_from_tls) {
  test::tls_pair tls;
  ASSERT_TRUE(tls.handshake());
  const linked_keys k = keys_over_tls(tls, "call-7");
  auto a = srtp_session::create(k.a);
  auto b = srtp_session::create(k.b);
  ASSERT_TRUE(a && b);
  const bytes plain = rtp_packet(1);
  auto sealed = a->protect(plain);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
  EXPECT_EQ(sealed->size(), plain.size() + 16);  // the GCM tag
  EXPECT_NE(bytes(sealed->begin() + 12, sealed->begin() + 72),
            bytes(plain.begin() + 12, plain.end()));
  auto opened = b->unprotect(*sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(*opened, plain);
  // And the other way.
  auto back = b->protect(rtp_packet(9, 0x11));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*a->unprotect(*back), rtp_packet(9, 0x11));
  // A station cannot open its own packets: the directions use different keys.
  auto own = a->unprotect(*a->protect(rtp_packet(2)));
  ASSERT_FALSE(own.has_value());
  EXPECT_EQ(own.error().code, errc::refused);
}

TEST(srtp_session, a_tampered_packet_is_refused_and_the_original_still_passes) {
  session_pair s = sessions();
  const bytes sealed = *s.a.protect(rtp_packet(5));
  for (std::size_t at : {std::size_t{1}, std::size_t{8}, std::size_t{20}, sealed.size() - 1}) {
    bytes bad = sealed;
    bad[at] ^= 0x01;
    auto r = s.b.unprotect(bad);
    ASSERT_FALSE(r.has_value()) << at;
    EXPECT_FALSE(is_replay(r.error())) << at;
  }
  bytes bad_payload = sealed;
  bad_payload[30] ^= 0x80;
  EXPECT_EQ(s.b.unprotect(bad_payload).error().code, errc::refused);
  // The forgeries did not advance the replay window.
  EXPECT_TRUE(s.b.unprotect(sealed).has_value());
}

TEST(srtp_session, the_second_paths_copy_is_a_replay) {
  session_pair s = sessions();
  std::vector<bytes> sent;
  for (std::uint16_t seq = 100; seq < 120; ++seq) sent.push_back(*s.a.protect(rtp_packet(seq)));
  // Fibre delivers everything first; satellite delivers the same packets later.
  for (const bytes& p : sent) ASSERT_TRUE(s.b.unprotect(p).has_value());
  for (const bytes& p : sent) {
    auto r = s.b.unprotect(p);
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(is_replay(r.error())) << r.error().message;
  }
  // Interleaved arrival: whichever copy comes first wins, the other is a replay.
  bytes next = *s.a.protect(rtp_packet(120));
  EXPECT_TRUE(s.b.unprotect(next).has_value());
  EXPECT_TRUE(is_replay(s.b.unprotect(next).error()));
}

TEST(srtp_session, a_packet_older_than_the_window_is_a_replay) {
  session_pair s = sessions();
  const bytes old = *s.a.protect(rtp_packet(1));
  bytes newest;
  for (std::uint16_t seq = 2; seq < 2 + srtp_replay_window_packets + 10; ++seq) {
    newest = *s.a.protect(rtp_packet(seq));
  }
  ASSERT_TRUE(s.b.unprotect(newest).has_value());
  auto r = s.b.unprotect(old);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(is_replay(r.error()));
  EXPECT_NE(r.error().message.find("older"), std::string::npos);
}

TEST(srtp_session, rtcp_round_trips_and_replays_are_refused) {
  session_pair s = sessions();
  const bytes rr{0x80, 201, 0x00, 0x01, 0, 0, 0x12, 0x34};
  auto sealed = s.a.protect_rtcp(rr);
  ASSERT_TRUE(sealed.has_value()) << sealed.error().message;
  auto opened = s.b.unprotect_rtcp(*sealed);
  ASSERT_TRUE(opened.has_value()) << opened.error().message;
  EXPECT_EQ(*opened, rr);
  EXPECT_TRUE(is_replay(s.b.unprotect_rtcp(*sealed).error()));
}

TEST(srtp_session, short_and_oversize_inputs_are_errors) {
  session_pair s = sessions();
  EXPECT_EQ(s.a.protect(bytes(11, 0x80)).error().code, errc::invalid_argument);
  EXPECT_EQ(s.b.unprotect(bytes(11, 0x80)).error().code, errc::protocol);
  EXPECT_EQ(s.b.unprotect(bytes(rtp_datagram_bytes_max + 1, 0x80)).error().code, errc::limit);
  EXPECT_FALSE(s.b.unprotect(bytes(12, 0x80)).has_value());
  EXPECT_EQ(s.b.unprotect_rtcp(bytes(7, 0x80)).error().code, errc::protocol);
  bytes junk(40, 0xff);
  EXPECT_FALSE(s.b.unprotect(junk).has_value());
  EXPECT_FALSE(s.b.unprotect_rtcp(junk).has_value());
}

TEST(srtp_session, a_moved_session_keeps_working) {
  session_pair s = sessions();
  srtp_session moved = std::move(s.b);
  EXPECT_TRUE(moved.unprotect(*s.a.protect(rtp_packet(3))).has_value());
  s.b = std::move(moved);
  EXPECT_TRUE(s.b.unprotect(*s.a.protect(rtp_packet(4))).has_value());
}

TEST(srtp_session, profile_keys_of_the_wrong_length_are_refused) {
  for (const srtp_profile p : {srtp_profile::aead_aes_256_gcm, srtp_profile::aead_aes_128_gcm,
                               srtp_profile::aes128_cm_sha1_80}) {
    const std::size_t n = srtp_key_bytes(p) + srtp_salt_bytes(p);
    EXPECT_TRUE(srtp_session::create(srtp_profile_keys{p, bytes(n, 1), bytes(n, 2)}).has_value());
    auto short_send = srtp_session::create(srtp_profile_keys{p, bytes(n - 1, 1), bytes(n, 2)});
    ASSERT_FALSE(short_send.has_value());
    EXPECT_EQ(short_send.error().code, errc::invalid_argument);
    EXPECT_FALSE(srtp_session::create(srtp_profile_keys{p, bytes(n, 1), bytes{}}).has_value());
  }
}

}  // namespace
}  // namespace hotline::voice
