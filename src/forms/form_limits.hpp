// Limits of the form catalog and of the values its fields accept, with their units in their names.
//
// Each bound has a test at its edge in tests/forms/. A field in the catalog may narrow the bounds
// of count, speed and altitude (min/max) but never widen them past these.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hotline::forms::limits {

// Catalog files.
inline constexpr std::size_t catalog_file_bytes_max = 256 * 1024;
inline constexpr std::size_t catalog_forms_max = 256;
inline constexpr std::size_t form_fields_max = 64;
inline constexpr std::size_t enum_options_max = 64;
inline constexpr std::size_t field_name_bytes_max = 64;

// Geometry.
inline constexpr std::size_t polygon_points_min = 3;
inline constexpr std::size_t polygon_points_max = 64;
inline constexpr std::size_t route_points_min = 2;
inline constexpr std::size_t route_points_max = 64;
inline constexpr double radius_nm_max = 1000.0;  // a circle wider than this is not one area
inline constexpr std::size_t position_text_bytes_max = 64;

// Scalars.
inline constexpr std::int64_t altitude_feet_min = -1'500;  // a few airfields lie below sea level
inline constexpr std::int64_t altitude_feet_max = 100'000;
inline constexpr std::int64_t heading_degrees_max = 359;
inline constexpr double speed_knots_max = 2000.0;
inline constexpr std::size_t callsign_chars_min = 2;
inline constexpr std::size_t callsign_chars_max = 12;
inline constexpr std::size_t text_chars_max = 16 * 1024;  // no text field may allow more

// FLASH and IMMEDIATE traffic is short by rule (ACP 121): its free text is counted in words.
inline constexpr std::size_t urgent_words_max_default = 200;

}  // namespace hotline::forms::limits
