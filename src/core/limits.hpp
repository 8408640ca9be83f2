// Limits: every bound Hotline enforces, in one place, with its unit in its name.
//
// Each constant here has a test at its edge. Runtime-tunable values (heartbeat interval, failure
// threshold) have their defaults here and are set per hotline in the agreement.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hotline::limits {

// Wire.
inline constexpr std::size_t frame_bytes_max = 1 << 20;        // one frame, type byte included
inline constexpr std::size_t station_id_bytes_max = 64;
inline constexpr std::size_t channel_id_bytes_max = 64;
inline constexpr std::size_t path_id_bytes_max = 32;
inline constexpr std::size_t message_id_bytes_max = 64;
inline constexpr std::size_t form_id_bytes_max = 64;
inline constexpr std::size_t message_body_bytes_max = 64 * 1024;
inline constexpr std::size_t signature_bytes_max = 256;
inline constexpr std::size_t close_reason_bytes_max = 512;
inline constexpr std::size_t hello_channels_max = 256;
inline constexpr std::uint16_t protocol_version = 2;

// Delivery.
inline constexpr std::size_t window_messages_max = 4096;        // sequenced, unacknowledged
inline constexpr std::size_t window_bytes_max = 16 * 1024 * 1024;
inline constexpr std::size_t queue_messages_max = 1'000'000;    // posted, not yet sequenced
inline constexpr std::size_t send_buffer_bytes_max = 32 * 1024 * 1024;  // per connection

// Link timing (defaults; the agreement may override the heartbeat values).
inline constexpr std::int64_t heartbeat_interval_us_default = 250'000;
inline constexpr std::int64_t heartbeat_misses_max_default = 3;
inline constexpr std::int64_t handshake_timeout_us = 5'000'000;
inline constexpr std::int64_t retransmit_timeout_us_min = 1'000'000;
inline constexpr std::int64_t retransmit_timeout_us_max = 60'000'000;
inline constexpr std::int64_t reconnect_backoff_us_min = 100'000;
inline constexpr std::int64_t reconnect_backoff_us_max = 5'000'000;
// Cross-attestation: each station re-sends its signed receipt for every inbound channel at
// least this often while a link is up, and the sender keeps one at least this often.
inline constexpr std::int64_t checkpoint_interval_us = 60'000'000;
// A better path must have been up this many heartbeat intervals (and at least
// path_return_us_min) before traffic returns to it, so a flapping path cannot cause thrashing.
inline constexpr std::int64_t path_return_heartbeats = 8;
inline constexpr std::int64_t path_return_us_min = 2'000'000;

// Storage and API.
inline constexpr std::size_t group_commit_records_max = 8192;
inline constexpr std::size_t http_body_bytes_max = 256 * 1024;
inline constexpr std::size_t http_header_bytes_max = 16 * 1024;
inline constexpr std::int64_t http_idle_timeout_us = 60'000'000;
inline constexpr std::size_t http_connections_max = 512;
inline constexpr std::size_t list_limit_default = 100;
inline constexpr std::size_t list_limit_max = 1000;
inline constexpr std::size_t websocket_queue_messages_max = 4096;
inline constexpr std::int64_t tls_handshake_timeout_us = 10'000'000;
inline constexpr std::size_t inbound_connections_max = 64;

}  // namespace hotline::limits
