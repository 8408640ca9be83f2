// One value rendered for a reader. Internal to src/forms; render.hpp is the contract.
//
// Functions here assume normalized values (see validate.hpp) and may throw nlohmann's type error
// for anything else; `render` catches it. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "forms/form.hpp"
#include "forms/utc_time.hpp"

namespace hotline::forms::detail {

std::string render_value(const field& f, const nlohmann::json& value, lang l,
                         const reader_zone& zone);

// Numbers and units (render_units.cpp). `decimals` is the most fractional digits shown.
std::string format_number(double value, lang l, int decimals = 0);
std::string format_feet(double feet, lang l);
std::string format_knots(double knots, lang l);
std::string format_position(const nlohmann::json& p, lang l);
// A circle's radius in nautical miles; in Russian in the genitive, after "в радиусе".
std::string format_radius(double nm, lang l);

// Times (render_time.cpp).
std::string format_instant(utc_ms ms, lang l, const reader_zone& zone);
std::string format_window(utc_ms start, utc_ms end, lang l, const reader_zone& zone);

}  // namespace hotline::forms::detail
