// JSON: how the API, the CLI and the tests spell Hotline's values in JSON.
//
// Conversions only; no I/O. Every function here is pure and thread-safe. Parsing functions never
// throw: malformed input comes back as an error naming the offending field. Rendering never
// throws either: bytes that are not valid UTF-8 (which a peer could send) are replaced with
// U+FFFD when the document is serialised with `dump`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "station/service.hpp"
#include "storage/store.hpp"

namespace hotline::api {

using json = nlohmann::json;

// RFC 3339 UTC with milliseconds, e.g. "2026-11-21T03:12:00.000Z".
std::string format_rfc3339_ms(std::int64_t ms_since_epoch);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

// {"id", "channel", "seq", "box", "precedence", "form", "text" | "fields", "from", "created_at",
//  "status", "delivered_at", "received_at", "cursor", "redacted": false}; docs/api.md has the
// details.
json to_json(const storage::stored_message& m);
// The same with "label" (api/label_json.hpp) read in the terms of station `reader`.
json to_json(const storage::stored_message& m, const labels::policy& p, std::string_view reader);
// The same, read at the station `s` serves by a caller cleared to `clearance`
// (api/clearance.hpp). Above the clearance, only the envelope: no "text", "fields", "answer" or
// "flag", and "redacted": true.
json to_json(const storage::stored_message& m, const station::service& s,
             std::string_view clearance);

// {"id", "lang", "text", "by", "created_at", "state", "reviewed_by", "reviewed_at",
//  "review_note"?}: one translation of a received message (docs/translations.md).
json to_json(const storage::translation& t);

// {"station", "station_name", "agreement", "started_at", "channels": [...]}.
json to_json(const station::status_snapshot& s);

// {"error": {"code", "message", "field"?}}. `code` is a stable snake_case name.
json error_json(std::string_view code, std::string_view message, std::string_view field = {});

// Parses a POST /api/v1/messages body: {"channel", "precedence", "text"}, all required, and an
// optional "label" (api/label_json.hpp); nothing else allowed. Malformed JSON yields errc::invalid_argument with the parser's byte position in
// the message; a missing, mistyped, unknown or invalid field yields the same code with `field`
// set. Text over limits::message_body_bytes_max yields errc::limit with field "text".
result<station::post_request> parse_post_request(std::string_view body);
// The same for one message already parsed as JSON.
result<station::post_request> parse_post_object(const json& body);

// A POST /api/v1/messages body: one message (an object), or a batch (an array of 1 to
// post_batch_messages_max objects). Malformed JSON, or a batch of the wrong size, fails as a
// whole; each message of a batch is parsed on its own, and its result (the request, or the error
// naming its field) stands at its index.
inline constexpr std::size_t post_batch_messages_max = 1000;
struct post_body {
  bool batch = false;
  std::vector<result<station::post_request>> items;
};
result<post_body> parse_post_body(std::string_view body);

// Serialises without throwing; invalid UTF-8 in strings is replaced rather than refused.
std::string dump(const json& j);

}  // namespace hotline::api
