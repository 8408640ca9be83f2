// Rendering: a form's normalized fields as text for a reader, in the reader's language.
//
// Each value is written the way that language writes it: numbers grouped as the reader groups
// them ("25,000 ft", "25 000 футов", "25,000피트"), coordinates with the reader's hemisphere words
// ("37°30′N", "37°30′ с. ш.", "북위 37°30′"), enum values as their label, and times in UTC and in
// the reader's local time. Free text is shown as written: its translation travels separately.
// Stateless and thread-safe; nothing here throws.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "forms/form.hpp"

namespace hotline::forms {

struct render_context {
  forms::lang lang = forms::lang::en;
  // "Asia/Seoul", "Asia/Vladivostok" or "UTC" (see utc_time.hpp for why the table is fixed).
  // Any other zone shows UTC only.
  std::string reader_timezone = "UTC";
};

// The form's title on the first line, then its template in `ctx.lang` with each "{field}"
// replaced by the rendered value. A template line that names a field absent from `normalized`
// (an optional field left empty) is left out. `normalized` should come from `validate`; a value
// of another shape is shown as its JSON text rather than failing.
std::string render(const form& f, const nlohmann::json& normalized, const render_context& ctx);

// One line for lists: the title, then the form's summary fields ("Prior notice of military
// flight — RFF7701"), at most summary_chars_max code points. Times are shown in UTC.
std::string summary(const form& f, const nlohmann::json& normalized, lang l);
inline constexpr std::size_t summary_chars_max = 160;

}  // namespace hotline::forms
