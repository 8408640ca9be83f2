// The scalar field types, and the dispatch from a field's type to its check.
#include "forms/field_check.hpp"

#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "core/limits.hpp"
#include "forms/form_limits.hpp"

namespace hotline::forms::detail {

namespace {

std::unexpected<check_error> broken(rule r, std::vector<std::string> args = {}) {
  return std::unexpected(check_error{r, {}, std::move(args)});
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The value of a run of 1..`width_max` digits, or -1.
std::int64_t digits_value(std::string_view s, std::size_t width_max) {
  if (s.empty() || s.size() > width_max) {
    return -1;
  }
  std::int64_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) {
      return -1;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

// "FL250", "FL 250", "25000", "25,000", "25000 ft", "25,000ft": feet, and the flight level when
// written as one; nullopt if it is none of these.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_altitude_text(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  if (s.size() > 2 && (s[0] == 'F' || s[0] == 'f') && (s[1] == 'L' || s[1] == 'l')) {
    s.remove_prefix(s[2] == ' ' ? 3 : 2);
    const std::int64_t level = digits_value(s, 3);
    return level < 0 ? std::nullopt : std::optional(std::pair{level * 100, level});
  }
  if (s.ends_with("ft") || s.ends_with("FT")) {
    s.remove_suffix(2);
    while (!s.empty() && s.back() == ' ') {
      s.remove_suffix(1);
    }
  }
  // "25,000": the first group has one to three digits, every later group exactly three.
  std::string plain;
  std::size_t group = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != ',') {
      plain += s[i];
      ++group;
      continue;
    }
    const bool first_ok = plain.size() == group && group >= 1 && group <= 3;
    if (!first_ok && group != 3) {
      return std::nullopt;
    }
    group = 0;
  }
  if (plain.size() != s.size() && group != 3) {
    return std::nullopt;
  }
  const std::int64_t feet = digits_value(plain, 6);
  return feet < 0 ? std::nullopt : std::optional(std::pair{feet, std::int64_t{-1}});
}

// The normalized form, {"feet": N} or {"feet": N, "flight_level": N / 100}, so that a value
// validated once passes again unchanged.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_altitude_object(
    const nlohmann::json& v) {
  if (!v.is_object() || !v.contains("feet") || !v["feet"].is_number_integer()) {
    return std::nullopt;
  }
  const auto feet = v["feet"].get<std::int64_t>();
  if (v.size() == 1) {
    return std::pair{feet, std::int64_t{-1}};
  }
  const auto level = v.find("flight_level");
  if (v.size() != 2 || level == v.end() || !level->is_number_integer()) {
    return std::nullopt;
  }
  const auto fl = level->get<std::int64_t>();
  return fl >= 0 && fl * 100 == feet ? std::optional(std::pair{feet, fl}) : std::nullopt;
}

checked check_altitude(const field& f, const nlohmann::json& value) {
  std::int64_t feet = 0;
  std::int64_t level = -1;
  if (value.is_number_integer()) {
    feet = value.get<std::int64_t>();
  } else if (value.is_string()) {
    auto parsed = parse_altitude_text(value.get_ref<const std::string&>());
    if (!parsed) {
      return broken(rule::altitude_format);
    }
    std::tie(feet, level) = *parsed;
  } else if (auto parsed = parse_altitude_object(value)) {
    std::tie(feet, level) = *parsed;
  } else {
    return broken(rule::altitude_format);
  }
  const double low = f.min.value_or(static_cast<double>(limits::altitude_feet_min));
  const double high = f.max.value_or(static_cast<double>(limits::altitude_feet_max));
  if (static_cast<double>(feet) < low || static_cast<double>(feet) > high) {
    return broken(rule::altitude_range, {number_text(low), number_text(high)});
  }
  nlohmann::json out{{"feet", feet}};
  if (level >= 0) {
    out["flight_level"] = level;
  }
  return out;
}

checked check_heading(const nlohmann::json& value) {
  std::int64_t degrees = -1;
  if (value.is_number_integer()) {
    degrees = value.get<std::int64_t>();
  } else if (value.is_string()) {
    // Headings are often written with three digits, "045".
    degrees = digits_value(value.get_ref<const std::string&>(), 3);
  }
  if (degrees < 0 || degrees > limits::heading_degrees_max) {
    return broken(rule::heading_range);
  }
  return nlohmann::json(degrees);
}

checked check_speed(const field& f, const nlohmann::json& value) {
  if (!value.is_number()) {
    return broken(rule::expect_number);
  }
  const double low = f.min.value_or(0.0);
  const double high = f.max.value_or(limits::speed_knots_max);
  const double knots = value.get<double>();
  if (knots < low || knots > high) {
    return broken(rule::speed_range, {number_text(low), number_text(high)});
  }
  return value;
}

checked check_callsign(const nlohmann::json& value) {
  if (!value.is_string()) {
    return broken(rule::expect_string);
  }
  std::string out = value.get<std::string>();
  bool ok = out.size() >= limits::callsign_chars_min && out.size() <= limits::callsign_chars_max;
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    ok = ok && ((c >= 'A' && c <= 'Z') || is_digit(c));
  }
  if (!ok) {
    return broken(rule::callsign_format);
  }
  return nlohmann::json(std::move(out));
}

checked check_count(const field& f, const nlohmann::json& value) {
  const double low = f.min.value_or(0.0);
  const double high = f.max.value_or(1e9);
  if (!value.is_number_integer()) {
    return broken(rule::count_range, {number_text(low), number_text(high)});
  }
  const auto n = static_cast<double>(value.get<std::int64_t>());
  if (n < low || n > high) {
    return broken(rule::count_range, {number_text(low), number_text(high)});
  }
  return value;
}

checked check_enum(const field& f, const nlohmann::json& value) {
  if (value.is_string() && f.find_option(value.get_ref<const std::string&>()) != nullptr) {
    return value;
  }
  std::string allowed;
  for (const enum_option& option : f.options) {
    allowed += (allowed.empty() ? "" : ", ") + option.value;
  }
  return broken(rule::enum_value, {std::move(allowed)});
}

checked check_reference(const nlohmann::json& value) {
  if (!value.is_string()) {
    return broken(rule::reference_format);
  }
  const std::string& id = value.get_ref<const std::string&>();
  bool ok = !id.empty() && id.size() <= hotline::limits::message_id_bytes_max;
  for (char c : id) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                c == '_' || c == '.' || c == ':');
  }
  return ok ? checked(value) : broken(rule::reference_format);
}

}  // namespace

std::string number_text(double value) {
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%lld", static_cast<long long>(value));
  } else {
    std::snprintf(buffer, sizeof buffer, "%g", value);
  }
  return buffer;
}

checked check_value(const field& f, const nlohmann::json& value) {
  switch (f.type) {
    case field_type::datetime:
      return check_datetime(value);
    case field_type::time_window:
      return check_time_window(value);
    case field_type::position:
      return check_position(value);
    case field_type::area:
      return check_area(value);
    case field_type::route:
      return check_route(value);
    case field_type::altitude:
      return check_altitude(f, value);
    case field_type::heading:
      return check_heading(value);
    case field_type::speed:
      return check_speed(f, value);
    case field_type::callsign:
      return check_callsign(value);
    case field_type::text:
      return check_text(f, value);
    case field_type::count:
      return check_count(f, value);
    case field_type::enumeration:
      return check_enum(f, value);
    case field_type::reference:
      return check_reference(value);
  }
  return broken(rule::expect_object);
}

}  // namespace hotline::forms::detail
