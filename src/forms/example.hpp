// Examples: for each form, a set of fields that is valid at a given time.
//
// The operator's screen offers it as a starting point, the docs show it rendered, and the tests
// prove every form can be filled and rendered. Values come from the catalog (`example`); times
// are `example_hours` after `now_ms` (a window lasts `example_duration_hours`), so a notice with
// a minimum notice period is always given in time. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "forms/form.hpp"

namespace hotline::forms {

// Every field of `f`, optional ones included, with its example value. `now_ms` is UTC, ms since
// the epoch; times are rounded down to the minute first, so examples read like real notices.
nlohmann::json example(const form& f, std::int64_t now_ms);

}  // namespace hotline::forms
