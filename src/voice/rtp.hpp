// RTP and RTCP at the station's media socket: demultiplexing, parsing and building RTP headers,
// unwrapping sequence numbers, and rewriting RTP time towards the console.
//
// Every function here faces the network. A parser reads only inside the span it is given, never
// throws, and turns every malformed input into an error (errc::protocol, or errc::limit for a
// datagram over rtp_datagram_bytes_max). A parsed packet's payload is a view into the caller's
// buffer, which must outlive it. Free functions are pure and thread-safe; seq_unwrapper and
// timestamp_rewriter are plain values, one per stream, used from one thread at a time.
//
// Demultiplexing follows RFC 7983 on the first byte (STUN 0-3, DTLS 20-63, RTP/RTCP 128-191,
// anything else refused) and RFC 5761 on the second: 192-223 (an RTCP packet type, which also
// covers RTP payload types 64-95 with the marker set) is RTCP; everything else is RTP. RTP
// payload types 64-95 are therefore refused by parse_rtp, as RFC 5761 section 4 asks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "voice/byte_order.hpp"

namespace hotline::voice {

// The largest UDP payload the media socket accepts: an Ethernet MTU. Opus at 24 kbit/s in 20 ms
// frames is about 60 bytes, so nothing legitimate comes close.
inline constexpr std::size_t rtp_datagram_bytes_max = 1500;
inline constexpr std::size_t rtp_header_bytes_min = 12;
inline constexpr std::size_t rtp_csrc_count_max = 15;  // the CC field's four bits
inline constexpr std::size_t rtcp_header_bytes = 8;
// A compound RTCP packet holds a report, an SDES and a few feedback packets; more is refused.
inline constexpr std::size_t rtcp_compound_packets_max = 16;

enum class datagram_kind { stun, dtls, rtp, rtcp };

// Which protocol a UDP datagram carries. Fails (errc::protocol) on an empty datagram or a first
// byte outside the three ranges, and (errc::limit) over rtp_datagram_bytes_max.
result<datagram_kind> classify_datagram(std::span<const std::uint8_t> datagram);

struct rtp_extension {
  std::uint16_t profile = 0;
  bytes data;  // a multiple of 4 bytes (RFC 3550 5.3.1)
  bool operator==(const rtp_extension&) const = default;
};

struct rtp_header {
  bool marker = false;
  std::uint8_t payload_type = 0;  // 0-127, never 64-95
  std::uint16_t seq = 0;
  std::uint32_t timestamp = 0;
  std::uint32_t ssrc = 0;
  std::vector<std::uint32_t> csrcs;  // at most rtp_csrc_count_max
  std::optional<rtp_extension> extension;
  std::uint8_t padding_bytes = 0;  // 0, or the count in the last byte (which counts itself)
  bool operator==(const rtp_header&) const = default;
};

struct rtp_packet {
  rtp_header header;
  std::span<const std::uint8_t> payload;  // a view into the parsed datagram
};

// Parses an RTP packet (RFC 3550 5.1): version 2, the CSRC list, the extension and the padding
// must all fit, and the padding count must be at least 1 and leave the payload intact.
result<rtp_packet> parse_rtp(std::span<const std::uint8_t> datagram);

// Builds the packet parse_rtp would read back as (header, payload). Fails (invalid_argument) on
// a header parse_rtp would refuse, or (limit) if the packet would exceed rtp_datagram_bytes_max.
result<bytes> serialize_rtp(const rtp_header& header, std::span<const std::uint8_t> payload);

struct rtcp_packet_info {
  std::uint8_t packet_type = 0;  // 192-223
  std::uint8_t count = 0;        // the five-bit count field (reports, sources, or feedback type)
  std::uint32_t sender_ssrc = 0;
  std::size_t bytes = 0;  // this packet's length, header included
};

// Checks the structure of a compound RTCP packet (RFC 3550 6.1): every packet version 2, with a
// type in 192-223 and a length that fits, together covering the datagram exactly. The contents
// of reports are not parsed here.
result<std::vector<rtcp_packet_info>> parse_rtcp_compound(std::span<const std::uint8_t> datagram);

// Extends 16-bit RTP sequence numbers to 64 bits (RFC 3550 appendix A.1): each number is placed
// in the cycle that puts it nearest to the highest one seen. The first number seen is returned
// as is; a number from before it in the first cycle comes back negative.
class seq_unwrapper {
 public:
  std::int64_t unwrap(std::uint16_t seq);
  std::optional<std::int64_t> highest() const { return highest_; }

 private:
  std::optional<std::int64_t> highest_;
};

// Rewrites RTP time on the stream the station relays to a console, so that the browser's jitter
// buffer never sees the source's clock jump. Output timestamps advance by the source's own steps
// while the source is steady. When the source jumps (a new SSRC, a step in RTP time that the
// sequence numbers do not explain by more than ts_jump_samples_min, or a path change the caller
// notes), the output continues from the last output timestamp by the frames the sequence numbers
// say were sent, and that packet carries the marker bit: the browser starts a new talkspurt and
// re-aligns its playout instead of discarding the frames as late.
class timestamp_rewriter {
 public:
  static constexpr std::uint32_t frame_samples_default = 960;  // 20 ms at 48 kHz
  static constexpr std::int64_t ts_jump_samples_min = 2880;    // 60 ms at 48 kHz

  struct output {
    std::uint32_t timestamp = 0;
    bool marker = false;
  };

  explicit timestamp_rewriter(std::uint32_t first_output_timestamp)
      : next_base_(first_output_timestamp) {}

  // `ext_seq` is the packet's extended sequence number (seq_unwrapper). A packet older than the
  // newest one seen keeps its place relative to it and changes no state.
  output rewrite(std::int64_t ext_seq, std::uint32_t timestamp, bool marker, std::uint32_t ssrc);

  // The next packet starts a new talkspurt: the relay switched paths, so the delay jumped.
  void note_path_change() { discontinuity_ = true; }

 private:
  struct last_packet {
    std::int64_t ext_seq = 0;
    std::uint32_t in_ts = 0;
    std::uint32_t out_ts = 0;
    std::uint32_t ssrc = 0;
  };
  std::optional<last_packet> last_;
  std::uint32_t next_base_;
  std::uint32_t frame_samples_ = frame_samples_default;
  bool discontinuity_ = false;
};

}  // namespace hotline::voice
