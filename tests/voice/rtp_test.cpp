// RTP and RTCP: demultiplexing by first byte, hostile headers refused, round trips, sequence
// unwrapping, and the timestamp rewrite towards the console.
#include "voice/rtp.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace hotline::voice {
namespace {

bytes opus_payload() { return {0xfc, 0x01, 0x02, 0x03, 0x04}; }

bytes sample_packet() {
  rtp_header h;
  h.marker = true;
  h.payload_type = 111;
  h.seq = 0xfffe;
  h.timestamp = 0x11223344;
  h.ssrc = 0xdeadbeef;
  return *serialize_rtp(h, opus_payload());
}

TEST(rtp_demux, first_byte_picks_the_protocol) {
  EXPECT_EQ(*classify_datagram(bytes{0x00, 0x01}), datagram_kind::stun);
  EXPECT_EQ(*classify_datagram(bytes{0x03}), datagram_kind::stun);
  EXPECT_EQ(*classify_datagram(bytes{20}), datagram_kind::dtls);
  EXPECT_EQ(*classify_datagram(bytes{63}), datagram_kind::dtls);
  EXPECT_EQ(*classify_datagram(bytes{0x80, 111}), datagram_kind::rtp);
  EXPECT_EQ(*classify_datagram(bytes{0x80, 0x80 | 111}), datagram_kind::rtp);
  EXPECT_EQ(*classify_datagram(bytes{0x81, 200}), datagram_kind::rtcp);
  EXPECT_EQ(*classify_datagram(bytes{0x80, 206}), datagram_kind::rtcp);
  EXPECT_EQ(*classify_datagram(bytes{0x80, 207}), datagram_kind::rtcp);  // XR
  EXPECT_EQ(*classify_datagram(bytes{191, 0}), datagram_kind::rtp);
}

TEST(rtp_demux, bytes_outside_the_ranges_are_refused) {
  for (int b : {4, 16, 19, 64, 79, 127, 192, 255}) {
    auto k = classify_datagram(bytes{static_cast<std::uint8_t>(b), 0});
    ASSERT_FALSE(k.has_value()) << b;
    EXPECT_EQ(k.error().code, errc::protocol);
  }
  EXPECT_EQ(classify_datagram(bytes{}).error().code, errc::protocol);
  EXPECT_EQ(classify_datagram(bytes{0x80}).error().code, errc::protocol);  // no second byte
  EXPECT_EQ(classify_datagram(bytes(rtp_datagram_bytes_max + 1, 0x80)).error().code, errc::limit);
  EXPECT_TRUE(classify_datagram(bytes(rtp_datagram_bytes_max, 0x80)).has_value());
}

TEST(rtp_parse, every_truncation_of_a_full_header_is_refused) {
  rtp_header h;
  h.payload_type = 111;
  h.csrcs = {1, 2, 3};
  h.extension = rtp_extension{0xbede, bytes{1, 2, 3, 4, 5, 6, 7, 8}};
  h.padding_bytes = 4;
  const bytes full = *serialize_rtp(h, bytes{});
  ASSERT_TRUE(parse_rtp(full).has_value());
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto p = parse_rtp(std::span(full).first(n));
    EXPECT_FALSE(p.has_value()) << "accepted a prefix of " << n << " bytes";
  }
}

TEST(rtp_parse, lengths_that_overrun_are_refused) {
  bytes p = sample_packet();
  // A CSRC count of 15 with no room for them.
  bytes csrc = p;
  csrc[0] |= 0x0f;
  EXPECT_EQ(parse_rtp(csrc).error().code, errc::protocol);
  // An extension whose length says 0xffff words.
  bytes ext = p;
  ext[0] |= 0x10;
  ext.resize(12);
  ext.insert(ext.end(), {0xbe, 0xde, 0xff, 0xff, 0, 0, 0, 0});
  EXPECT_EQ(parse_rtp(ext).error().code, errc::protocol);
  // Padding larger than what follows the header, and a padding count of zero.
  bytes pad = p;
  pad[0] |= 0x20;
  pad.back() = 200;
  EXPECT_EQ(parse_rtp(pad).error().code, errc::protocol);
  pad.back() = 0;
  EXPECT_EQ(parse_rtp(pad).error().code, errc::protocol);
  // A header of exactly 12 bytes with the padding flag: nothing to hold the count.
  bytes bare(p.begin(), p.begin() + 12);
  bare[0] |= 0x20;
  EXPECT_EQ(parse_rtp(bare).error().code, errc::protocol);
}

TEST(rtp_parse, wrong_version_reserved_types_and_oversize_are_refused) {
  bytes p = sample_packet();
  bytes v1 = p;
  v1[0] = static_cast<std::uint8_t>((v1[0] & 0x3f) | 0x40);
  EXPECT_EQ(parse_rtp(v1).error().code, errc::protocol);
  bytes reserved = p;
  reserved[1] = 72;  // would read as RTCP SR with the marker set
  EXPECT_EQ(parse_rtp(reserved).error().code, errc::protocol);
  bytes big = p;
  big.resize(rtp_datagram_bytes_max + 1);
  EXPECT_EQ(parse_rtp(big).error().code, errc::limit);
}

TEST(rtp_parse, reads_every_field) {
  const bytes p = sample_packet();
  auto r = parse_rtp(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->header.marker);
  EXPECT_EQ(r->header.payload_type, 111);
  EXPECT_EQ(r->header.seq, 0xfffe);
  EXPECT_EQ(r->header.timestamp, 0x11223344u);
  EXPECT_EQ(r->header.ssrc, 0xdeadbeefu);
  EXPECT_EQ(bytes(r->payload.begin(), r->payload.end()), opus_payload());
  EXPECT_EQ(p[0], 0x80);
  EXPECT_EQ(p[1], 0x80 | 111);
}

TEST(rtp_parse, a_full_header_round_trips) {
  rtp_header h;
  h.payload_type = 96;
  h.seq = 7;
  h.timestamp = 0xffffffff;
  h.ssrc = 42;
  h.csrcs = {10, 20};
  h.extension = rtp_extension{0x1000, bytes{9, 9, 9, 9}};
  h.padding_bytes = 3;
  const bytes payload{1, 2, 3};
  const bytes wire = *serialize_rtp(h, payload);
  EXPECT_EQ(wire.size(), 12u + 8 + 8 + 3 + 3);
  auto back = parse_rtp(wire);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->header, h);
  EXPECT_EQ(bytes(back->payload.begin(), back->payload.end()), payload);
}

TEST(rtp_serialize, refuses_what_the_parser_would_refuse) {
  rtp_header h;
  h.payload_type = 80;
  EXPECT_EQ(serialize_rtp(h, {}).error().code, errc::invalid_argument);
  h.payload_type = 128;
  EXPECT_EQ(serialize_rtp(h, {}).error().code, errc::invalid_argument);
  h.payload_type = 111;
  h.csrcs.assign(16, 1);
  EXPECT_EQ(serialize_rtp(h, {}).error().code, errc::invalid_argument);
  h.csrcs.clear();
  h.extension = rtp_extension{1, bytes{1, 2, 3}};
  EXPECT_EQ(serialize_rtp(h, {}).error().code, errc::invalid_argument);
  h.extension.reset();
  EXPECT_EQ(serialize_rtp(h, bytes(rtp_datagram_bytes_max, 0)).error().code, errc::limit);
  EXPECT_TRUE(serialize_rtp(h, bytes(rtp_datagram_bytes_max - 12, 0)).has_value());
}

TEST(rtcp_compound, a_report_and_sdes_parse) {
  // RR with no report blocks (8 bytes), then SDES with one empty chunk (8 bytes).
  const bytes c{0x80, 201, 0x00, 0x01, 0, 0, 0, 7, 0x81, 202, 0x00, 0x01, 0, 0, 0, 7};
  auto r = parse_rtcp_compound(c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].packet_type, 201);
  EXPECT_EQ((*r)[0].sender_ssrc, 7u);
  EXPECT_EQ((*r)[1].packet_type, 202);
  EXPECT_EQ((*r)[1].count, 1);
}

TEST(rtcp_compound, hostile_lengths_and_counts_are_refused) {
  const bytes overrun{0x80, 201, 0x00, 0x05, 0, 0, 0, 7};
  EXPECT_EQ(parse_rtcp_compound(overrun).error().code, errc::protocol);
  const bytes too_short{0x80, 201, 0x00, 0x00, 0, 0, 0, 7};  // length 4 bytes < header
  EXPECT_EQ(parse_rtcp_compound(too_short).error().code, errc::protocol);
  const bytes trailing{0x80, 201, 0x00, 0x01, 0, 0, 0, 7, 0x80};
  EXPECT_EQ(parse_rtcp_compound(trailing).error().code, errc::protocol);
  const bytes rtp_inside{0x80, 201, 0x00, 0x01, 0, 0, 0, 7, 0x80, 111, 0x00, 0x01, 0, 0, 0, 7};
  EXPECT_EQ(parse_rtcp_compound(rtp_inside).error().code, errc::protocol);
  bytes many;
  for (std::size_t i = 0; i <= rtcp_compound_packets_max; ++i) {
    many.insert(many.end(), {0x80, 201, 0x00, 0x01, 0, 0, 0, 7});
  }
  EXPECT_EQ(parse_rtcp_compound(many).error().code, errc::limit);
  many.resize(rtcp_compound_packets_max * 8);
  EXPECT_TRUE(parse_rtcp_compound(many).has_value());
}

TEST(seq_unwrapper, crosses_the_wrap_both_ways) {
  seq_unwrapper u;
  EXPECT_EQ(u.unwrap(65534), 65534);
  EXPECT_EQ(u.unwrap(65535), 65535);
  EXPECT_EQ(u.unwrap(0), 65536);
  EXPECT_EQ(u.unwrap(1), 65537);
  EXPECT_EQ(u.unwrap(65535), 65535);  // a late packet from the previous cycle
  EXPECT_EQ(*u.highest(), 65537);
  EXPECT_EQ(u.unwrap(2), 65538);
  // Many cycles forward, in steps of just under half the space.
  std::uint16_t s = 2;
  std::int64_t expected = 65538;
  for (int i = 0; i < 100; ++i) {
    s = static_cast<std::uint16_t>(s + 30000);
    expected += 30000;
    ASSERT_EQ(u.unwrap(s), expected);
  }
}

TEST(seq_unwrapper, a_packet_before_the_first_is_negative) {
  seq_unwrapper u;
  EXPECT_EQ(u.unwrap(3), 3);
  EXPECT_EQ(u.unwrap(65535), -1);
  EXPECT_EQ(*u.highest(), 3);
}

TEST(timestamp_rewriter, a_steady_stream_keeps_its_steps) {
  timestamp_rewriter w(5000);
  auto first = w.rewrite(100, 777, false, 1);
  EXPECT_EQ(first.timestamp, 5000u);
  EXPECT_TRUE(first.marker);  // the stream's first packet starts a talkspurt
  for (int i = 1; i < 10; ++i) {
    auto o = w.rewrite(100 + i, 777 + 960u * static_cast<std::uint32_t>(i), false, 1);
    EXPECT_EQ(o.timestamp, 5000u + 960u * static_cast<std::uint32_t>(i));
    EXPECT_FALSE(o.marker);
  }
  // One lost packet: the gap is kept, no marker.
  auto after_loss = w.rewrite(111, 777 + 960u * 11, false, 1);
  EXPECT_EQ(after_loss.timestamp, 5000u + 960u * 11);
  EXPECT_FALSE(after_loss.marker);
}

TEST(timestamp_rewriter, a_source_jump_continues_the_output_with_the_marker) {
  timestamp_rewriter w(0xfffffc40);  // wraps during the test
  w.rewrite(1, 1000, false, 9);
  w.rewrite(2, 1960, false, 9);
  auto jumped = w.rewrite(3, 1960 + 48000 * 10, false, 9);  // the source's clock leaps 10 s
  EXPECT_TRUE(jumped.marker);
  EXPECT_EQ(jumped.timestamp, 0xfffffc40u + 960u * 2);  // wraps to 0x00000380
  auto next = w.rewrite(4, 1960 + 48000 * 10 + 960, false, 9);
  EXPECT_FALSE(next.marker);
  EXPECT_EQ(next.timestamp, jumped.timestamp + 960u);
  auto back = w.rewrite(5, 5, false, 9);  // and backwards
  EXPECT_TRUE(back.marker);
  EXPECT_EQ(back.timestamp, next.timestamp + 960u);
}

TEST(timestamp_rewriter, a_path_change_or_new_ssrc_marks_the_next_packet) {
  timestamp_rewriter w(0);
  w.rewrite(1, 0, false, 1);
  w.rewrite(2, 960, false, 1);
  w.note_path_change();
  auto switched = w.rewrite(3, 1920, false, 1);
  EXPECT_TRUE(switched.marker);
  EXPECT_EQ(switched.timestamp, 1920u);
  EXPECT_FALSE(w.rewrite(4, 2880, false, 1).marker);
  auto renegotiated = w.rewrite(1, 123456, false, 2);
  EXPECT_TRUE(renegotiated.marker);
  EXPECT_EQ(renegotiated.timestamp, 2880u + 960u);
}

TEST(timestamp_rewriter, a_late_packet_keeps_its_place_and_changes_nothing) {
  timestamp_rewriter w(100);
  w.rewrite(10, 0, false, 1);
  w.rewrite(12, 1920, false, 1);
  auto late = w.rewrite(11, 960, false, 1);
  EXPECT_EQ(late.timestamp, 100u + 960u);
  EXPECT_FALSE(late.marker);
  EXPECT_EQ(w.rewrite(13, 2880, false, 1).timestamp, 100u + 2880u);
}

}  // namespace
}  // namespace hotline::voice
