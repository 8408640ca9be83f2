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
inline constexpr std::uint16_t protocol_version = 5;
// Seals (protocol 5, docs/protocol.md): a sender seals the messages it puts on a link at least
// every this many messages, and a receiver holds at most that many unsealed messages of one
// channel before it refuses the link. Received messages are stored only once a seal covers them.
inline constexpr std::size_t seal_interval_messages_max = 256;
// A message's handling label (core/label.hpp): its caveats, and the bytes of one caveat's value.
inline constexpr std::size_t label_caveats_max = 8;
inline constexpr std::size_t caveat_value_bytes_max = 1024;
// A `fetch` asks for at most this many messages at once (docs/protocol.md, "Recovery after a
// restore"), and a station refills a peer that fell behind in chunks of this size.
inline constexpr std::uint32_t fetch_messages_max = 256;
static_assert(fetch_messages_max <= seal_interval_messages_max,
              "a refill chunk is sealed whole, so it must fit in the seal interval");
// Sequence numbers and resume points on the wire. Far beyond any real traffic (a million
// messages a second for 290 years), and small enough that seq + 1 and the store's signed 64-bit
// columns can never overflow.
inline constexpr std::uint64_t sequence_max = std::uint64_t{1} << 53;

// Delivery.
inline constexpr std::size_t window_messages_max = 4096;        // sequenced, unacknowledged
inline constexpr std::size_t window_bytes_max = 16 * 1024 * 1024;
inline constexpr std::size_t queue_messages_max = 1'000'000;    // posted, not yet sequenced
// Of that queue, the outbox keeps at most this much in memory per channel; the rest waits in the
// store (where every queued post already is) and is read back, oldest first, as the queue drains.
// At least one message is always held, however large. Bytes count as message_weight_bytes().
inline constexpr std::size_t queue_memory_messages_max = 4096;
inline constexpr std::size_t queue_memory_bytes_max = 16 * 1024 * 1024;
inline constexpr std::size_t send_buffer_bytes_max = 32 * 1024 * 1024;  // per connection
// Who answered, as an acknowledgement names them (a user or an API token's name).
inline constexpr std::size_t answered_by_bytes_max = 128;

// Link timing (defaults; the agreement may override the heartbeat values).
inline constexpr std::int64_t heartbeat_interval_us_default = 250'000;
inline constexpr std::int64_t heartbeat_misses_max_default = 3;
inline constexpr std::int64_t handshake_timeout_us = 5'000'000;
// What a link may buffer unread while another link to the same peer awaits its hello
// (core/engine.hpp): a window's worth and a few frames beyond.
inline constexpr std::size_t frozen_link_bytes_max = window_bytes_max + 4 * frame_bytes_max;
// A hello from an earlier boot of the peer than the newest seen is refused while a link of the
// newest is up and this long after its last one closed: beyond any TLS handshake and hello a
// dead boot could still have under way. After that it is taken for a peer whose boots were
// renumbered (a store replaced by an older copy on a machine whose clock went back).
inline constexpr std::int64_t earlier_boot_refused_us = 60'000'000;
// A peer named by host name in the agreement must resolve within this; the dial fails otherwise.
inline constexpr std::int64_t dns_resolve_timeout_us = 5'000'000;
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
// A round-trip sample is capped here (a geostationary hop is about 600 ms), and so is the
// silence allowance it buys (four round trips): a slow or hostile peer cannot switch off
// dead-link detection.
inline constexpr std::int64_t rtt_us_max = 5'000'000;
// Pings awaiting their pong, per link; the oldest is forgotten beyond this.
inline constexpr std::size_t pings_unanswered_max = 64;
// Refusals of one peer's frames written to the journal per minute; beyond this they are still
// refused and logged, and the next journaled refusal says how many were not.
inline constexpr std::size_t refusal_notes_per_minute_max = 30;
inline constexpr std::int64_t minute_us = 60'000'000;
// Escalation hook processes started per minute, and alarms raised per channel per minute.
inline constexpr std::size_t hooks_per_minute_max = 12;
inline constexpr std::size_t alarms_per_minute_max = 6;

// Storage and API.
inline constexpr std::size_t group_commit_records_max = 8192;
// How long delivered marks and the peer's receipts may wait to ride on the next commit before
// they are committed on their own (storage/group_commit.hpp, may_wait).
inline constexpr std::int64_t commit_wait_us_max = 20'000;
inline constexpr std::size_t http_body_bytes_max = 256 * 1024;
inline constexpr std::size_t http_header_bytes_max = 16 * 1024;
inline constexpr std::int64_t http_idle_timeout_us = 60'000'000;
// A whole request header must arrive within this of the connection's opening (its first
// request) or of the request's first byte (later ones), so that a client trickling a header
// cannot hold a connection for the idle timeout.
inline constexpr std::int64_t http_request_header_timeout_us = 10'000'000;
inline constexpr std::size_t http_connections_max = 512;
// Open connections per remote address (an IPv6 address counts by its /64), far below the total
// so that one machine cannot take every connection.
inline constexpr std::size_t http_connections_per_address_max = 64;
// The last this many of http_connections_max go only to addresses holding fewer than
// http_connections_per_address_in_reserve_max, so that a console on a new machine still gets in
// while a few busy addresses hold the rest.
inline constexpr std::size_t http_connections_reserve = 64;
inline constexpr std::size_t http_connections_per_address_in_reserve_max = 8;
static_assert(http_connections_per_address_max < http_connections_max - http_connections_reserve);
static_assert(http_connections_per_address_in_reserve_max < http_connections_per_address_max);
inline constexpr std::size_t list_limit_default = 100;
inline constexpr std::size_t list_limit_max = 1000;
inline constexpr std::size_t websocket_queue_messages_max = 4096;
// Bytes of rendered events queued per WebSocket subscriber; over this, or over the count, it is
// too slow and is disconnected.
inline constexpr std::size_t websocket_queue_bytes_max = 1024 * 1024;
// A WebSocket opened with a session cookie (or a token made with `hotline token add`) re-checks
// it before each event and at least this often, and closes once it has ended.
inline constexpr std::int64_t websocket_session_check_interval_us = 30'000'000;
// (user, remote address) pairs whose wrong passwords are counted for the sign-in lockout.
inline constexpr std::size_t login_lockout_pairs_tracked_max = 4096;
inline constexpr std::int64_t tls_handshake_timeout_us = 10'000'000;
inline constexpr std::size_t inbound_connections_max = 64;

}  // namespace hotline::limits
