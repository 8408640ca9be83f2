// Writes the frame fuzzer's seed corpus: every frame type valid, a few streams of several
// frames, and the malformed inputs the decoder must refuse. Usage: make_frame_corpus DIR
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/limits.hpp"
#include "core/wire.hpp"

namespace {

using namespace hotline;
using wire::bytes;

message sample_message(std::uint64_t seq, precedence p, std::string body) {
  message m;
  m.id = "6f1c2d3e-4b5a-4c6d-8e7f-" + std::to_string(100000 + seq);
  m.channel = "navy";
  m.from = "rok-fleet";
  m.seq = seq;
  m.prec = p;
  m.created_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(seq);
  m.body = std::move(body);
  return m;
}

wire::hello sample_hello() {
  wire::hello h;
  h.station = "ru-pacific";
  h.agreement_hash.fill(0xab);
  h.boot_id = 0x1122334455667788ULL;
  h.path = "satellite";
  h.resume = {{"navy", 12}, {"air", 1}};
  return h;
}

// Rewrites the length prefix after a body was edited.
bytes relength(bytes f) {
  std::size_t n = f.size() - 4;
  for (int i = 0; i < 4; ++i)
    f[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * (3 - i)));
  return f;
}

std::vector<std::pair<std::string, bytes>> corpus() {
  std::vector<std::pair<std::string, bytes>> out;
  auto add = [&](std::string name, bytes b) { out.emplace_back(std::move(name), std::move(b)); };
  wire::hello bare = sample_hello();
  bare.resume.clear();
  bare.path.clear();
  add("valid-hello", wire::encode(sample_hello()));
  add("valid-hello-no-resume", wire::encode(bare));
  add("valid-data-flash",
      wire::encode(wire::data{sample_message(1, precedence::flash, "Missile launch detected.")}));
  add("valid-data-routine", wire::encode(wire::data{sample_message(2, precedence::routine, "")}));
  message signed_msg = sample_message(3, precedence::immediate, "{\"area\":\"KADIZ\"}");
  signed_msg.form = "FLIGHT-NOTICE";
  signed_msg.signature = std::string(64, '\x5c');
  add("valid-data-signed-form", wire::encode(wire::data{signed_msg}));
  add("valid-ack", wire::encode(wire::ack{"navy", 41}));
  add("valid-ping", wire::encode(wire::ping{123456789}));
  add("valid-pong", wire::encode(wire::pong{123456789}));
  add("valid-close", wire::encode(wire::close{"agreement mismatch"}));
  add("valid-close-empty", wire::encode(wire::close{}));
  bytes stream;
  wire::encode(sample_hello(), stream);
  for (std::uint64_t s = 1; s <= 3; ++s) {
    wire::encode(wire::data{sample_message(s, precedence::priority, "m")}, stream);
  }
  wire::encode(wire::ack{"air", 7}, stream);
  wire::encode(wire::ping{1}, stream);
  add("valid-stream", stream);
  bytes partial = stream;
  partial.resize(partial.size() - 5);
  add("stream-ending-mid-frame", partial);

  add("bad-unknown-type", relength({0, 0, 0, 0, 0x7f, 1, 2, 3}));
  add("bad-zero-length", {0, 0, 0, 0});
  std::size_t over = limits::frame_bytes_max + 1;
  add("bad-oversized-length",
      {static_cast<std::uint8_t>(over >> 24), static_cast<std::uint8_t>(over >> 16),
       static_cast<std::uint8_t>(over >> 8), static_cast<std::uint8_t>(over), 4});
  for (auto [name, f] : std::vector<std::pair<std::string, bytes>>(out.begin(), out.begin() + 10)) {
    bytes cut = f;
    cut.resize(4 + (cut.size() - 4) / 2);
    add("bad-truncated-" + name.substr(6), relength(cut));
    bytes trailing = f;
    trailing.push_back(0);
    add("bad-trailing-" + name.substr(6), relength(trailing));
  }
  message plain = sample_message(1, precedence::routine, "x");
  bytes seq0 = wire::encode(wire::data{plain});
  bytes prec = seq0;
  // The seq sits after the length prefix, the type byte and three u16-prefixed strings.
  std::size_t seq_at =
      4 + 1 + (2 + plain.id.size()) + (2 + plain.channel.size()) + (2 + plain.from.size());
  for (std::size_t i = 0; i < 8; ++i) seq0[seq_at + i] = 0;
  add("bad-seq-zero", seq0);
  prec[seq_at + 8] = 9;
  add("bad-precedence", prec);
  bytes long_channel = wire::encode(wire::ack{std::string(limits::channel_id_bytes_max, 'c'), 1});
  add("edge-channel-at-limit", long_channel);
  long_channel.insert(long_channel.begin() + 7, 'c');
  long_channel[6] = static_cast<std::uint8_t>(long_channel[6] + 1);
  add("bad-channel-over-limit", relength(long_channel));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  auto files = corpus();
  for (const auto& [name, b] : files) {
    // Each file must be what its name says: "bad-" ones end in a decoding error.
    wire::frame_decoder d;
    d.feed(b);
    bool failed = false;
    for (auto next = d.next(); !failed; next = d.next()) {
      if (!next)
        failed = true;
      else if (!*next)
        break;
    }
    if (failed != name.starts_with("bad-")) {
      std::fprintf(stderr, "%s: decodes %s\n", name.c_str(), failed ? "with an error" : "cleanly");
      return 1;
    }
    std::ofstream out(std::filesystem::path(argv[1]) / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  std::printf("wrote %zu corpus files to %s\n", files.size(), argv[1]);
  return 0;
}
