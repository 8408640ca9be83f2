// Sample frames: one valid value of every frame type, shared by the codec tests.
#pragma once

#include <vector>

#include "core/wire.hpp"

namespace hotline::test {

inline message sample_message(std::uint64_t seq = 7) {
  message m;
  m.id = "0b7e6a52-3c1f-4f8e-9d0a-2b1c3d4e5f60";
  m.channel = "navy";
  m.from = "rok-fleet";
  m.seq = seq;
  m.prec = precedence::immediate;
  m.created_at_ms = 1'700'000'000'123;
  m.body = "Two Tu-95 expected to cross KADIZ at 03:12 UTC.";
  m.signature = std::string("\x01\x02\x00\xff", 4);
  return m;
}

inline std::vector<wire::frame> sample_frames() {
  wire::hello h;
  h.station = "rok-fleet";
  for (std::size_t i = 0; i < h.agreement_hash.size(); ++i) {
    h.agreement_hash[i] = static_cast<std::uint8_t>(i * 7 + 1);
  }
  h.boot_id = 0x0123456789abcdefULL;
  h.path = "satellite";
  h.resume = {{"navy", 5}, {"air", 1}};
  return {h,
          wire::data{sample_message()},
          wire::ack{"navy", 41},
          wire::ping{123456789},
          wire::pong{987654321},
          wire::close{"agreement mismatch"},
          wire::fetch{"navy", 3, 17},
          wire::returned{sample_message(3)},
          wire::seal{"navy", 7, h.agreement_hash, 1'700'000'000'500, std::string(64, '\x5a')},
          wire::returned_seal{{"air", 2, {}, -1, ""}}};
}

}  // namespace hotline::test
