// Reads a recording written by ogg_recorder back, and verifies it against the checkpoints its
// station journaled.
//
// read_recording recovers every packet held by the file's complete pages, with its index and
// position, and recomputes the hash chain (ogg_recorder.hpp). A file cut at any byte (a station
// killed mid-call) is a prefix: its incomplete last page is ignored and `complete` is false.
// Anything else that is wrong is errc::corrupt: bytes that are not Ogg pages or fail their CRC,
// a second stream, a missing page, headers that are not the recorder's, an Opus packet that does
// not parse, a page granule that disagrees with the packets' durations, or data after the end of
// the stream. A file cut inside the headers reads as an empty prefix.
//
// verify_recording also checks each checkpoint the prefix covers: the chain and end position
// after that many packets must be the checkpoint's, else errc::corrupt. Checkpoints beyond the
// prefix are counted as not covered. Pure and thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "voice/ogg_recorder.hpp"

namespace hotline::voice {

struct recorded_packet {
  std::uint64_t index = 0;             // from 1
  std::uint64_t position_samples = 0;  // start, in 48 kHz samples from the first packet
  bytes payload;
  chain_hash chain{};  // link(index)
};

struct recording_contents {
  std::uint32_t serial = 0;
  std::string call_id;
  std::string direction;
  std::vector<recorded_packet> packets;
  std::uint64_t end_samples = 0;
  chain_hash chain{};     // link(packets.size())
  bool complete = false;  // the end-of-stream page was read
};

result<recording_contents> read_recording(std::span<const std::uint8_t> file);

struct recording_verdict {
  std::uint64_t packets = 0;
  chain_hash chain{};
  std::size_t checkpoints_covered = 0;
  std::size_t checkpoints_beyond = 0;
  bool complete = false;
};

result<recording_verdict> verify_recording(std::span<const std::uint8_t> file,
                                           std::span<const recording_checkpoint> checkpoints);

}  // namespace hotline::voice
