#include "voice/opus_packet.hpp"

#include <array>
#include <cassert>

namespace hotline::voice {
namespace {

// Frame size in samples for each TOC configuration (RFC 6716 table 2): SILK 10/20/40/60 ms for
// three bandwidths, hybrid 10/20 ms for two, CELT 2.5/5/10/20 ms for four.
constexpr std::array<std::uint32_t, 32> frame_samples_by_config{
    480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960,
    120, 240, 480,  960,  120, 240, 480,  960,  120, 240, 480,  960,  120, 240, 480, 960};

// Fullband CELT configurations for each frame size, largest first.
struct celt_frame {
  std::uint8_t config;
  std::uint32_t samples;
};
constexpr std::array<celt_frame, 4> filler_frames{{{31, 960}, {30, 480}, {29, 240}, {28, 120}}};

}  // namespace

result<std::uint32_t> opus_packet_samples(std::span<const std::uint8_t> packet) {
  if (packet.empty()) return fail(errc::protocol, "empty Opus packet");
  const std::uint8_t toc = packet[0];
  const std::uint32_t frame = frame_samples_by_config[toc >> 3];
  std::uint32_t frames = 1;
  switch (toc & 0x03) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (packet.size() < 2) return fail(errc::protocol, "Opus code-3 packet has no frame count");
      frames = packet[1] & 0x3f;
      if (frames == 0) return fail(errc::protocol, "Opus code-3 packet has no frames");
  }
  const std::uint32_t samples = frame * frames;
  if (samples > opus_packet_samples_max) return fail(errc::protocol, "Opus packet over 120 ms");
  return samples;
}

bool is_opus_filler(std::span<const std::uint8_t> packet) {
  // Code 3, constant bitrate, no padding, at least one frame, and nothing after the count.
  return packet.size() == 2 && (packet[0] & 0x03) == 0x03 && (packet[1] & 0xc0) == 0 &&
         (packet[1] & 0x3f) != 0;
}

std::vector<bytes> opus_fillers(std::uint64_t samples) {
  assert(samples % opus_frame_samples_min == 0);
  std::vector<bytes> out;
  for (const celt_frame& f : filler_frames) {
    const std::uint64_t per_packet = opus_packet_samples_max / f.samples;
    while (samples >= f.samples) {
      const std::uint64_t count = std::min(per_packet, samples / f.samples);
      out.push_back(bytes{static_cast<std::uint8_t>((f.config << 3) | 0x03),
                          static_cast<std::uint8_t>(count)});
      samples -= count * f.samples;
    }
  }
  assert(samples == 0);
  return out;
}

}  // namespace hotline::voice
