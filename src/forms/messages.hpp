// The rules a form's fields are checked against, and the message for each in every language.
//
// A duty officer reads a rejection in their own language, so each rule has a message in Korean,
// Russian and English; tests/forms checks that none is missing. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "forms/form.hpp"

namespace hotline::forms {

enum class rule : std::uint8_t {
  fields_not_object,
  unknown_field,  // {0}: the field name
  required,
  expect_string,
  expect_number,
  expect_integer,
  expect_object,
  expect_array,
  datetime_format,
  window_order,
  notice_too_late,  // {0}: hours
  position_format,
  latitude_range,
  longitude_range,
  minutes_range,
  area_shape,
  polygon_points,  // {0}, {1}: least and most points
  radius_range,    // {0}: largest radius in NM
  route_points,    // {0}, {1}: least and most points
  altitude_format,
  altitude_range,  // {0}, {1}: feet
  heading_range,
  speed_range,  // {0}, {1}: knots
  callsign_format,
  text_utf8,
  text_control,
  text_length,     // {0}: characters
  too_many_words,  // {0}: the limit, {1}: the count
  count_range,     // {0}, {1}
  enum_value,      // {0}: the allowed values
  reference_format,
};
inline constexpr std::size_t rule_count = 31;

// The message for `r` in `l`, with "{0}", "{1}", ... replaced by `args` in order.
std::string rule_message(rule r, lang l, const std::vector<std::string>& args = {});

}  // namespace hotline::forms
