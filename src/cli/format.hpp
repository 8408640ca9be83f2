// Format: renders the API's JSON answers for an operator's terminal. Pure; thread-safe.
//
// Tables are plain text with aligned columns and no colour, so they read the same in a
// terminal, a log and a printed shift report. Text is cut by UTF-8 characters, never mid-byte.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace hotline::cli {

// One line per message: cursor, time (received, or created for outbound), channel,
// precedence, sender, status and the first line of the text.
std::string format_message_table(const nlohmann::json& messages, bool with_header);

// The station, its agreement, and per channel the peer, link, path, RTT, last heard and queues.
std::string format_status(const nlohmann::json& status);

// One line per form of a GET /api/v1/forms answer: id, title, default precedence ("-" when the
// form has none) and its required fields.
std::string format_forms_table(const nlohmann::json& catalog);
// GET /api/v1/labels as two tables: markings (id, name, equivalent, whether a hotline may carry
// it, the default) and caveats; or a line saying the agreement defines none.
std::string format_labels(const nlohmann::json& policy);

// The error a station answered with: "message (field: name)", or the raw body when not JSON.
std::string format_station_error(unsigned http_status, std::string_view body);

// At most `max_chars` characters of `text` (counting UTF-8 characters), ending in "…" when cut.
std::string clip_utf8(std::string_view text, std::size_t max_chars);

}  // namespace hotline::cli
