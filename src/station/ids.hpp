// Message ids: UUID version 7 (RFC 9562), time-ordered, chosen by the sending station.
//
// The time and the 74 random bits are passed in, so tests and the simulator stay
// deterministic. Thread-safe (pure).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace hotline::station {

std::string uuid_v7(std::int64_t unix_ms, const std::array<std::uint8_t, 10>& random_bytes);
// A fresh id from the system clock and OpenSSL's generator.
std::string new_message_id();
std::uint64_t random_u64();

}  // namespace hotline::station
