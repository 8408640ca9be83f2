// Fuzz target for the media socket's RTP side: demultiplexing, the RTP and RTCP parsers, the
// sequence unwrapper and the timestamp rewrite, and Opus packet durations.
//
// A parsed RTP packet must serialize and parse back to the same header and payload. The
// unwrapper must place every number within half the sequence space of the highest seen, and
// never move the highest backwards. A broken rule aborts, so libFuzzer and the corpus replay
// both report it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "voice/opus_packet.hpp"
#include "voice/rtp.hpp"

namespace {

using namespace hotline::voice;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_rtp: %s\n", what);
  std::abort();
}

void check_rtp(std::span<const std::uint8_t> in) {
  auto p = parse_rtp(in);
  if (!p) return;
  require(p->payload.data() >= in.data() &&
              p->payload.data() + p->payload.size() <= in.data() + in.size(),
          "payload outside the datagram");
  auto wire = serialize_rtp(p->header, p->payload);
  require(wire.has_value(), "a parsed header does not serialize");
  auto back = parse_rtp(*wire);
  require(back.has_value(), "a serialized packet does not parse");
  require(back->header == p->header, "round trip changed the header");
  require(
      std::equal(back->payload.begin(), back->payload.end(), p->payload.begin(), p->payload.end()),
      "round trip changed the payload");
  auto samples = opus_packet_samples(p->payload);
  require(!samples || (*samples > 0 && *samples <= opus_packet_samples_max), "bad Opus duration");
}

void check_sequences(std::span<const std::uint8_t> in) {
  seq_unwrapper u;
  timestamp_rewriter w(static_cast<std::uint32_t>(in.size()));
  for (std::size_t i = 0; i + 6 <= in.size(); i += 6) {
    const auto seq = load_be16(in, i);
    const auto before = u.highest();
    const std::int64_t ext = u.unwrap(seq);
    require(static_cast<std::uint16_t>(ext) == seq, "unwrap changed the low 16 bits");
    if (before) {
      require(*u.highest() >= *before, "the highest sequence number went backwards");
      require(ext - *before <= 32767 && *before - ext <= 32768, "unwrap jumped a half cycle");
    }
    (void)w.rewrite(ext, load_be32(in, i + 2), (seq & 1) != 0, in[i] & 3);
    if ((seq & 0xff) == 0) w.note_path_change();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  auto kind = classify_datagram(in);
  check_rtp(in);
  auto rtcp = parse_rtcp_compound(in);
  if (rtcp) {
    std::size_t total = 0;
    for (const auto& p : *rtcp) total += p.bytes;
    require(total == size, "RTCP packets do not cover the datagram");
    require(kind.has_value() && *kind == datagram_kind::rtcp, "RTCP that demuxes elsewhere");
  }
  check_sequences(in);
  return 0;
}
