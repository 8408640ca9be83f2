// Fuzz target for the station's DTLS-SRTP endpoint: hostile datagrams into a fresh endpoint.
//
// The input is a sequence of datagrams, each a big-endian u16 length and that many bytes; what
// is left when a length overruns is one last datagram. The station's identity is made once per
// process; each input gets a fresh endpoint that expects a fingerprint no input can match, so
// the handshake may get far (a ClientHello seed makes the endpoint answer) but must never
// complete. Rules: no keys and no established state, every output datagram within the MTU,
// once failed every later call fails, and the timer calls never crash. A broken rule aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "voice/dtls_endpoint.hpp"

namespace {

using namespace hotline::voice;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_dtls: %s\n", what);
  std::abort();
}

std::shared_ptr<const dtls_identity> station() {
  static auto id = dtls_identity::generate();
  require(id.has_value(), "no DTLS identity");
  return *id;
}

void feed_one(dtls_endpoint& e, std::span<const std::uint8_t> d) {
  const bool was_failed = e.failed();
  auto out = e.feed(d);
  if (was_failed) require(!out.has_value(), "a failed endpoint accepted a datagram");
  if (!out) return;
  require(!out->keys.has_value() && !e.established(), "a forged handshake completed");
  for (const auto& o : out->datagrams) require(o.size() <= dtls_mtu_bytes, "datagram over MTU");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sha256_fingerprint nobody{};
  nobody.fill(0xa5);
  auto endpoint = dtls_endpoint::create(station(), nobody);
  require(endpoint.has_value(), "no endpoint");
  std::span<const std::uint8_t> in(data, size);
  while (!in.empty()) {
    std::size_t n = in.size();
    std::size_t skip = 0;
    if (in.size() >= 2) {
      const std::size_t framed = (std::size_t{in[0]} << 8) | in[1];
      if (framed <= in.size() - 2) {
        n = framed;
        skip = 2;
      }
    }
    feed_one(*endpoint, in.subspan(skip, n));
    in = in.subspan(skip + n);
  }
  (void)endpoint->next_timeout();
  auto t = endpoint->handle_timeout();
  if (t) require(!t->keys.has_value(), "a timeout produced keys");
  return 0;
}
