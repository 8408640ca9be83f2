#include "voice/ogg_recorder.hpp"

#include <ogg/ogg.h>

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "core/signing.hpp"
#include "voice/opus_packet.hpp"
#include "voice/rtp.hpp"
#include "voice/srtp_keys.hpp"

namespace hotline::voice {
namespace {

// A packet this far behind the end of the previous one is late or a duplicate; further behind,
// the source restarted its RTP clock, and the recording simply continues.
constexpr std::int64_t late_samples_max = 2 * 48'000;

bytes opus_head() {
  const std::string magic = "OpusHead";
  bytes h(magic.begin(), magic.end());
  h.push_back(1);  // version
  h.push_back(1);  // channels
  put_le16(h, opus_pre_skip_samples);
  put_le32(h, opus_clock_hz);
  put_le16(h, 0);  // output gain
  h.push_back(0);  // mapping family
  return h;
}

void put_string(bytes& out, std::string_view s) {
  put_le32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

bytes opus_tags(std::string_view call_id, std::string_view direction) {
  const std::string magic = "OpusTags";
  bytes t(magic.begin(), magic.end());
  put_string(t, "hotline");
  put_le32(t, 2);
  put_string(t, "HOTLINE_CALL=" + std::string(call_id));
  put_string(t, "HOTLINE_DIRECTION=" + std::string(direction));
  return t;
}

struct held_packet {
  bytes payload;
  std::int64_t granule = 0;
};

// How many samples of filler precede a packet that starts `delta` samples after the previous
// one ended, or nullopt if the packet is late or a duplicate.
std::optional<std::uint64_t> gap_fill(std::int64_t delta) {
  if (delta < -late_samples_max) return 0;  // the source's clock restarted
  if (delta < 0) return std::nullopt;
  const auto gap = static_cast<std::uint64_t>(delta);
  const std::uint64_t whole = gap - gap % opus_frame_samples_min;
  return std::min(whole, recording_gap_samples_max);
}

}  // namespace

chain_hash recording_chain_next(const chain_hash& prev, std::uint64_t index,
                                std::uint64_t position_samples,
                                std::span<const std::uint8_t> payload) {
  bytes link(prev.begin(), prev.end());
  put_be64(link, index);
  put_be64(link, position_samples);
  link.insert(link.end(), payload.begin(), payload.end());
  return signing::sha256(link);
}

std::uint32_t recording_serial(std::string_view call_id, std::string_view direction) {
  std::string text(call_id);
  text.push_back('\0');
  text.append(direction);
  const chain_hash h = signing::sha256(std::string_view(text));
  return load_be32(h, 0);
}

struct ogg_recorder::state {
  ogg_stream_state os{};
  bytes out;
  std::int64_t packetno = 0;
  std::size_t unflushed_packets = 0;
  std::optional<held_packet> held;
  bool finished = false;
  bool started = false;
  std::uint32_t next_rtp = 0;  // the RTP time at which the last packet ends
  std::uint64_t end = 0;       // the same, in samples from the first packet
  std::uint64_t packets = 0;
  chain_hash chain{};
  std::uint64_t next_checkpoint = recording_checkpoint_samples;

  explicit state(std::uint32_t serial) { ogg_stream_init(&os, static_cast<int>(serial)); }
  ~state() { ogg_stream_clear(&os); }
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  void flush_pages() {
    ogg_page page;
    while (ogg_stream_flush(&os, &page) != 0) {
      out.insert(out.end(), page.header, page.header + page.header_len);
      out.insert(out.end(), page.body, page.body + page.body_len);
    }
    unflushed_packets = 0;
  }

  void packet_in(const bytes& data, std::int64_t granule, bool bos, bool eos) {
    ogg_packet op{};
    // libogg copies the packet; it never writes through this pointer.
    op.packet = const_cast<unsigned char*>(data.data());
    op.bytes = static_cast<long>(data.size());
    op.b_o_s = bos ? 1 : 0;
    op.e_o_s = eos ? 1 : 0;
    op.granulepos = granule;
    op.packetno = packetno++;
    const int rc = ogg_stream_packetin(&os, &op);
    assert(rc == 0);
    (void)rc;
    if (++unflushed_packets >= recording_page_packets_max) flush_pages();
  }
};

ogg_recorder::ogg_recorder(std::unique_ptr<state> s) : s_(std::move(s)) {}
ogg_recorder::ogg_recorder(ogg_recorder&&) noexcept = default;
ogg_recorder& ogg_recorder::operator=(ogg_recorder&&) noexcept = default;
ogg_recorder::~ogg_recorder() = default;

result<ogg_recorder> ogg_recorder::create(std::string_view call_id, std::string_view direction) {
  if (call_id.empty() || call_id.size() > call_id_bytes_max) {
    return fail(errc::invalid_argument, "call id must be 1 to 64 bytes", "call_id");
  }
  if (direction.empty() || direction.size() > recording_direction_bytes_max) {
    return fail(errc::invalid_argument, "direction must be 1 to 160 bytes", "direction");
  }
  auto s = std::make_unique<state>(recording_serial(call_id, direction));
  // RFC 7845 3: OpusHead alone on the first page, OpusTags ending its own page.
  s->packet_in(opus_head(), 0, true, false);
  s->flush_pages();
  s->packet_in(opus_tags(call_id, direction), 0, false, false);
  s->flush_pages();
  return ogg_recorder(std::move(s));
}

result<std::optional<recording_checkpoint>> ogg_recorder::add_packet(
    std::uint32_t rtp_timestamp, std::span<const std::uint8_t> opus) {
  state& s = *s_;
  if (s.finished) return fail(errc::conflict, "the recording is finished");
  if (opus.size() > rtp_datagram_bytes_max) return fail(errc::limit, "Opus packet too large");
  auto samples = opus_packet_samples(opus);
  if (!samples) return std::unexpected(samples.error());
  // A packet with no audio in a filler's form is recorded as the gap it is.
  if (is_opus_filler(opus)) return std::nullopt;
  std::uint64_t fill = 0;
  if (s.started) {
    auto f = gap_fill(static_cast<std::int32_t>(rtp_timestamp - s.next_rtp));
    if (!f) return fail(errc::conflict, "packet starts before the previous one ended");
    fill = *f;
  }
  if (s.held) s.packet_in(s.held->payload, s.held->granule, false, false);
  std::uint64_t filled = s.end;
  for (const bytes& filler : opus_fillers(fill)) {
    filled += *opus_packet_samples(filler);
    s.packet_in(filler, static_cast<std::int64_t>(opus_pre_skip_samples + filled), false, false);
  }
  const std::uint64_t position = s.end + fill;
  assert(filled == position);
  s.end = position + *samples;
  s.held = held_packet{bytes(opus.begin(), opus.end()),
                       static_cast<std::int64_t>(opus_pre_skip_samples + s.end)};
  s.chain = recording_chain_next(s.chain, ++s.packets, position, opus);
  s.next_rtp = rtp_timestamp + *samples;
  s.started = true;
  if (s.end < s.next_checkpoint) return std::nullopt;
  s.next_checkpoint = (s.end / recording_checkpoint_samples + 1) * recording_checkpoint_samples;
  return recording_checkpoint{s.packets, s.chain, s.end};
}

void ogg_recorder::finish() {
  state& s = *s_;
  if (s.finished) return;
  if (s.held) s.packet_in(s.held->payload, s.held->granule, false, true);
  s.held.reset();
  s.flush_pages();
  s.finished = true;
}

bytes ogg_recorder::take_bytes() { return std::exchange(s_->out, {}); }
std::uint64_t ogg_recorder::packets() const { return s_->packets; }
const chain_hash& ogg_recorder::chain_head() const { return s_->chain; }
std::uint64_t ogg_recorder::end_samples() const { return s_->end; }

}  // namespace hotline::voice
