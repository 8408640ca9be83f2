// Engine link: the engine's state for one transport connection. Internal to the engine's
// source files (engine.cpp, engine_recovery.cpp); nothing else includes it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "core/engine.hpp"

namespace hotline::core {

struct engine::link {
  conn_id id = 0;
  direction dir = direction::inbound;
  std::string peer;
  std::string path;  // empty on an inbound link until its hello arrives
  bool established = false;  // both hellos are through
  bool hello_sent = false;    // this station's (engine_handshake.cpp: it may wait for commits)
  std::optional<wire::hello> peer_hello;  // the peer's, held until this station's is sent
  wire::frame_decoder decoder;
  std::int64_t opened_us = 0;
  std::int64_t established_us = 0;
  std::int64_t last_rx_us = 0;
  std::int64_t last_ping_us = 0;
  std::uint64_t peer_boot_id = 0;
  bool peer_boot_known = false;  // the peer's hello named its boot (the link may still fail)
  // Nonces of pings not yet answered, oldest first. A pong counts only if it answers one of
  // these, so a peer cannot forge a round trip (and with it the silence allowance).
  std::deque<std::uint64_t> pings_unanswered;
};

}  // namespace hotline::core
