// Positions as aviators and mariners write them, normalized to decimal degrees.
//
// Accepted forms (the hemisphere letter may also come first, "N37°30' E129°10'"):
//   "37°30'N 129°10'E", "37°30′15″N 129°10′E", "37°30.5'N 129°10'E"  degrees, minutes, seconds
//   "3730N 12910E", "373015N 1291030E", "3730N12910E"                 ICAO compact (DDMM[SS])
//   "37.5N 129.1667E"                                                 decimal degrees + letter
//   {"lat": 37.5, "lon": 129.1667}                                    decimal, south and west < 0
// Stateless and thread-safe.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string_view>

#include "forms/messages.hpp"

namespace hotline::forms {

struct position {
  double lat = 0;  // -90..90, north positive
  double lon = 0;  // -180..180, east positive
};

// Parses one position. Errors: rule::position_format, latitude_range, longitude_range,
// minutes_range, expect_number (a non-numeric "lat"/"lon").
std::expected<position, rule> parse_position(const nlohmann::json& value);

// {"lat": ..., "lon": ...}, each rounded to 1e-6 degrees (about 0.1 m), the normalized form.
nlohmann::json to_json(const position& p);

// Degrees, whole minutes and whole seconds of one coordinate, rounded to the nearest second.
struct dms {
  bool negative = false;  // south or west
  int degrees = 0;
  int minutes = 0;
  int seconds = 0;
};
dms to_dms(double decimal_degrees);

}  // namespace hotline::forms
