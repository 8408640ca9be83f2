// Fuzz target for the ICE-lite STUN parser and its authentication check.
//
// The input is parsed as it is, and again with its header repaired (a Binding request type, the
// magic cookie, a length that agrees with the datagram) so that the fuzzer reaches the
// attributes quickly. A parsed request must keep the parser's promises: a USERNAME within its
// limit, MESSAGE-INTEGRITY inside the message, the same result when parsed twice. Authentication
// must not crash and must refuse the wrong password whenever it accepts the right one. A broken
// rule aborts, so libFuzzer and the corpus replay both report it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "voice/rtp.hpp"
#include "voice/stun.hpp"

namespace {

using namespace hotline::voice;

void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_stun: %s\n", what);
  std::abort();
}

void check(std::span<const std::uint8_t> m) {
  (void)classify_datagram(m);
  auto r = parse_binding_request(m);
  auto again = parse_binding_request(m);
  require(r.has_value() == again.has_value(), "parsing is not deterministic");
  if (!r) return;
  require(m.size() <= stun_message_bytes_max, "accepted an oversize message");
  require(!r->username || r->username->size() <= stun_username_bytes_max, "USERNAME over limit");
  require(!r->integrity || r->integrity_offset + 24 <= m.size(), "integrity outside the message");
  const bool right = authenticate_binding_request(m, *r, "lite", "secret").has_value();
  const bool wrong = authenticate_binding_request(m, *r, "lite", "secreT").has_value();
  require(!(right && wrong), "two passwords authenticate one request");
  transport_address a;
  a.v6 = !m.empty() && (m[0] & 1);
  auto resp = build_binding_success(r->transaction_id, a, "secret");
  require(resp.has_value() && resp->size() <= stun_message_bytes_max, "response not built");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);
  check(in);
  if (size >= stun_header_bytes && size <= stun_message_bytes_max) {
    std::vector<std::uint8_t> fixed(in.begin(), in.end());
    fixed.resize((size + 3) & ~std::size_t{3}, 0);
    fixed[0] = 0x00;
    fixed[1] = 0x01;
    set_be16(fixed, 2, static_cast<std::uint16_t>(fixed.size() - stun_header_bytes));
    fixed[4] = 0x21;
    fixed[5] = 0x12;
    fixed[6] = 0xa4;
    fixed[7] = 0x42;
    if (fixed.size() <= stun_message_bytes_max) check(fixed);
  }
  return 0;
}
