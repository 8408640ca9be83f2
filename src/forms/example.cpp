#include "forms/example.hpp"

#include "forms/utc_time.hpp"

namespace hotline::forms {

nlohmann::json example(const form& f, std::int64_t now_ms) {
  constexpr std::int64_t ms_per_minute = 60'000;
  constexpr std::int64_t ms_per_hour = 60 * ms_per_minute;
  const std::int64_t base_ms = now_ms - now_ms % ms_per_minute;
  nlohmann::json out = nlohmann::json::object();
  for (const field& spec : f.fields) {
    if (spec.type == field_type::datetime) {
      out[spec.name] = format_rfc3339(base_ms + spec.example_hours.value_or(0) * ms_per_hour);
    } else if (spec.type == field_type::time_window) {
      const std::int64_t start = base_ms + spec.example_hours.value_or(0) * ms_per_hour;
      const std::int64_t end = start + spec.example_duration_hours.value_or(1) * ms_per_hour;
      out[spec.name] = {{"start", format_rfc3339(start)}, {"end", format_rfc3339(end)}};
    } else {
      out[spec.name] = spec.example;
    }
  }
  return out;
}

}  // namespace hotline::forms
