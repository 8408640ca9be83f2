// What a recording needs to know about an Opus packet (RFC 6716 3.1) without decoding it: how
// many 48 kHz samples it lasts, and the "filler" packets that stand in for lost time.
//
// A filler is a two-byte code-3 packet (TOC, then a frame count with no padding and constant
// bitrate) whose frames are all empty: it carries no audio, and a decoder conceals it as a
// loss, so a player keeps the timeline across a gap. A recording writes fillers for gaps and
// never records a real packet of that exact form (see ogg_recorder.hpp). Pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "voice/byte_order.hpp"

namespace hotline::voice {

inline constexpr std::uint32_t opus_clock_hz = 48'000;
inline constexpr std::uint32_t opus_packet_samples_max = 5760;  // 120 ms
inline constexpr std::uint32_t opus_frame_samples_min = 120;    // 2.5 ms

// The packet's duration in samples at 48 kHz. Fails (errc::protocol) on an empty packet, a
// code-3 packet without its frame count or with no frames, or a total over 120 ms.
result<std::uint32_t> opus_packet_samples(std::span<const std::uint8_t> packet);

bool is_opus_filler(std::span<const std::uint8_t> packet);

// Fillers that together last exactly `samples` (a multiple of opus_frame_samples_min), in as
// few packets as possible.
std::vector<bytes> opus_fillers(std::uint64_t samples);

}  // namespace hotline::voice
