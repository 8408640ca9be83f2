// The call recording: deterministic Ogg Opus output, RTP time kept (gaps included), pages
// flushed often enough that a killed process leaves a readable prefix, and a hash chain whose
// checkpoints the reader can verify on any prefix, and which catches tampering.
#include "voice/ogg_recorder.hpp"

#include <gtest/gtest.h>
#include <ogg/ogg.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/signing.hpp"
#include "voice/ogg_reader.hpp"
#include "voice/opus_packet.hpp"

namespace hotline::voice {
namespace {

constexpr const char* call_id = "call-20261207-0001";
constexpr const char* direction = "rok-fleet-command>ru-pacific-fleet";

// A 20 ms CELT packet whose bytes depend on `i`, like real speech would.
bytes speech(std::uint32_t i) {
  bytes p{static_cast<std::uint8_t>((31 << 3) | 0)};
  for (std::uint32_t k = 0; k < 20 + i % 40; ++k)
    p.push_back(static_cast<std::uint8_t>(i * 31 + k));
  return p;
}

struct recording {
  bytes file;
  std::vector<recording_checkpoint> checkpoints;
};

// Records `count` packets of 20 ms from RTP time `ts0`, skipping those in `lost`.
recording record(std::uint32_t count, std::uint32_t ts0 = 123456,
                 const std::vector<std::uint32_t>& lost = {}, const char* id = call_id) {
  auto rec = ogg_recorder::create(id, direction);
  EXPECT_TRUE(rec.has_value());
  recording out;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (std::find(lost.begin(), lost.end(), i) != lost.end()) continue;
    auto cp = rec->add_packet(ts0 + 960 * i, speech(i));
    EXPECT_TRUE(cp.has_value()) << cp.error().message;
    if (*cp) out.checkpoints.push_back(**cp);
    bytes b = rec->take_bytes();
    out.file.insert(out.file.end(), b.begin(), b.end());
  }
  rec->finish();
  bytes b = rec->take_bytes();
  out.file.insert(out.file.end(), b.begin(), b.end());
  return out;
}

// The Ogg pages of a file: offset and length of each.
std::vector<std::pair<std::size_t, std::size_t>> pages_of(const bytes& f) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t at = 0;
  while (at + 27 <= f.size()) {
    const std::size_t segments = f[at + 26];
    std::size_t body = 0;
    for (std::size_t s = 0; s < segments; ++s) body += f[at + 27 + s];
    out.emplace_back(at, 27 + segments + body);
    at += 27 + segments + body;
  }
  return out;
}

void fix_crc(bytes& f, std::size_t offset, std::size_t length) {
  ogg_page page;
  const std::size_t header = 27 + f[offset + 26];
  page.header = f.data() + offset;
  page.header_len = static_cast<long>(header);
  page.body = f.data() + offset + header;
  page.body_len = static_cast<long>(length - header);
  ogg_page_checksum_set(&page);
}

TEST(ogg_recorder, the_same_packets_make_the_same_bytes) {
  const recording one = record(300, 1000, {7, 8, 100});
  const recording two = record(300, 1000, {7, 8, 100});
  EXPECT_EQ(one.file, two.file);
  EXPECT_EQ(one.checkpoints, two.checkpoints);
  const recording other_call = record(300, 1000, {7, 8, 100}, "call-20261207-0002");
  EXPECT_NE(one.file, other_call.file);
  EXPECT_NE(recording_serial(call_id, direction),
            recording_serial("call-20261207-0002", direction));
  // RTP time is relative to the first packet: a different base gives the same file.
  EXPECT_EQ(record(300, 0xfffff000, {7, 8, 100}).file, one.file);
}

bytes from_hex(std::string_view hex) {
  bytes out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Regression for the format itself: three 20 ms packets with 40 ms lost between the second and
// the third, as written page by page from RFC 3533 and RFC 7845 by an independent writer
// (small_recording() in fuzz/make_voice_corpus.py, which computes the Ogg CRC itself).
TEST(ogg_recorder, matches_a_recording_written_from_the_specifications) {
  const bytes expected = from_hex(
      "4f67675300020000000000000000815fb67200000000719d4f1c01134f707573486561640101380180bb0000"
      "0000004f67675300000000000000000000815fb67201000000b495ed69014a4f707573546167730700000068"
      "6f746c696e650200000016000000484f544c494e455f43414c4c3d63616c6c2d7365656415000000484f544c"
      "494e455f444952454354494f4e3d613e624f6767530004f813000000000000815fb67202000000bdcf8bba04"
      "1f1f021ff8000000000000000000000000000000000000000000000000000000000000f80101010101010101"
      "01010101010101010101010101010101010101010101fb02f802020202020202020202020202020202020202"
      "0202020202020202020202");
  auto rec = ogg_recorder::create("call-seed", "a>b");
  ASSERT_TRUE(rec.has_value());
  auto packet = [](std::uint8_t i) {
    bytes p{0xf8};
    p.insert(p.end(), 30, i);
    return p;
  };
  ASSERT_TRUE(rec->add_packet(1000, packet(0)));
  ASSERT_TRUE(rec->add_packet(1000 + 960, packet(1)));
  ASSERT_TRUE(rec->add_packet(1000 + 960 * 4, packet(2)));
  rec->finish();
  EXPECT_EQ(rec->take_bytes(), expected);
}

TEST(ogg_recorder, headers_are_rfc7845s) {
  const recording r = record(1);
  const auto pages = pages_of(r.file);
  ASSERT_GE(pages.size(), 3u);
  const bytes head(r.file.begin() + 28, r.file.begin() + 28 + 19);  // one segment on page 1
  EXPECT_EQ(r.file[26], 1);                                         // OpusHead alone
  EXPECT_EQ(r.file[5], 0x02);                                       // beginning of stream
  EXPECT_EQ(std::string(head.begin(), head.begin() + 8), "OpusHead");
  EXPECT_EQ(head[8], 1);                                         // version
  EXPECT_EQ(head[9], 1);                                         // mono
  EXPECT_EQ(head[10] | (head[11] << 8), opus_pre_skip_samples);  // pre-skip
  EXPECT_EQ(load_be32(head, 12), 0x80bb0000u);                   // 48000, little-endian
  EXPECT_EQ(head[16] | head[17] | head[18], 0);                  // gain 0, family 0
  const std::uint32_t serial =
      r.file[14] | (r.file[15] << 8) | (r.file[16] << 16) | (std::uint32_t{r.file[17]} << 24);
  EXPECT_EQ(serial, recording_serial(call_id, direction));
  const chain_hash h = signing::sha256(std::string(call_id) + '\0' + direction);
  EXPECT_EQ(serial, load_be32(h, 0));
  auto contents = read_recording(r.file);
  ASSERT_TRUE(contents.has_value()) << contents.error().message;
  EXPECT_EQ(contents->call_id, call_id);
  EXPECT_EQ(contents->direction, direction);
  EXPECT_TRUE(contents->complete);
}

TEST(ogg_recorder, packets_positions_and_chain_read_back) {
  const recording r = record(60, 5000, {10, 11, 12, 13});
  auto c = read_recording(r.file);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->packets.size(), 56u);
  chain_hash link{};
  std::uint64_t i = 0;
  for (std::uint32_t n = 0; n < 60; ++n) {
    if (n >= 10 && n <= 13) continue;
    const recorded_packet& p = c->packets[i];
    ++i;
    EXPECT_EQ(p.index, i);
    EXPECT_EQ(p.position_samples, 960u * n);  // the lost 80 ms stay in the timeline
    EXPECT_EQ(p.payload, speech(n));
    // The documented link: SHA-256(prev || index || position || payload), big-endian u64s.
    bytes text(link.begin(), link.end());
    put_be64(text, i);
    put_be64(text, 960u * n);
    text.insert(text.end(), p.payload.begin(), p.payload.end());
    link = signing::sha256(text);
    EXPECT_EQ(p.chain, link);
  }
  EXPECT_EQ(c->chain, link);
  EXPECT_EQ(c->end_samples, 60u * 960);
}

TEST(ogg_recorder, a_page_is_flushed_at_least_every_n_packets) {
  auto rec = ogg_recorder::create(call_id, direction);
  ASSERT_TRUE(rec.has_value());
  bytes file = rec->take_bytes();
  ASSERT_FALSE(file.empty());  // the headers at once
  for (std::uint32_t i = 0; i < 200; ++i) {
    ASSERT_TRUE(rec->add_packet(960 * i, speech(i)).has_value());
    bytes b = rec->take_bytes();
    file.insert(file.end(), b.begin(), b.end());
    auto c = read_recording(file);
    ASSERT_TRUE(c.has_value()) << c.error().message;
    EXPECT_GE(c->packets.size() + recording_page_packets_max + 1, rec->packets()) << i;
    EXPECT_FALSE(c->complete);
  }
}

TEST(ogg_recorder, checkpoints_every_ten_seconds_match_the_chain) {
  const recording r = record(1250);  // 25 s
  ASSERT_EQ(r.checkpoints.size(), 2u);
  EXPECT_EQ(r.checkpoints[0].packets, 500u);
  EXPECT_EQ(r.checkpoints[0].end_samples, recording_checkpoint_samples);
  EXPECT_EQ(r.checkpoints[1].packets, 1000u);
  auto c = read_recording(r.file);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(r.checkpoints[0].chain, c->packets[499].chain);
  EXPECT_EQ(r.checkpoints[1].chain, c->packets[999].chain);
  auto v = verify_recording(r.file, r.checkpoints);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->checkpoints_covered, 2u);
  EXPECT_EQ(v->packets, 1250u);
  EXPECT_TRUE(v->complete);
}

TEST(ogg_recorder, gaps_are_filled_and_capped) {
  auto rec = ogg_recorder::create(call_id, direction);
  ASSERT_TRUE(rec.has_value());
  ASSERT_TRUE(rec->add_packet(0, speech(0)));
  ASSERT_TRUE(rec->add_packet(960 + 1000, speech(1)));  // not a whole 2.5 ms: 960 kept
  ASSERT_TRUE(rec->add_packet(960 + 1000 + 960 + 48000 * 120, speech(2)));  // 2 minutes
  const std::uint32_t after_gap = 960 + 1000 + 960 + 48000 * 120 + 960;
  ASSERT_TRUE(rec->add_packet(after_gap - 48000 * 10, speech(3)));  // the clock restarted
  rec->finish();
  auto c = read_recording(rec->take_bytes());
  ASSERT_TRUE(c.has_value()) << c.error().message;
  ASSERT_EQ(c->packets.size(), 4u);
  EXPECT_EQ(c->packets[1].position_samples, 960u + 960);
  EXPECT_EQ(c->packets[2].position_samples, 960u * 3 + recording_gap_samples_max);
  EXPECT_EQ(c->packets[3].position_samples, 960u * 4 + recording_gap_samples_max);
  EXPECT_EQ(rec->end_samples(), c->end_samples);
}

TEST(ogg_recorder, late_duplicate_and_bad_packets_change_nothing) {
  auto rec = ogg_recorder::create(call_id, direction);
  ASSERT_TRUE(rec.has_value());
  ASSERT_TRUE(rec->add_packet(0, speech(0)));
  ASSERT_TRUE(rec->add_packet(960, speech(1)));
  EXPECT_EQ(rec->add_packet(960, speech(1)).error().code, errc::conflict);   // duplicate
  EXPECT_EQ(rec->add_packet(0, speech(0)).error().code, errc::conflict);     // late
  EXPECT_EQ(rec->add_packet(1000, speech(9)).error().code, errc::conflict);  // overlaps
  EXPECT_EQ(rec->add_packet(1920, bytes{}).error().code, errc::protocol);    // not Opus
  EXPECT_EQ(rec->add_packet(1920, bytes(1501, 0xf8)).error().code, errc::limit);
  // A packet in a filler's form carries no audio: it is left as a gap.
  ASSERT_TRUE(rec->add_packet(1920, bytes{(31 << 3) | 3, 1}));
  EXPECT_EQ(rec->packets(), 2u);
  for (std::uint32_t i = 3; i < 40; ++i) ASSERT_TRUE(rec->add_packet(960 * i, speech(i)));
  rec->finish();
  EXPECT_EQ(rec->add_packet(960 * 40, speech(40)).error().code, errc::conflict);
  rec->finish();  // idempotent
  bytes file = rec->take_bytes();
  EXPECT_EQ(file, record(40, 0, {2}).file);  // as if the refused packets never came
}

TEST(ogg_recorder, bad_names_are_refused) {
  EXPECT_EQ(ogg_recorder::create("", direction).error().code, errc::invalid_argument);
  EXPECT_EQ(ogg_recorder::create(std::string(65, 'c'), direction).error().code,
            errc::invalid_argument);
  EXPECT_EQ(ogg_recorder::create(call_id, "").error().code, errc::invalid_argument);
  EXPECT_EQ(ogg_recorder::create(call_id, std::string(161, 'd')).error().code,
            errc::invalid_argument);
}

TEST(ogg_reader, any_cut_leaves_a_prefix_that_verifies) {
  const recording r = record(1100, 777, {40, 41, 600});  // 22 s, two checkpoints
  ASSERT_EQ(r.checkpoints.size(), 2u);
  auto whole = read_recording(r.file);
  ASSERT_TRUE(whole.has_value());
  std::uint64_t last_packets = 0;
  std::size_t last_covered = 0;
  std::size_t cuts = 0;
  for (std::size_t cut = 0; cut <= r.file.size(); cut += (cut < 400 ? 1 : 37)) {
    const std::span<const std::uint8_t> prefix(r.file.data(), cut);
    auto v = verify_recording(prefix, r.checkpoints);
    ASSERT_TRUE(v.has_value()) << "cut at " << cut << ": " << v.error().message;
    EXPECT_GE(v->packets, last_packets) << cut;
    EXPECT_GE(v->checkpoints_covered, last_covered) << cut;
    EXPECT_EQ(v->checkpoints_covered + v->checkpoints_beyond, 2u);
    if (v->packets > 0) {
      EXPECT_EQ(v->chain, whole->packets[v->packets - 1].chain) << cut;
    }
    EXPECT_FALSE(v->complete);
    last_packets = v->packets;
    last_covered = v->checkpoints_covered;
    ++cuts;
  }
  EXPECT_GT(cuts, 500u);
  EXPECT_GE(last_packets + recording_page_packets_max + 1, whole->packets.size());
  auto full = verify_recording(r.file, r.checkpoints);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->checkpoints_covered, 2u);
  EXPECT_TRUE(full->complete);
}

TEST(ogg_reader, a_flipped_byte_is_refused) {
  const recording r = record(600);
  const auto pages = pages_of(r.file);
  ASSERT_GT(pages.size(), 10u);
  bytes bad = r.file;
  bad[pages[8].first + pages[8].second - 3] ^= 0x10;  // inside a page body; CRC now wrong
  auto v = verify_recording(bad, r.checkpoints);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, errc::corrupt);
}

TEST(ogg_reader, a_rewritten_packet_with_a_valid_crc_breaks_the_chain) {
  const recording r = record(600);
  const auto pages = pages_of(r.file);
  bytes forged = r.file;
  const auto [offset, length] = pages[8];
  forged[offset + length - 3] ^= 0x10;
  fix_crc(forged, offset, length);
  auto read = read_recording(forged);
  ASSERT_TRUE(read.has_value()) << read.error().message;  // a valid Ogg Opus file...
  auto v = verify_recording(forged, r.checkpoints);
  ASSERT_FALSE(v.has_value());  // ...that the journaled checkpoint refuses
  EXPECT_EQ(v.error().code, errc::corrupt);
  EXPECT_NE(v.error().message.find("chain"), std::string::npos);
}

TEST(ogg_reader, a_missing_page_or_a_foreign_stream_is_refused) {
  const recording r = record(300);
  const auto pages = pages_of(r.file);
  bytes missing = r.file;
  missing.erase(missing.begin() + static_cast<std::ptrdiff_t>(pages[5].first),
                missing.begin() + static_cast<std::ptrdiff_t>(pages[5].first + pages[5].second));
  EXPECT_EQ(read_recording(missing).error().code, errc::corrupt);

  bytes two = r.file;
  const recording other = record(10, 0, {}, "call-other");
  two.insert(two.end(), other.file.begin(), other.file.end());
  EXPECT_EQ(read_recording(two).error().code, errc::corrupt);

  EXPECT_EQ(read_recording(bytes(200, 0x41)).error().code, errc::corrupt);
  auto empty = read_recording(bytes{});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->packets.empty());
}

TEST(ogg_reader, a_forged_checkpoint_is_refused) {
  const recording r = record(600);
  ASSERT_EQ(r.checkpoints.size(), 1u);
  auto wrong_chain = r.checkpoints;
  wrong_chain[0].chain[0] ^= 1;
  EXPECT_EQ(verify_recording(r.file, wrong_chain).error().code, errc::corrupt);
  auto wrong_end = r.checkpoints;
  wrong_end[0].end_samples += 960;
  EXPECT_EQ(verify_recording(r.file, wrong_end).error().code, errc::corrupt);
  auto shifted = r.checkpoints;
  shifted[0].packets -= 1;
  EXPECT_EQ(verify_recording(r.file, shifted).error().code, errc::corrupt);
}

}  // namespace
}  // namespace hotline::voice
