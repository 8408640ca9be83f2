// Times in UTC and in the reader's local time: "2026-11-22 03:00 UTC (12:00 KST)".
#include <cstdio>
#include <string>

#include "forms/render_value.hpp"

namespace hotline::forms::detail {

namespace {

std::string date_text(const civil_time& t) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", t.year, t.month, t.day);
  return buffer;
}

// Seconds are shown only when a time has them.
std::string clock_text(const civil_time& t) {
  char buffer[16];
  if (t.second == 0) {
    std::snprintf(buffer, sizeof buffer, "%02d:%02d", t.hour, t.minute);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d", t.hour, t.minute, t.second);
  }
  return buffer;
}

bool same_date(const civil_time& a, const civil_time& b) {
  return a.year == b.year && a.month == b.month && a.day == b.day;
}

// Korean writes a range with a tilde (12:00~16:00); English and Russian with an en dash.
std::string_view range_mark(lang l, bool spaced) {
  if (l == lang::ko) {
    return spaced ? " ~ " : "~";
  }
  return spaced ? " \u2013 " : "\u2013";
}

// "D HH:MM–HH:MM" within one date, "D1 HH:MM – D2 HH:MM" across two; dates only if `dated`.
std::string span_text(const civil_time& a, const civil_time& b, lang l, bool dated) {
  if (same_date(a, b)) {
    return (dated ? date_text(a) + " " : "") + clock_text(a) + std::string(range_mark(l, false)) +
           clock_text(b);
  }
  return date_text(a) + " " + clock_text(a) + std::string(range_mark(l, true)) + date_text(b) +
         " " + clock_text(b);
}

// The local time in the reader's words: "(12:00 KST)", "(한국 시간 12:00)",
// "(12:00 по сеульскому времени)".
std::string local_note(const std::string& local, lang l, const reader_zone& zone) {
  const bool seoul = zone.iana == "Asia/Seoul";
  switch (l) {
    case lang::ko:
      return " (" + std::string(seoul ? "한국 시간 " : "블라디보스토크 시간 ") + local + ")";
    case lang::ru:
      return " (" + local + (seoul ? " по сеульскому времени)" : " по владивостокскому времени)");
    case lang::en:
      break;
  }
  return " (" + local + " " + std::string(zone.abbreviation) + ")";
}

}  // namespace

std::string format_instant(utc_ms ms, lang l, const reader_zone& zone) {
  const civil_time utc = to_civil(ms);
  std::string out = date_text(utc) + " " + clock_text(utc) + " UTC";
  if (zone.offset_minutes == 0) {
    return out;
  }
  const civil_time local = to_civil(ms, zone.offset_minutes);
  const std::string local_text =
      (same_date(local, utc) ? "" : date_text(local) + " ") + clock_text(local);
  return out + local_note(local_text, l, zone);
}

std::string format_window(utc_ms start, utc_ms end, lang l, const reader_zone& zone) {
  const civil_time utc_start = to_civil(start);
  const civil_time utc_end = to_civil(end);
  std::string out = span_text(utc_start, utc_end, l, true) + " UTC";
  if (zone.offset_minutes == 0) {
    return out;
  }
  const civil_time local_start = to_civil(start, zone.offset_minutes);
  const civil_time local_end = to_civil(end, zone.offset_minutes);
  // The local dates are repeated only when they differ from the UTC ones.
  const bool dated = !same_date(local_start, utc_start) || !same_date(local_end, utc_end);
  return out + local_note(span_text(local_start, local_end, l, dated), l, zone);
}

}  // namespace hotline::forms::detail
