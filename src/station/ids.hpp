// Message ids: UUID version 7 (RFC 9562), time-ordered, chosen by the sending station.
//
// The time and the 74 random bits are passed in, so tests and the simulator stay
// deterministic. Thread-safe (pure).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hotline::station {

std::string uuid_v7(std::int64_t unix_ms, const std::array<std::uint8_t, 10>& random_bytes);
// A fresh id from the system clock and OpenSSL's generator.
std::string new_message_id();
// The id of a post made with an Idempotency-Key: a UUID version 8 (RFC 9562) from SHA-256 over
// the station, the principal that posts (a user's or a token's name) and the key, so that a
// retry with the same key names the same message, and one principal's keys never name
// another's messages.
std::string keyed_message_id(std::string_view station, std::string_view principal,
                             std::string_view key);
std::uint64_t random_u64();

}  // namespace hotline::station
