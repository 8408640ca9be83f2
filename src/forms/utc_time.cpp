#include "forms/utc_time.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace hotline::forms {

namespace {

constexpr std::array<reader_zone, 3> zones{{
    {"UTC", "UTC", 0},
    {"Asia/Seoul", "KST", 9 * 60},
    {"Asia/Vladivostok", "VLAT", 10 * 60},
}};

constexpr std::int64_t ms_per_second = 1000;
constexpr std::int64_t ms_per_minute = 60 * ms_per_second;

// Reads exactly `width` decimal digits at `pos`, or returns -1.
int digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) {
    return -1;
  }
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return -1;
    }
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is(char c, char upper) { return c == upper || c == upper + ('a' - 'A'); }

// The zone suffix at `pos` ("Z", "+HH:MM" or "-HH:MM") as minutes east of UTC, if it is the whole
// rest of the text.
std::optional<int> parse_offset(std::string_view text, std::size_t pos) {
  if (pos + 1 == text.size() && is(text[pos], 'Z')) {
    return 0;
  }
  if (pos + 6 != text.size() || (text[pos] != '+' && text[pos] != '-') || text[pos + 3] != ':') {
    return std::nullopt;
  }
  const int hours = digits(text, pos + 1, 2);
  const int minutes = digits(text, pos + 4, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) {
    return std::nullopt;
  }
  const int offset = hours * 60 + minutes;
  return text[pos] == '-' ? -offset : offset;
}

}  // namespace

std::optional<utc_ms> parse_rfc3339(std::string_view text) {
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || !is(text[10], 'T') ||
      text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  const int year = digits(text, 0, 4);
  const int month = digits(text, 5, 2);
  const int day = digits(text, 8, 2);
  const int hour = digits(text, 11, 2);
  const int minute = digits(text, 14, 2);
  const int second = digits(text, 17, 2);
  if (year < 1970 || month < 1 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
      second < 0 || second > 59) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (text[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ++pos;
    }
    if (pos == first) {
      return std::nullopt;
    }
  }
  const auto offset = parse_offset(text, pos);
  if (!offset) {
    return std::nullopt;
  }
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  const std::int64_t local_ms =
      ((days * 24 + hour) * 60 + minute) * ms_per_minute + second * ms_per_second;
  const utc_ms ms = local_ms - *offset * ms_per_minute;
  return ms < 0 ? std::nullopt : std::optional<utc_ms>(ms);
}

civil_time to_civil(utc_ms ms, std::int32_t offset_minutes) {
  const std::int64_t local_s = (ms + offset_minutes * ms_per_minute) / ms_per_second;
  const std::int64_t day_s = 24 * 60 * 60;
  const std::int64_t days = local_s / day_s;
  const std::int64_t of_day = local_s % day_s;
  const std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  civil_time out;
  out.year = static_cast<int>(date.year());
  out.month = static_cast<int>(static_cast<unsigned>(date.month()));
  out.day = static_cast<int>(static_cast<unsigned>(date.day()));
  out.hour = static_cast<int>(of_day / 3600);
  out.minute = static_cast<int>(of_day % 3600 / 60);
  out.second = static_cast<int>(of_day % 60);
  return out;
}

std::string format_rfc3339(utc_ms ms) {
  const civil_time t = to_civil(ms);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.year, t.month, t.day,
                t.hour, t.minute, t.second);
  return buffer;
}

const reader_zone* find_reader_zone(std::string_view iana) {
  for (const reader_zone& zone : zones) {
    if (zone.iana == iana) {
      return &zone;
    }
  }
  return nullptr;
}

}  // namespace hotline::forms
