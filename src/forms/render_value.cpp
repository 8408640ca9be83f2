// The dispatch from a field's type to its rendering, and the shapes made of positions.
#include "forms/render_value.hpp"

#include <cstdio>
#include <string>

namespace hotline::forms::detail {

namespace {

std::string join_positions(const nlohmann::json& points, lang l, std::string_view separator) {
  std::string out;
  for (const nlohmann::json& p : points) {
    out += (out.empty() ? "" : std::string(separator)) + format_position(p, l);
  }
  return out;
}

// A polygon by its corners, as navigational warnings word it; a circle by centre and radius.
// The field's label already says "area", so the value names only the shape.
std::string render_area(const nlohmann::json& area, lang l) {
  if (area.contains("points")) {
    const nlohmann::json& points = area.at("points");
    switch (l) {
      case lang::ko:
        return join_positions(points, l, ", ") + " 각 점을 연결한 구역";
      case lang::ru:
        // Russian coordinates contain dots and spaces, so points are kept apart by semicolons.
        return "многоугольник с вершинами в точках " + join_positions(points, l, "; ");
      case lang::en:
        break;
    }
    return "bounded by " + join_positions(points, l, ", ");
  }
  const std::string centre = format_position(area.at("centre"), l);
  const std::string radius = format_radius(area.at("radius_nm").get<double>(), l);
  switch (l) {
    case lang::ko:
      return centre + " 중심 반경 " + radius + " 이내";
    case lang::ru:
      return "в радиусе " + radius + " от точки " + centre;
    case lang::en:
      break;
  }
  return "within " + radius + " of " + centre;
}

std::string render_route(const nlohmann::json& route, lang l) {
  return join_positions(route, l, " \u2192 ");
}

// Feet, or a flight level with its feet for the reader who thinks in either.
std::string render_altitude(const nlohmann::json& altitude, lang l) {
  const std::string feet = format_feet(altitude.at("feet").get<double>(), l);
  if (!altitude.contains("flight_level")) {
    return feet;
  }
  char level[16];
  std::snprintf(level, sizeof level, "FL%03lld",
                static_cast<long long>(altitude.at("flight_level").get<std::int64_t>()));
  // Russian names the level ("эшелон"); Korean and English write the level alone.
  const std::string prefix = l == lang::ru ? "эшелон " : "";
  return prefix + level + " (" + feet + ")";
}

std::string render_heading(std::int64_t degrees) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%03lld\u00B0", static_cast<long long>(degrees));
  return buffer;
}

std::string render_time(const nlohmann::json& value, lang l, const reader_zone& zone) {
  const auto ms = parse_rfc3339(value.get_ref<const std::string&>());
  return ms ? format_instant(*ms, l, zone) : value.get<std::string>();
}

std::string render_window(const nlohmann::json& value, lang l, const reader_zone& zone) {
  const auto start = parse_rfc3339(value.at("start").get_ref<const std::string&>());
  const auto end = parse_rfc3339(value.at("end").get_ref<const std::string&>());
  return start && end ? format_window(*start, *end, l, zone) : value.dump();
}

}  // namespace

std::string render_value(const field& f, const nlohmann::json& value, lang l,
                         const reader_zone& zone) {
  switch (f.type) {
    case field_type::datetime:
      return render_time(value, l, zone);
    case field_type::time_window:
      return render_window(value, l, zone);
    case field_type::position:
      return format_position(value, l);
    case field_type::area:
      return render_area(value, l);
    case field_type::route:
      return render_route(value, l);
    case field_type::altitude:
      return render_altitude(value, l);
    case field_type::heading:
      return render_heading(value.get<std::int64_t>());
    case field_type::speed:
      return format_knots(value.get<double>(), l);
    case field_type::count:
      return format_number(value.get<double>(), l);
    case field_type::enumeration: {
      const enum_option* option = f.find_option(value.get_ref<const std::string&>());
      return option != nullptr ? option->label.in(l) : value.get<std::string>();
    }
    case field_type::callsign:
    case field_type::text:
    case field_type::reference:
      break;
  }
  return value.get<std::string>();
}

}  // namespace hotline::forms::detail
