// Message: one notification between two stations, as the core, the wire and the store see it.
//
// A message is identified by `id` (a UUID chosen by the sender at post time) and, once sequenced,
// by (channel, from, seq). Sequence numbers start at 1 per direction of each channel; seq 0 means
// "posted, not yet sequenced". Plain value type; not thread-safe to share mutably.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/label.hpp"
#include "core/limits.hpp"

namespace hotline {

// Allied precedence (ACP 127 / STANAG 4406). Lower value = more urgent; it is also the order
// in which queued messages leave the sender.
enum class precedence : std::uint8_t { flash = 0, immediate = 1, priority = 2, routine = 3 };
inline constexpr int precedence_count = 4;

std::string_view to_string(precedence p);
std::optional<precedence> parse_precedence(std::string_view text);

inline constexpr std::string_view form_free_text = "FREE-TEXT";

struct message {
  std::string id;
  std::string channel;
  std::string from;  // sending station id
  std::uint64_t seq = 0;
  precedence prec = precedence::routine;
  std::int64_t created_at_ms = 0;  // sender's wall clock, UTC, ms since the epoch
  std::string form{form_free_text};
  std::string body;       // free text, or the form's fields as JSON
  labels::label label{};  // handling marking and caveats (core/label.hpp); signed with the rest
  std::string signature;  // sender's signature over the canonical bytes; may be empty

  bool operator==(const message&) const = default;
};

// Bytes a message costs in the sender's window and queue (what the limits count): its fields'
// bytes and a fixed overhead.
std::size_t message_weight_bytes(const message& m);
inline constexpr std::size_t message_weight_overhead_bytes = 64;
// The most a message within the wire limits can weigh.
inline constexpr std::size_t message_weight_bytes_max =
    message_weight_overhead_bytes + limits::message_id_bytes_max + limits::channel_id_bytes_max +
    limits::station_id_bytes_max + limits::form_id_bytes_max + limits::message_body_bytes_max +
    limits::signature_bytes_max + limits::station_id_bytes_max +
    limits::label_caveats_max * (4 + limits::station_id_bytes_max + limits::caveat_value_bytes_max);

}  // namespace hotline
