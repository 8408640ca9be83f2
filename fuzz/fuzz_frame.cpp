// Fuzz target for the frame decoder.
//
// The input is fed to wire::frame_decoder in several chunkings, which must all yield the same
// frames and end the same way. Every decoded frame is then re-encoded and must decode back to an
// equal frame. A broken rule aborts, so libFuzzer and the corpus replay both report it.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <vector>

#include "core/wire.hpp"

namespace {

using hotline::wire::frame;

struct decoded {
  std::vector<frame> frames;
  std::optional<hotline::errc> error;
};

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_frame: %s\n", what);
  std::abort();
}

decoded decode_all(std::span<const std::uint8_t> in, std::size_t chunk) {
  hotline::wire::frame_decoder d;
  decoded out;
  for (std::size_t pos = 0; pos < in.size() && !out.error; pos += chunk) {
    d.feed(in.subspan(pos, std::min(chunk, in.size() - pos)));
    while (true) {
      auto next = d.next();
      if (!next) {
        out.error = next.error().code;
        break;
      }
      if (!*next) break;
      out.frames.push_back(std::move(**next));
    }
  }
  return out;
}

void check_reencodes(const frame& f) {
  hotline::wire::bytes encoded = hotline::wire::encode(f);
  hotline::wire::frame_decoder d;
  d.feed(encoded);
  auto again = d.next();
  require(again.has_value() && again->has_value(), "a decoded frame does not re-decode");
  require(**again == f, "a re-encoded frame decodes to a different frame");
  require(d.buffered_bytes() == 0, "re-encoding left bytes over");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  decoded whole = decode_all(in, size == 0 ? 1 : size);
  std::size_t varied = 1 + (size > 0 ? std::size_t{data[0]} % 64 : 0);
  std::size_t chunks[] = {1, 3, 4, 5, varied};
  for (std::size_t chunk : chunks) {
    decoded other = decode_all(in, chunk);
    require(other.frames == whole.frames, "chunking changed the decoded frames");
    require(other.error == whole.error, "chunking changed how decoding ended");
  }
  for (const frame& f : whole.frames) check_reencodes(f);
  return 0;
}
