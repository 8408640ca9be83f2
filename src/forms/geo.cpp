#include "forms/geo.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <string>

#include "forms/form_limits.hpp"

namespace hotline::forms {

namespace {

using parsed = std::expected<double, rule>;

// The symbols people type for degrees, minutes and seconds, in ASCII and in Unicode.
constexpr std::string_view degree_marks[] = {"\u00B0", "\u00BA"};
constexpr std::string_view minute_marks[] = {"\u2032", "'", "\u2019"};
constexpr std::string_view second_marks[] = {"\u2033", "\"", "''", "\u201D"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

// A plain decimal number ("37", "30.5") at the front of `s`, consumed; nullopt if none.
std::optional<double> take_number(std::string_view& s, bool* had_fraction = nullptr) {
  std::size_t end = 0;
  while (end < s.size() && is_digit(s[end])) {
    ++end;
  }
  const std::size_t int_digits = end;
  if (end < s.size() && s[end] == '.') {
    ++end;
    while (end < s.size() && is_digit(s[end])) {
      ++end;
    }
  }
  if (int_digits == 0 || end > 20 || (end > int_digits && end == int_digits + 1)) {
    return std::nullopt;
  }
  if (had_fraction != nullptr) {
    *had_fraction = end > int_digits;
  }
  double value = 0;
  // from_chars, unlike stod, ignores the global locale, which might want a decimal comma.
  std::from_chars(s.data(), s.data() + end, value);
  s.remove_prefix(end);
  return value;
}

bool take_mark(std::string_view& s, std::span<const std::string_view> marks) {
  s = trim(s);
  // Longest marks first matter only for '' versus ', which second_marks lists before minutes.
  for (std::string_view mark : marks) {
    if (s.starts_with(mark)) {
      s.remove_prefix(mark.size());
      return true;
    }
  }
  return false;
}

// "37°30'15\"": degrees with a mark, then optional minutes and seconds. Only the last component
// may have a fraction.
parsed parse_marked(std::string_view s) {
  bool fraction = false;
  auto degrees = take_number(s, &fraction);
  if (!degrees || !take_mark(s, degree_marks)) {
    return std::unexpected(rule::position_format);
  }
  double minutes = 0;
  double seconds = 0;
  s = trim(s);
  if (!s.empty()) {
    auto m = fraction ? std::nullopt : take_number(s, &fraction);
    // A second mark ('') must not be read as a minute mark followed by another one.
    if (!m || s.starts_with("''") || !take_mark(s, minute_marks)) {
      return std::unexpected(rule::position_format);
    }
    minutes = *m;
    s = trim(s);
  }
  if (!s.empty()) {
    auto sec = fraction ? std::nullopt : take_number(s, &fraction);
    if (!sec || !take_mark(s, second_marks) || !trim(s).empty()) {
      return std::unexpected(rule::position_format);
    }
    seconds = *sec;
  }
  if (minutes >= 60 || seconds >= 60) {
    return std::unexpected(rule::minutes_range);
  }
  return *degrees + minutes / 60 + seconds / 3600;
}

// "3730", "373015", "3730.5" (ICAO compact, `degree_digits` of degrees) or "37.5" (decimal).
parsed parse_compact(std::string_view s, std::size_t degree_digits) {
  std::size_t int_digits = 0;
  while (int_digits < s.size() && is_digit(s[int_digits])) {
    ++int_digits;
  }
  std::string_view rest = s;
  auto value = take_number(rest);
  if (!value || !rest.empty()) {
    return std::unexpected(rule::position_format);
  }
  if (int_digits <= degree_digits) {
    return *value;
  }
  const auto part = [&](std::size_t from, std::size_t width) {
    int v = 0;
    for (std::size_t i = from; i < from + width; ++i) {
      v = v * 10 + (s[i] - '0');
    }
    return static_cast<double>(v);
  };
  const double fraction = *value - std::floor(*value);
  const double degrees = part(0, degree_digits);
  double minutes = 0;
  double seconds = 0;
  if (int_digits == degree_digits + 2) {
    minutes = part(degree_digits, 2) + fraction;
  } else if (int_digits == degree_digits + 4) {
    minutes = part(degree_digits, 2);
    seconds = part(degree_digits + 2, 2) + fraction;
  } else {
    return std::unexpected(rule::position_format);
  }
  if (minutes >= 60 || seconds >= 60) {
    return std::unexpected(rule::minutes_range);
  }
  return degrees + minutes / 60 + seconds / 3600;
}

parsed parse_coordinate(std::string_view s, std::size_t degree_digits) {
  s = trim(s);
  if (s.empty()) {
    return std::unexpected(rule::position_format);
  }
  for (std::string_view mark : degree_marks) {
    if (s.find(mark) != std::string_view::npos) {
      return parse_marked(s);
    }
  }
  return parse_compact(s, degree_digits);
}

bool is_letter(char c, std::string_view letters) {
  return letters.find(c) != std::string_view::npos;
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::expected<position, rule> check_range(double lat, double lon) {
  if (!std::isfinite(lat) || lat < -90 || lat > 90) {
    return std::unexpected(rule::latitude_range);
  }
  if (!std::isfinite(lon) || lon < -180 || lon > 180) {
    return std::unexpected(rule::longitude_range);
  }
  return position{lat, lon};
}

std::expected<position, rule> parse_text(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > limits::position_text_bytes_max) {
    return std::unexpected(rule::position_format);
  }
  const bool prefix = is_letter(s.front(), "NSns");
  const std::size_t lat_mark = s.find_first_of("NSns");
  const std::size_t lon_mark = s.find_first_of("EWew");
  if (lat_mark == std::string_view::npos || lon_mark == std::string_view::npos ||
      lon_mark < lat_mark) {
    return std::unexpected(rule::position_format);
  }
  std::string_view lat_text;
  std::string_view lon_text;
  if (prefix) {
    lat_text = s.substr(1, lon_mark - 1);
    lon_text = s.substr(lon_mark + 1);
  } else {
    if (lon_mark + 1 != s.size()) {
      return std::unexpected(rule::position_format);
    }
    lat_text = s.substr(0, lat_mark);
    lon_text = trim(s.substr(lat_mark + 1, lon_mark - lat_mark - 1));
  }
  // Points in a list are often separated by "/" or ","; one such mark may sit between the two.
  lat_text = trim(lat_text);
  if (!lat_text.empty() && (lat_text.back() == '/' || lat_text.back() == ',')) {
    lat_text.remove_suffix(1);
  }
  if (!lon_text.empty() && (lon_text.front() == '/' || lon_text.front() == ',')) {
    lon_text.remove_prefix(1);
  }
  auto lat = parse_coordinate(lat_text, 2);
  if (!lat) {
    return std::unexpected(lat.error());
  }
  auto lon = parse_coordinate(lon_text, 3);
  if (!lon) {
    return std::unexpected(lon.error());
  }
  const double lat_sign = upper(s[lat_mark]) == 'S' ? -1 : 1;
  const double lon_sign = upper(s[lon_mark]) == 'W' ? -1 : 1;
  return check_range(lat_sign * *lat, lon_sign * *lon);
}

}  // namespace

std::expected<position, rule> parse_position(const nlohmann::json& value) {
  if (value.is_string()) {
    return parse_text(value.get_ref<const std::string&>());
  }
  if (!value.is_object()) {
    return std::unexpected(rule::position_format);
  }
  if (value.size() != 2 || !value.contains("lat") || !value.contains("lon")) {
    return std::unexpected(rule::position_format);
  }
  if (!value["lat"].is_number() || !value["lon"].is_number()) {
    return std::unexpected(rule::expect_number);
  }
  return check_range(value["lat"].get<double>(), value["lon"].get<double>());
}

nlohmann::json to_json(const position& p) {
  const auto round6 = [](double v) { return std::round(v * 1e6) / 1e6; };
  return nlohmann::json{{"lat", round6(p.lat)}, {"lon", round6(p.lon)}};
}

dms to_dms(double decimal_degrees) {
  dms out;
  out.negative = decimal_degrees < 0;
  const auto total = static_cast<long long>(std::llround(std::fabs(decimal_degrees) * 3600));
  out.degrees = static_cast<int>(total / 3600);
  out.minutes = static_cast<int>(total % 3600 / 60);
  out.seconds = static_cast<int>(total % 60);
  return out;
}

}  // namespace hotline::forms
