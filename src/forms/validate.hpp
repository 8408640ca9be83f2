// Validation: checks a message's fields against its form and returns them normalized.
//
// Normalized values are what travels and what `render` expects: times as "YYYY-MM-DDTHH:MM:SSZ",
// positions as {"lat", "lon"} in decimal degrees, altitudes as {"feet"} (plus "flight_level" when
// given as one), call signs in capitals. Validating a normalized value again returns it unchanged.
// Stateless and thread-safe; `validate` never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/message.hpp"
#include "forms/form.hpp"
#include "forms/form_limits.hpp"

namespace hotline::forms {

struct validation_context {
  std::int64_t now_ms = 0;  // UTC, ms since the epoch: when the notice is being given
  hotline::precedence precedence = hotline::precedence::routine;
  forms::lang lang = forms::lang::en;  // the language of the error message
  // FLASH and IMMEDIATE text fields may hold at most this many words each.
  std::size_t urgent_words_max = limits::urgent_words_max_default;
};

// On success, the normalized fields: every field given, none added. On failure,
// errc::invalid_argument whose `field` names the value ("fields.entry_time",
// "fields.area.points[3]"; just "fields" when `fields` is not an object) and whose message, in
// `ctx.lang`, starts with the field's label and names the rule that was broken. The first broken
// rule is reported: unknown fields, then each field in form order, then the form's notice rule.
result<nlohmann::json> validate(const form& f, const nlohmann::json& fields,
                                const validation_context& ctx);

}  // namespace hotline::forms
