#include "forms/validate.hpp"

#include <string>

#include "forms/field_check.hpp"
#include "forms/messages.hpp"
#include "forms/utc_time.hpp"

namespace hotline::forms {

namespace {

using detail::check_error;

constexpr std::int64_t ms_per_hour = 3'600'000;

// The error value for a broken rule: "<label>: <rule>" in the reader's language.
std::unexpected<error> rejected(const check_error& e, std::string_view label, lang l,
                                std::string field) {
  std::string message = rule_message(e.broken, l, e.args);
  if (!label.empty()) {
    message = std::string(label) + ": " + message;
  }
  return fail(errc::invalid_argument, std::move(message), std::move(field) + e.path);
}

bool is_urgent(hotline::precedence p) {
  return p == hotline::precedence::flash || p == hotline::precedence::immediate;
}

// The form's notice rule: the event (a time, or a window's start) must lie at least
// min_notice_hours after now. An event already past is later than any notice allows.
std::optional<check_error> check_notice(const form& f, const nlohmann::json& normalized,
                                        std::int64_t now_ms) {
  if (!f.min_notice_hours || !normalized.contains(f.notice_field)) {
    return std::nullopt;
  }
  const nlohmann::json& value = normalized[f.notice_field];
  const bool window = value.is_object();
  const std::string& text = (window ? value["start"] : value).get_ref<const std::string&>();
  const std::optional<utc_ms> event_ms = parse_rfc3339(text);
  if (event_ms && *event_ms - now_ms >= *f.min_notice_hours * ms_per_hour) {
    return std::nullopt;
  }
  return check_error{
      rule::notice_too_late, window ? ".start" : "", {std::to_string(*f.min_notice_hours)}};
}

}  // namespace

result<nlohmann::json> validate(const form& f, const nlohmann::json& fields,
                                const validation_context& ctx) {
  if (!fields.is_object()) {
    return rejected({rule::fields_not_object, {}, {}}, {}, ctx.lang, "fields");
  }
  for (const auto& [name, ignored] : fields.items()) {
    if (f.find_field(name) == nullptr) {
      return rejected({rule::unknown_field, {}, {name}}, {}, ctx.lang, "fields." + name);
    }
  }
  nlohmann::json out = nlohmann::json::object();
  for (const field& spec : f.fields) {
    const std::string path = "fields." + spec.name;
    const std::string& label = spec.label.in(ctx.lang);
    // A JSON null is an absent value: forms post it for an optional field left empty.
    const auto it = fields.find(spec.name);
    if (it == fields.end() || it->is_null()) {
      if (spec.required) {
        return rejected({rule::required, {}, {}}, label, ctx.lang, path);
      }
      continue;
    }
    auto value = detail::check_value(spec, *it);
    if (!value) {
      return rejected(value.error(), label, ctx.lang, path);
    }
    if (spec.type == field_type::text && is_urgent(ctx.precedence)) {
      const std::size_t words = detail::count_words(value->get_ref<const std::string&>());
      if (words > ctx.urgent_words_max) {
        return rejected({rule::too_many_words,
                         {},
                         {std::to_string(ctx.urgent_words_max), std::to_string(words)}},
                        label, ctx.lang, path);
      }
    }
    out[spec.name] = std::move(*value);
  }
  if (auto late = check_notice(f, out, ctx.now_ms)) {
    const field* notice = f.find_field(f.notice_field);
    return rejected(*late, notice->label.in(ctx.lang), ctx.lang, "fields." + f.notice_field);
  }
  return out;
}

}  // namespace hotline::forms
