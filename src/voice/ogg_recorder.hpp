// The recording of one direction of one call: an Ogg Opus file (RFC 7845) holding the Opus
// packets the station relayed, untranscoded, and a hash chain over them.
//
// Sans-I/O: the recorder takes packets and hands back the bytes to append to the file
// (take_bytes); the caller writes them and syncs. The bytes are a pure function of (call id,
// direction, the packets and their RTP timestamps), so two stations that relay the same packets
// write byte-identical files:
//   - the Ogg serial number is the first 4 bytes (big-endian) of SHA-256(call_id || 0x00 ||
//     direction); OpusHead is version 1, one channel, pre-skip opus_pre_skip_samples, 48 kHz,
//     gain 0, mapping family 0; OpusTags names the vendor "hotline" and carries
//     HOTLINE_CALL=<call id> and HOTLINE_DIRECTION=<direction>, nothing time-dependent;
//   - the timeline is RTP time: a packet starts where its RTP timestamp says, relative to the
//     first packet. A gap (lost packets) is filled with filler packets (opus_packet.hpp) that
//     last as long as the gap, in whole 2.5 ms steps and at most recording_gap_samples_max, so
//     the silence stays in the timeline and every packet's position is recoverable from the file;
//   - a page is flushed at least every recording_page_packets_max packets, so a process killed
//     mid-call leaves a readable prefix; the last packet is held back until the next one (or
//     finish) so that it can carry the end-of-stream flag.
//
// The chain: link(0) is 32 zero bytes; link(i) = SHA-256(link(i-1) || index_i || position_i ||
// payload_i), where index_i (u64, big-endian, from 1) counts recorded packets, fillers excluded,
// and position_i (u64, big-endian) is the packet's start in 48 kHz samples from the first packet.
// Both are recoverable from the file alone. A checkpoint (packets, chain head, end position) is
// produced each time the recording crosses a multiple of recording_checkpoint_samples (10 s); the
// caller journals it.
//
// Errors: add_packet refuses (errc::protocol) a packet that is not Opus (opus_packet.hpp), or
// (errc::limit) one over rtp_datagram_bytes_max; it refuses (errc::conflict) a packet that does
// not start after the end of the previous one (a duplicate or a late reordered packet: the relay
// counts it, and the gap exchange after the call fills the hole); after finish() it fails with
// errc::conflict. A refused packet changes nothing. Not thread-safe; movable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/error.hpp"
#include "core/wire.hpp"
#include "voice/byte_order.hpp"

namespace hotline::voice {

inline constexpr std::uint16_t opus_pre_skip_samples = 312;    // libopus's encoder delay, 6.5 ms
inline constexpr std::size_t recording_page_packets_max = 25;  // 0.5 s of 20 ms packets
inline constexpr std::uint64_t recording_checkpoint_samples = 10ull * 48'000;
inline constexpr std::uint64_t recording_gap_samples_max = 60ull * 48'000;
inline constexpr std::size_t recording_direction_bytes_max = 160;

using chain_hash = wire::hash256;

struct recording_checkpoint {
  std::uint64_t packets = 0;      // packets covered (the index of the last one)
  chain_hash chain{};             // link(packets)
  std::uint64_t end_samples = 0;  // where the last covered packet ends
  bool operator==(const recording_checkpoint&) const = default;
};

// One chain step, shared by the recorder and the verifier.
chain_hash recording_chain_next(const chain_hash& prev, std::uint64_t index,
                                std::uint64_t position_samples,
                                std::span<const std::uint8_t> payload);

// The serial number of the recording of (call_id, direction).
std::uint32_t recording_serial(std::string_view call_id, std::string_view direction);

class ogg_recorder {
 public:
  // Fails (invalid_argument) on an empty or over-long call id or direction. The OpusHead and
  // OpusTags pages are ready in take_bytes() at once.
  static result<ogg_recorder> create(std::string_view call_id, std::string_view direction);

  ogg_recorder(ogg_recorder&&) noexcept;
  ogg_recorder& operator=(ogg_recorder&&) noexcept;
  ~ogg_recorder();

  // Records one packet; returns the checkpoint it completes, if any.
  result<std::optional<recording_checkpoint>> add_packet(std::uint32_t rtp_timestamp,
                                                         std::span<const std::uint8_t> opus);
  // Writes the held packet with the end-of-stream flag and flushes. Idempotent.
  void finish();
  // The bytes produced since the last call, to append to the file.
  bytes take_bytes();

  std::uint64_t packets() const;
  const chain_hash& chain_head() const;
  std::uint64_t end_samples() const;

 private:
  struct state;
  explicit ogg_recorder(std::unique_ptr<state> s);
  std::unique_ptr<state> s_;
};

}  // namespace hotline::voice
