#include "voice/rtp.hpp"

#include <cassert>

namespace hotline::voice {
namespace {

constexpr std::uint8_t rtp_version = 2;

bool is_rtcp_type(std::uint8_t second_byte) { return second_byte >= 192 && second_byte <= 223; }

// RTP payload types that RFC 5761 section 4 keeps free because they collide with RTCP types.
bool is_reserved_payload_type(std::uint8_t pt) { return pt >= 64 && pt <= 95; }

// Reads the header extension at `at` into `h`; returns where the payload (or padding) begins.
result<std::size_t> read_extension(std::span<const std::uint8_t> in, std::size_t at,
                                   rtp_header& h) {
  if (in.size() - at < 4) return fail(errc::protocol, "RTP extension header is truncated");
  const std::uint16_t profile = load_be16(in, at);
  const std::size_t data_bytes = std::size_t{load_be16(in, at + 2)} * 4;
  at += 4;
  if (in.size() - at < data_bytes) return fail(errc::protocol, "RTP extension overruns packet");
  h.extension =
      rtp_extension{profile, bytes(in.begin() + static_cast<std::ptrdiff_t>(at),
                                   in.begin() + static_cast<std::ptrdiff_t>(at + data_bytes))};
  return at + data_bytes;
}

}  // namespace

result<datagram_kind> classify_datagram(std::span<const std::uint8_t> datagram) {
  if (datagram.empty()) return fail(errc::protocol, "empty datagram");
  if (datagram.size() > rtp_datagram_bytes_max) return fail(errc::limit, "datagram too large");
  const std::uint8_t b = datagram[0];
  if (b <= 3) return datagram_kind::stun;
  if (b >= 20 && b <= 63) return datagram_kind::dtls;
  if (b >= 128 && b <= 191) {
    if (datagram.size() < 2) return fail(errc::protocol, "RTP/RTCP datagram is truncated");
    return is_rtcp_type(datagram[1]) ? datagram_kind::rtcp : datagram_kind::rtp;
  }
  return fail(errc::protocol, "first byte matches no protocol on this socket (RFC 7983)");
}

result<rtp_packet> parse_rtp(std::span<const std::uint8_t> in) {
  if (in.size() > rtp_datagram_bytes_max) return fail(errc::limit, "RTP packet too large");
  if (in.size() < rtp_header_bytes_min) return fail(errc::protocol, "RTP header is truncated");
  if ((in[0] >> 6) != rtp_version) return fail(errc::protocol, "RTP version is not 2");
  rtp_header h;
  const bool padded = (in[0] & 0x20) != 0;
  const bool extended = (in[0] & 0x10) != 0;
  const std::size_t csrc_count = in[0] & 0x0f;
  h.marker = (in[1] & 0x80) != 0;
  h.payload_type = in[1] & 0x7f;
  if (is_reserved_payload_type(h.payload_type)) {
    return fail(errc::protocol, "RTP payload type 64-95 collides with RTCP (RFC 5761)");
  }
  h.seq = load_be16(in, 2);
  h.timestamp = load_be32(in, 4);
  h.ssrc = load_be32(in, 8);
  std::size_t at = rtp_header_bytes_min;
  if (in.size() - at < csrc_count * 4) return fail(errc::protocol, "RTP CSRC list overruns packet");
  for (std::size_t i = 0; i < csrc_count; ++i, at += 4) h.csrcs.push_back(load_be32(in, at));
  if (extended) {
    auto next = read_extension(in, at, h);
    if (!next) return std::unexpected(next.error());
    at = *next;
  }
  std::size_t end = in.size();
  if (padded) {
    if (end == at) return fail(errc::protocol, "RTP padding flag set but no padding");
    h.padding_bytes = in[end - 1];
    if (h.padding_bytes == 0) return fail(errc::protocol, "RTP padding count is zero");
    if (h.padding_bytes > end - at) return fail(errc::protocol, "RTP padding overruns payload");
    end -= h.padding_bytes;
  }
  // Invariant: at <= end <= in.size(), so the payload lies inside the datagram.
  assert(at <= end && end <= in.size());
  return rtp_packet{std::move(h), in.subspan(at, end - at)};
}

result<bytes> serialize_rtp(const rtp_header& h, std::span<const std::uint8_t> payload) {
  if (h.payload_type > 127 || is_reserved_payload_type(h.payload_type)) {
    return fail(errc::invalid_argument, "payload type out of range", "payload_type");
  }
  if (h.csrcs.size() > rtp_csrc_count_max) {
    return fail(errc::invalid_argument, "too many CSRCs", "csrcs");
  }
  if (h.extension && (h.extension->data.size() % 4 != 0 || h.extension->data.size() / 4 > 0xffff)) {
    return fail(errc::invalid_argument, "extension data must be 32-bit words", "extension");
  }
  const std::size_t total = rtp_header_bytes_min + 4 * h.csrcs.size() +
                            (h.extension ? 4 + h.extension->data.size() : 0) + payload.size() +
                            h.padding_bytes;
  if (total > rtp_datagram_bytes_max) return fail(errc::limit, "RTP packet would be too large");
  bytes out;
  out.reserve(total);
  out.push_back(static_cast<std::uint8_t>((rtp_version << 6) | (h.padding_bytes ? 0x20 : 0) |
                                          (h.extension ? 0x10 : 0) | h.csrcs.size()));
  out.push_back(static_cast<std::uint8_t>((h.marker ? 0x80 : 0) | h.payload_type));
  put_be16(out, h.seq);
  put_be32(out, h.timestamp);
  put_be32(out, h.ssrc);
  for (std::uint32_t c : h.csrcs) put_be32(out, c);
  if (h.extension) {
    put_be16(out, h.extension->profile);
    put_be16(out, static_cast<std::uint16_t>(h.extension->data.size() / 4));
    out.insert(out.end(), h.extension->data.begin(), h.extension->data.end());
  }
  out.insert(out.end(), payload.begin(), payload.end());
  if (h.padding_bytes) {
    out.insert(out.end(), h.padding_bytes - 1u, std::uint8_t{0});
    out.push_back(h.padding_bytes);
  }
  assert(out.size() == total);
  return out;
}

result<std::vector<rtcp_packet_info>> parse_rtcp_compound(std::span<const std::uint8_t> in) {
  if (in.size() > rtp_datagram_bytes_max) return fail(errc::limit, "RTCP packet too large");
  if (in.empty()) return fail(errc::protocol, "empty RTCP packet");
  std::vector<rtcp_packet_info> out;
  std::size_t at = 0;
  while (at < in.size()) {
    if (out.size() == rtcp_compound_packets_max) {
      return fail(errc::limit, "too many packets in compound RTCP");
    }
    if (in.size() - at < rtcp_header_bytes) return fail(errc::protocol, "RTCP header is truncated");
    if ((in[at] >> 6) != rtp_version) return fail(errc::protocol, "RTCP version is not 2");
    if (!is_rtcp_type(in[at + 1])) return fail(errc::protocol, "not an RTCP packet type");
    const std::size_t length = (std::size_t{load_be16(in, at + 2)} + 1) * 4;
    if (length < rtcp_header_bytes || in.size() - at < length) {
      return fail(errc::protocol, "RTCP length overruns packet");
    }
    out.push_back(
        {in[at + 1], static_cast<std::uint8_t>(in[at] & 0x1f), load_be32(in, at + 4), length});
    at += length;
  }
  return out;
}

std::int64_t seq_unwrapper::unwrap(std::uint16_t seq) {
  if (!highest_) {
    highest_ = seq;
    return seq;
  }
  const auto delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(seq - *highest_));
  const std::int64_t ext = *highest_ + delta;
  if (ext > *highest_) highest_ = ext;
  return ext;
}

timestamp_rewriter::output timestamp_rewriter::rewrite(std::int64_t ext_seq,
                                                       std::uint32_t timestamp, bool marker,
                                                       std::uint32_t ssrc) {
  if (!last_) {
    last_ = last_packet{ext_seq, timestamp, next_base_, ssrc};
    discontinuity_ = false;
    return {next_base_, true};
  }
  const std::int64_t seq_delta = ext_seq - last_->ext_seq;
  const auto ts_delta = static_cast<std::int32_t>(timestamp - last_->in_ts);
  if (seq_delta <= 0 && ssrc == last_->ssrc) {
    // A late packet: keep its distance from the newest one, and change nothing.
    return {static_cast<std::uint32_t>(last_->out_ts + static_cast<std::uint32_t>(ts_delta)),
            false};
  }
  const std::int64_t frames = seq_delta > 0 ? seq_delta : 1;
  const std::int64_t expected = frames * frame_samples_;
  const std::int64_t skew = ts_delta > expected ? ts_delta - expected : expected - ts_delta;
  const bool jumped = discontinuity_ || ssrc != last_->ssrc || skew >= ts_jump_samples_min;
  output out;
  if (jumped) {
    out.timestamp =
        static_cast<std::uint32_t>(last_->out_ts + static_cast<std::uint32_t>(expected));
    out.marker = true;
  } else {
    out.timestamp = last_->out_ts + static_cast<std::uint32_t>(ts_delta);
    out.marker = marker;
    if (seq_delta == 1 && ts_delta > 0 && ts_delta <= 5760) {
      frame_samples_ = static_cast<std::uint32_t>(ts_delta);
    }
  }
  *last_ = last_packet{ext_seq, timestamp, out.timestamp, ssrc};
  discontinuity_ = false;
  return out;
}

}  // namespace hotline::voice
