// Times, windows, positions, areas and routes: the field types with structure.
#include <string>

#include "forms/field_check.hpp"
#include "forms/form_limits.hpp"
#include "forms/geo.hpp"
#include "forms/utc_time.hpp"

namespace hotline::forms::detail {

namespace {

std::unexpected<check_error> broken(rule r, std::string path = {},
                                    std::vector<std::string> args = {}) {
  return std::unexpected(check_error{r, std::move(path), std::move(args)});
}

// Prefixes `outer` to the path of an error from a nested value.
std::unexpected<check_error> nested(check_error e, const std::string& outer) {
  e.path = outer + e.path;
  return std::unexpected(std::move(e));
}

std::string index_path(std::size_t i) { return "[" + std::to_string(i) + "]"; }

// Fails on the first key of `object` not in `allowed`.
std::optional<check_error> unknown_key(const nlohmann::json& object,
                                       std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, ignored] : object.items()) {
    bool known = false;
    for (std::string_view name : allowed) {
      known = known || key == name;
    }
    if (!known) {
      return check_error{rule::unknown_field, "." + key, {key}};
    }
  }
  return std::nullopt;
}

// A list of `least`..`most` positions, each normalized; `shape` is the rule for a wrong count.
checked check_points(const nlohmann::json& value, std::size_t least, std::size_t most, rule shape) {
  if (!value.is_array()) {
    return broken(rule::expect_array);
  }
  if (value.size() < least || value.size() > most) {
    return broken(shape, {}, {std::to_string(least), std::to_string(most)});
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto point = check_position(value[i]);
    if (!point) {
      return nested(std::move(point.error()), index_path(i));
    }
    out.push_back(std::move(*point));
  }
  return out;
}

}  // namespace

checked check_datetime(const nlohmann::json& value) {
  if (!value.is_string()) {
    return broken(rule::datetime_format);
  }
  const auto ms = parse_rfc3339(value.get_ref<const std::string&>());
  if (!ms) {
    return broken(rule::datetime_format);
  }
  return nlohmann::json(format_rfc3339(*ms));
}

checked check_time_window(const nlohmann::json& value) {
  if (!value.is_object()) {
    return broken(rule::expect_object);
  }
  if (auto e = unknown_key(value, {"start", "end"})) {
    return std::unexpected(std::move(*e));
  }
  nlohmann::json out = nlohmann::json::object();
  for (const char* key : {"start", "end"}) {
    const std::string path = std::string(".") + key;
    if (!value.contains(key)) {
      return broken(rule::required, path);
    }
    auto time = check_datetime(value[key]);
    if (!time) {
      return nested(std::move(time.error()), path);
    }
    out[key] = std::move(*time);
  }
  // Normalized times compare in time order as text.
  if (out["end"].get_ref<const std::string&>() <= out["start"].get_ref<const std::string&>()) {
    return broken(rule::window_order, ".end");
  }
  return out;
}

checked check_position(const nlohmann::json& value) {
  auto p = parse_position(value);
  if (!p) {
    return broken(p.error());
  }
  return to_json(*p);
}

checked check_area(const nlohmann::json& value) {
  if (!value.is_object()) {
    return broken(rule::area_shape);
  }
  if (value.contains("points")) {
    if (auto e = unknown_key(value, {"points"})) {
      return std::unexpected(std::move(*e));
    }
    auto points = check_points(value["points"], limits::polygon_points_min,
                               limits::polygon_points_max, rule::polygon_points);
    if (!points) {
      return nested(std::move(points.error()), ".points");
    }
    return nlohmann::json{{"points", std::move(*points)}};
  }
  if (!value.contains("centre") || !value.contains("radius_nm")) {
    return broken(rule::area_shape);
  }
  if (auto e = unknown_key(value, {"centre", "radius_nm"})) {
    return std::unexpected(std::move(*e));
  }
  auto centre = check_position(value["centre"]);
  if (!centre) {
    return nested(std::move(centre.error()), ".centre");
  }
  const nlohmann::json& radius = value["radius_nm"];
  if (!radius.is_number()) {
    return broken(rule::expect_number, ".radius_nm");
  }
  const double nm = radius.get<double>();
  if (!(nm > 0 && nm <= limits::radius_nm_max)) {
    return broken(rule::radius_range, ".radius_nm", {number_text(limits::radius_nm_max)});
  }
  return nlohmann::json{{"centre", std::move(*centre)}, {"radius_nm", radius}};
}

checked check_route(const nlohmann::json& value) {
  return check_points(value, limits::route_points_min, limits::route_points_max,
                      rule::route_points);
}

}  // namespace hotline::forms::detail
