#include "voice/ogg_reader.hpp"

#include <ogg/ogg.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "voice/opus_packet.hpp"

namespace hotline::voice {
namespace {

// Owns libogg's reading state for one file.
struct ogg_input {
  ogg_sync_state sync{};
  ogg_stream_state stream{};
  bool stream_ready = false;

  ogg_input() { ogg_sync_init(&sync); }
  ~ogg_input() {
    ogg_sync_clear(&sync);
    if (stream_ready) ogg_stream_clear(&stream);
  }
  ogg_input(const ogg_input&) = delete;
  ogg_input& operator=(const ogg_input&) = delete;
};

std::span<const std::uint8_t> packet_bytes(const ogg_packet& op) {
  return {op.packet, static_cast<std::size_t>(op.bytes)};
}

bool starts_with(std::span<const std::uint8_t> p, std::string_view magic) {
  return p.size() >= magic.size() && std::memcmp(p.data(), magic.data(), magic.size()) == 0;
}

result<void> check_head(std::span<const std::uint8_t> p) {
  const bytes expected = [] {
    bytes h{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 1};
    put_le16(h, opus_pre_skip_samples);
    put_le32(h, opus_clock_hz);
    put_le16(h, 0);
    h.push_back(0);
    return h;
  }();
  if (!std::equal(p.begin(), p.end(), expected.begin(), expected.end())) {
    return fail(errc::corrupt, "OpusHead is not a Hotline recording's");
  }
  return {};
}

// Reads one length-prefixed string of OpusTags at `at`.
std::optional<std::string> tag_string(std::span<const std::uint8_t> p, std::size_t& at) {
  if (p.size() - at < 4) return std::nullopt;
  const std::size_t n =
      p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (std::size_t{p[at + 3]} << 24);
  at += 4;
  if (p.size() - at < n) return std::nullopt;
  std::string s(p.begin() + static_cast<std::ptrdiff_t>(at),
                p.begin() + static_cast<std::ptrdiff_t>(at + n));
  at += n;
  return s;
}

result<void> read_tags(std::span<const std::uint8_t> p, recording_contents& out) {
  std::size_t at = 8;
  if (!starts_with(p, "OpusTags")) return fail(errc::corrupt, "second packet is not OpusTags");
  auto vendor = tag_string(p, at);
  // Then the comment count, two, little-endian.
  if (!vendor || p.size() - at < 4 || load_be32(p, at) != 0x02000000) {
    return fail(errc::corrupt, "OpusTags is not a Hotline recording's");
  }
  at += 4;
  auto call = tag_string(p, at);
  auto direction = tag_string(p, at);
  if (!call || !direction || at != p.size() || !call->starts_with("HOTLINE_CALL=") ||
      !direction->starts_with("HOTLINE_DIRECTION=")) {
    return fail(errc::corrupt, "OpusTags is not a Hotline recording's");
  }
  out.call_id = call->substr(13);
  out.direction = direction->substr(18);
  return {};
}

result<void> read_audio(const ogg_packet& op, recording_contents& out) {
  const auto p = packet_bytes(op);
  auto samples = opus_packet_samples(p);
  if (!samples) return fail(errc::corrupt, "a recorded packet is not Opus");
  if (!is_opus_filler(p)) {
    recorded_packet r;
    r.index = out.packets.size() + 1;
    r.position_samples = out.end_samples;
    r.payload.assign(p.begin(), p.end());
    r.chain = recording_chain_next(out.chain, r.index, r.position_samples, p);
    out.chain = r.chain;
    out.packets.push_back(std::move(r));
  }
  out.end_samples += *samples;
  if (op.granulepos != -1 &&
      static_cast<std::uint64_t>(op.granulepos) != opus_pre_skip_samples + out.end_samples) {
    return fail(errc::corrupt, "a page's granule position disagrees with its packets");
  }
  return {};
}

result<void> read_packet(const ogg_packet& op, recording_contents& out) {
  if (op.packetno == 0) return check_head(packet_bytes(op));
  if (op.packetno == 1) return read_tags(packet_bytes(op), out);
  return read_audio(op, out);
}

result<void> read_page(ogg_input& in, ogg_page& page, recording_contents& out) {
  if (out.complete) return fail(errc::corrupt, "data after the end of the stream");
  if (!in.stream_ready) {
    if (!ogg_page_bos(&page)) return fail(errc::corrupt, "the first page does not begin a stream");
    out.serial = static_cast<std::uint32_t>(ogg_page_serialno(&page));
    ogg_stream_init(&in.stream, ogg_page_serialno(&page));
    in.stream_ready = true;
  } else if (static_cast<std::uint32_t>(ogg_page_serialno(&page)) != out.serial) {
    return fail(errc::corrupt, "a second Ogg stream in a recording");
  }
  if (ogg_stream_pagein(&in.stream, &page) != 0) return fail(errc::corrupt, "bad Ogg page");
  ogg_packet op;
  while (true) {
    const int rc = ogg_stream_packetout(&in.stream, &op);
    if (rc == 0) break;
    if (rc < 0) return fail(errc::corrupt, "a page is missing from the recording");
    if (auto ok = read_packet(op, out); !ok) return ok;
  }
  if (ogg_page_eos(&page)) out.complete = true;
  return {};
}

}  // namespace

result<recording_contents> read_recording(std::span<const std::uint8_t> file) {
  ogg_input in;
  recording_contents out;
  if (!file.empty()) {
    char* buffer = ogg_sync_buffer(&in.sync, static_cast<long>(file.size()));
    if (buffer == nullptr) return fail(errc::io, "libogg could not allocate");
    std::memcpy(buffer, file.data(), file.size());
    ogg_sync_wrote(&in.sync, static_cast<long>(file.size()));
  }
  ogg_page page;
  while (true) {
    const int rc = ogg_sync_pageout(&in.sync, &page);
    if (rc == 0) break;  // no further complete page: the end, or a cut
    if (rc < 0) return fail(errc::corrupt, "bytes that are not a valid Ogg page");
    if (auto ok = read_page(in, page, out); !ok) return std::unexpected(ok.error());
  }
  if (recording_serial(out.call_id, out.direction) != out.serial && !out.call_id.empty()) {
    return fail(errc::corrupt, "serial number does not match the call and direction");
  }
  return out;
}

result<recording_verdict> verify_recording(std::span<const std::uint8_t> file,
                                           std::span<const recording_checkpoint> checkpoints) {
  auto contents = read_recording(file);
  if (!contents) return std::unexpected(contents.error());
  recording_verdict v;
  v.packets = contents->packets.size();
  v.chain = contents->chain;
  v.complete = contents->complete;
  for (const recording_checkpoint& cp : checkpoints) {
    if (cp.packets == 0) return fail(errc::invalid_argument, "a checkpoint covers no packet");
    if (cp.packets > v.packets) {
      ++v.checkpoints_beyond;
      continue;
    }
    const recorded_packet& last = contents->packets[cp.packets - 1];
    // The payload parsed when the file was read, so its duration is known.
    const std::uint64_t end = last.position_samples + *opus_packet_samples(last.payload);
    if (last.chain != cp.chain) return fail(errc::corrupt, "the chain disagrees with a checkpoint");
    if (end != cp.end_samples) {
      return fail(errc::corrupt, "a checkpoint's position disagrees with the recording");
    }
    ++v.checkpoints_covered;
  }
  return v;
}

}  // namespace hotline::voice
