// UTC instants as forms write them (RFC 3339), and the reader time zones forms are shown in.
//
// Times travel in messages as RFC 3339 text in UTC ("2026-11-21T03:12:00Z") and are kept to the
// second. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hotline::forms {

// Milliseconds since the Unix epoch, UTC.
using utc_ms = std::int64_t;

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" for years 1970..9999 ('T' and 'Z' in
// either case). An offset is applied, so "12:00:00+09:00" is 03:00:00 UTC. A fraction of a second
// is dropped. Returns nullopt for anything else, including 24:00 and leap seconds.
std::optional<utc_ms> parse_rfc3339(std::string_view text);

// "YYYY-MM-DDTHH:MM:SSZ", truncated to the second. `ms` must be in 1970..9999.
std::string format_rfc3339(utc_ms ms);

// A broken-down time of day in some zone.
struct civil_time {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
};
civil_time to_civil(utc_ms ms, std::int32_t offset_minutes = 0);

// A reader's time zone. Only zones with a fixed offset are listed: Hotline is built with g++ 12,
// whose std::chrono has no time zone database, and neither Korea (since 1988) nor Vladivostok
// (since 2014) observes daylight saving, so a fixed offset is exact for every time a form can
// carry. A zone that changes its rules needs a new catalog release, which both sides agree on.
struct reader_zone {
  std::string_view iana;          // "Asia/Seoul"
  std::string_view abbreviation;  // "KST"
  std::int32_t offset_minutes;    // east of UTC
};
const reader_zone* find_reader_zone(std::string_view iana);  // nullptr if not in the table

}  // namespace hotline::forms
