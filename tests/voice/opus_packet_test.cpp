// Opus packet durations from the TOC byte (RFC 6716 3.1) and the filler packets for gaps.
#include "voice/opus_packet.hpp"

#include <gtest/gtest.h>

namespace hotline::voice {
namespace {

std::uint8_t toc(int config, int code) { return static_cast<std::uint8_t>((config << 3) | code); }

TEST(opus_packet, durations_follow_the_toc) {
  EXPECT_EQ(*opus_packet_samples(bytes{toc(31, 0), 1, 2}), 960u);  // CELT FB 20 ms
  EXPECT_EQ(*opus_packet_samples(bytes{toc(28, 0)}), 120u);        // CELT FB 2.5 ms
  EXPECT_EQ(*opus_packet_samples(bytes{toc(15, 0), 9}), 960u);     // hybrid FB 20 ms
  EXPECT_EQ(*opus_packet_samples(bytes{toc(3, 0), 9}), 2880u);     // SILK NB 60 ms
  EXPECT_EQ(*opus_packet_samples(bytes{toc(9, 1), 9, 9}), 1920u);  // two 20 ms frames
  EXPECT_EQ(*opus_packet_samples(bytes{toc(9, 2), 1, 9, 9}), 1920u);
  EXPECT_EQ(*opus_packet_samples(bytes{toc(31, 3), 3}), 2880u);  // three 20 ms frames
  EXPECT_EQ(*opus_packet_samples(bytes{toc(31, 3), 6}), 5760u);  // 120 ms, the most
  EXPECT_EQ(*opus_packet_samples(bytes{toc(3, 3), 2}), 5760u);   // two 60 ms frames
}

TEST(opus_packet, malformed_packets_are_refused) {
  EXPECT_EQ(opus_packet_samples(bytes{}).error().code, errc::protocol);
  EXPECT_EQ(opus_packet_samples(bytes{toc(31, 3)}).error().code, errc::protocol);
  EXPECT_EQ(opus_packet_samples(bytes{toc(31, 3), 0}).error().code, errc::protocol);
  EXPECT_EQ(opus_packet_samples(bytes{toc(31, 3), 7}).error().code, errc::protocol);  // 140 ms
  EXPECT_EQ(opus_packet_samples(bytes{toc(3, 3), 3}).error().code, errc::protocol);   // 180 ms
  EXPECT_EQ(*opus_packet_samples(bytes{toc(3, 1), 0}), 5760u);  // two 60 ms frames: the most
}

TEST(opus_packet, fillers_last_exactly_the_gap) {
  for (std::uint64_t gap : {120ull, 960ull, 1080ull, 5760ull, 5880ull, 48'000ull, 2'880'000ull}) {
    std::uint64_t total = 0;
    for (const bytes& f : opus_fillers(gap)) {
      ASSERT_TRUE(is_opus_filler(f));
      auto s = opus_packet_samples(f);
      ASSERT_TRUE(s.has_value());
      total += *s;
    }
    EXPECT_EQ(total, gap);
  }
  EXPECT_EQ(opus_fillers(48'000).size(), 9u);  // 8 of 120 ms and one of 40 ms
  EXPECT_TRUE(opus_fillers(0).empty());
}

TEST(opus_packet, real_packets_are_not_fillers) {
  EXPECT_FALSE(is_opus_filler(bytes{toc(31, 0), 1}));
  EXPECT_FALSE(is_opus_filler(bytes{toc(31, 3), 0x81}));  // VBR
  EXPECT_FALSE(is_opus_filler(bytes{toc(31, 3), 0x41}));  // padded
  EXPECT_FALSE(is_opus_filler(bytes{toc(31, 3), 1, 0}));  // a frame with a byte in it
  EXPECT_TRUE(is_opus_filler(bytes{toc(31, 3), 1}));
}

}  // namespace
}  // namespace hotline::voice
