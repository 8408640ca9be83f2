// Form: one formatted notification type of the catalog, as loaded from catalog/forms/<ID>.toml.
//
// A form has typed fields that each side reads in its own language, a title and a rendering
// template in each catalog language, and optionally a minimum notice (how long before the event
// the notice must be given). The file format is written up in docs/forms.md. Plain value types:
// immutable once the catalog is loaded, and then safe to share across threads.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hotline::forms {

// The languages every catalog text is written in. The order is the order of `localized::text`.
enum class lang : std::uint8_t { ko = 0, ru = 1, en = 2 };
inline constexpr std::array<lang, 3> all_langs{lang::ko, lang::ru, lang::en};

std::string_view to_string(lang l);                     // "ko" | "ru" | "en"
std::optional<lang> parse_lang(std::string_view text);  // nullopt for anything else

// One text in every catalog language.
struct localized {
  std::array<std::string, 3> text;

  const std::string& in(lang l) const { return text[static_cast<std::size_t>(l)]; }
  std::string& in(lang l) { return text[static_cast<std::size_t>(l)]; }
};

enum class field_type : std::uint8_t {
  datetime,     // RFC 3339 instant in UTC
  time_window,  // {"start", "end"}, end after start
  position,     // one point; normalized to {"lat", "lon"} in decimal degrees
  area,         // polygon {"points"} or circle {"centre", "radius_nm"}
  route,        // an ordered list of positions
  altitude,     // feet or flight level; normalized to {"feet"} (+ "flight_level")
  heading,      // whole degrees true, 0..359
  speed,        // knots
  callsign,     // A-Z 0-9, 2..12 characters
  text,         // UTF-8, at most `max_length` code points
  count,        // integer within [min, max]
  enumeration,  // one of `options`
  reference,    // the id of an earlier message
};

std::string_view to_string(field_type t);  // the catalog spelling: "datetime", "enum", ...
std::optional<field_type> parse_field_type(std::string_view text);

struct enum_option {
  std::string value;  // what travels in the message: [a-z0-9_]
  localized label;    // what each reader sees
};

struct field {
  std::string name;  // [a-z0-9_], unique within the form
  field_type type = field_type::text;
  bool required = true;
  localized label;
  std::vector<enum_option> options;  // enumeration only, at least one
  // Bounds for count and speed (and altitude, in feet). Unset means the type's own bounds.
  std::optional<double> min;
  std::optional<double> max;
  std::size_t max_length = 0;  // text only: code points, at least 1
  // A value valid at any time (see example.hpp). Times are written as offsets from "now".
  nlohmann::json example;
  std::optional<std::int64_t> example_hours;           // datetime, time_window start
  std::optional<std::int64_t> example_duration_hours;  // time_window length

  const enum_option* find_option(std::string_view value) const;
};

struct form {
  std::string id;  // [A-Z0-9-], e.g. "AIR-FLIGHT-NOTICE"; also the file's stem
  std::string version;
  std::string category;  // "air" | "sea" | "exercise" | "missile" | "link" | "general"
  // The event named by `notice_field` (a datetime, or a window's start) must lie at least this
  // far after the time the notice is validated. Both are set or neither.
  std::optional<std::int64_t> min_notice_hours;
  std::string notice_field;
  localized title;
  localized template_text;  // "{field}" placeholders; see render.hpp for absent fields
  std::vector<field> fields;
  std::vector<std::string> summary_fields;  // shown after the title in lists

  const field* find_field(std::string_view name) const;
};

}  // namespace hotline::forms
