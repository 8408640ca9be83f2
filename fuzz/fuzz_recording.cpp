// Fuzz target for the call recording: the reader against hostile files, and the recorder and
// reader together against hostile packet sequences.
//
// The first byte picks the mode. Even: the rest is a file, and read_recording must either refuse
// it or return packets whose indexes count from 1, whose positions increase, and whose chain
// recomputes. Odd: the rest is a sequence of packets (a 16-bit step in RTP time, a length byte,
// the payload); the file the recorder writes for them must read back as exactly the packets it
// accepted, with its chain and end, and every prefix of it must verify against its checkpoints.
// A broken rule aborts, so libFuzzer and the corpus replay both report it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "voice/ogg_reader.hpp"
#include "voice/ogg_recorder.hpp"

namespace {

using namespace hotline::voice;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_recording: %s\n", what);
  std::abort();
}

void check_file(std::span<const std::uint8_t> file) {
  auto c = read_recording(file);
  if (!c) return;
  chain_hash link{};
  std::uint64_t last_position = 0;
  for (std::size_t i = 0; i < c->packets.size(); ++i) {
    const recorded_packet& p = c->packets[i];
    require(p.index == i + 1, "indexes do not count from 1");
    require(i == 0 || p.position_samples > last_position, "positions do not increase");
    link = recording_chain_next(link, p.index, p.position_samples, p.payload);
    require(link == p.chain, "the chain does not recompute");
    last_position = p.position_samples;
  }
  require(link == c->chain, "the chain head is not the last link");
}

void check_sequence(std::span<const std::uint8_t> in) {
  auto rec = ogg_recorder::create("call-fuzz", "a>b");
  require(rec.has_value(), "recorder not created");
  std::vector<bytes> kept;
  std::vector<recording_checkpoint> checkpoints;
  std::uint32_t ts = 0;
  std::size_t at = 0;
  while (at + 3 <= in.size()) {
    ts += static_cast<std::uint32_t>(load_be16(in, at) * 16);
    const std::size_t n = std::min<std::size_t>(in[at + 2], in.size() - at - 3);
    const auto payload = in.subspan(at + 3, n);
    at += 3 + n;
    const std::uint64_t before = rec->packets();
    auto cp = rec->add_packet(ts, payload);
    if (!cp) continue;
    if (*cp) checkpoints.push_back(**cp);
    if (rec->packets() > before) kept.emplace_back(payload.begin(), payload.end());
  }
  rec->finish();
  const bytes file = rec->take_bytes();
  auto c = read_recording(file);
  require(c.has_value(), "the recorder's file does not read");
  require(c->packets.size() == kept.size(), "packet count differs");
  for (std::size_t i = 0; i < kept.size(); ++i) {
    require(c->packets[i].payload == kept[i], "a packet differs");
  }
  require(c->chain == rec->chain_head() && c->end_samples == rec->end_samples(), "chain differs");
  require(verify_recording(file, checkpoints).has_value(), "the whole file does not verify");
  const std::size_t cut = in.empty() ? 0 : (file.size() * in[0]) / 255;
  auto prefix = verify_recording(std::span(file).first(cut), checkpoints);
  require(prefix.has_value(), "a prefix does not verify");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    check_file(rest);
  } else {
    check_sequence(rest);
  }
  return 0;
}
