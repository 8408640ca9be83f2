#include "forms/form_parse.hpp"

#include <algorithm>

#include "core/limits.hpp"
#include "core/shape.hpp"
#include "forms/form_limits.hpp"
#include "forms/toml_read.hpp"

namespace hotline::forms::detail {

namespace {

constexpr std::string_view categories[] = {"air", "sea", "exercise", "missile", "link", "general"};

std::unexpected<error> bad(std::string path, const std::string& why) {
  std::string message = path + " " + why;
  return fail(errc::invalid_argument, std::move(message), std::move(path));
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= limits::field_name_bytes_max &&
         std::ranges::all_of(name, [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

bool valid_form_id(std::string_view id) { return shape::valid_form_id(id); }

// A table {ko, ru, en} of non-empty strings, nothing else.
result<localized> parse_localized(const toml::table& parent, const std::string& prefix,
                                  std::string_view key) {
  const std::string path = key_path(prefix, key);
  const toml::table* table = parent.get_as<toml::table>(key);
  if (table == nullptr) {
    return bad(path, "must be a table with ko, ru and en texts");
  }
  if (auto keys = check_keys(*table, path, {"ko", "ru", "en"}); !keys) {
    return std::unexpected(keys.error());
  }
  localized out;
  for (lang l : all_langs) {
    auto text = required_string(*table, path, to_string(l));
    if (!text) {
      return std::unexpected(text.error());
    }
    out.in(l) = std::move(*text);
  }
  return out;
}

result<void> parse_options(const toml::table& table, const std::string& prefix, field& out) {
  const toml::array* options = table.get_as<toml::array>("options");
  if (out.type != field_type::enumeration) {
    return options == nullptr ? result<void>{} : bad(key_path(prefix, "options"), "is for enums");
  }
  if (options == nullptr || options->empty() || options->size() > limits::enum_options_max ||
      !options->is_array_of_tables()) {
    return bad(key_path(prefix, "options"), "must list 1 to 64 [[options]] tables");
  }
  for (std::size_t i = 0; i < options->size(); ++i) {
    const std::string path = prefix + ".options[" + std::to_string(i) + "]";
    const toml::table& option = *(*options)[i].as_table();
    if (auto keys = check_keys(option, path, {"value", "label"}); !keys) {
      return keys;
    }
    auto value = required_string(option, path, "value");
    if (!value) {
      return std::unexpected(value.error());
    }
    if (!valid_name(*value) || out.find_option(*value) != nullptr) {
      return bad(path + ".value", "must be a new name of [a-z0-9_]");
    }
    auto label = parse_localized(option, path, "label");
    if (!label) {
      return std::unexpected(label.error());
    }
    out.options.push_back({std::move(*value), std::move(*label)});
  }
  return {};
}

// min/max for the types that have bounds, and max_length for text.
result<void> parse_bounds(const toml::table& table, const std::string& prefix, field& out) {
  auto min = optional_number(table, prefix, "min");
  auto max = optional_number(table, prefix, "max");
  auto max_length = optional_integer(table, prefix, "max_length");
  if (!min || !max || !max_length) {
    return std::unexpected(!min ? min.error() : !max ? max.error() : max_length.error());
  }
  const bool bounded = out.type == field_type::count || out.type == field_type::speed ||
                       out.type == field_type::altitude;
  if (!bounded && (*min || *max)) {
    return bad(prefix, "has min/max, which only count, speed and altitude take");
  }
  if (*min && *max && **min > **max) {
    return bad(key_path(prefix, "min"), "must not be above max");
  }
  out.min = *min;
  out.max = *max;
  if ((out.type == field_type::text) != max_length->has_value()) {
    return bad(key_path(prefix, "max_length"), "is required for text and only for text");
  }
  if (*max_length) {
    if (**max_length < 1 || static_cast<std::size_t>(**max_length) > limits::text_chars_max) {
      return bad(key_path(prefix, "max_length"),
                 "must be 1 to " + std::to_string(limits::text_chars_max));
    }
    out.max_length = static_cast<std::size_t>(**max_length);
  }
  return {};
}

// A datetime or time window is exemplified by offsets from now; anything else by a value.
result<void> parse_example(const toml::table& table, const std::string& prefix, field& out) {
  auto hours = optional_integer(table, prefix, "example_hours");
  auto duration = optional_integer(table, prefix, "example_duration_hours");
  if (!hours || !duration) {
    return std::unexpected(!hours ? hours.error() : duration.error());
  }
  out.example_hours = *hours;
  out.example_duration_hours = *duration;
  const bool timed = out.type == field_type::datetime || out.type == field_type::time_window;
  const bool windowed = out.type == field_type::time_window;
  if (timed != hours->has_value() || windowed != duration->has_value()) {
    return bad(prefix,
               "needs example_hours (datetime, time_window) and example_duration_hours "
               "(time_window), and no others");
  }
  if (windowed && **duration < 1) {
    return bad(key_path(prefix, "example_duration_hours"), "must be at least 1");
  }
  const toml::node* example = table.get("example");
  if (timed) {
    return example == nullptr
               ? result<void>{}
               : bad(key_path(prefix, "example"), "is given by example_hours for times");
  }
  if (example == nullptr) {
    return bad(key_path(prefix, "example"), "is required");
  }
  auto json = to_json(*example, key_path(prefix, "example"));
  if (!json) {
    return std::unexpected(json.error());
  }
  out.example = std::move(*json);
  return {};
}

result<field> parse_field(const toml::table& table, const std::string& prefix) {
  if (auto keys = check_keys(table, prefix,
                             {"name", "type", "required", "label", "options", "min", "max",
                              "max_length", "example", "example_hours", "example_duration_hours"});
      !keys) {
    return std::unexpected(keys.error());
  }
  field out;
  auto name = required_string(table, prefix, "name");
  auto type = required_string(table, prefix, "type");
  auto required = optional_bool(table, prefix, "required");
  if (!name || !type || !required) {
    return std::unexpected(!name ? name.error() : !type ? type.error() : required.error());
  }
  if (!valid_name(*name)) {
    return bad(key_path(prefix, "name"), "must be 1 to 64 characters of [a-z0-9_]");
  }
  const auto parsed_type = parse_field_type(*type);
  if (!parsed_type) {
    return bad(key_path(prefix, "type"), "is not a field type: " + *type);
  }
  out.name = std::move(*name);
  out.type = *parsed_type;
  out.required = required->value_or(true);
  auto label = parse_localized(table, prefix, "label");
  if (!label) {
    return std::unexpected(label.error());
  }
  out.label = std::move(*label);
  for (auto step : {parse_options, parse_bounds, parse_example}) {
    if (auto done = step(table, prefix, out); !done) {
      return std::unexpected(done.error());
    }
  }
  return out;
}

result<std::vector<field>> parse_fields(const toml::table& table) {
  const toml::array* fields = table.get_as<toml::array>("fields");
  if (fields == nullptr || fields->empty() || fields->size() > limits::form_fields_max ||
      !fields->is_array_of_tables()) {
    return bad("fields",
               "must list 1 to " + std::to_string(limits::form_fields_max) + " [[fields]] tables");
  }
  std::vector<field> out;
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const std::string prefix = "fields[" + std::to_string(i) + "]";
    auto parsed = parse_field(*(*fields)[i].as_table(), prefix);
    if (!parsed) {
      return std::unexpected(parsed.error());
    }
    for (const field& earlier : out) {
      if (earlier.name == parsed->name) {
        return bad(prefix + ".name", "repeats " + parsed->name);
      }
    }
    out.push_back(std::move(*parsed));
  }
  return out;
}

// Each template names every field of the form, and nothing else, so no value goes unshown in
// any language.
result<void> check_templates(const form& f) {
  for (lang l : all_langs) {
    const std::string path = "template." + std::string(to_string(l));
    auto names = template_placeholders(f.template_text.in(l));
    if (!names) {
      return bad(path, names.error().message);
    }
    for (const std::string& name : *names) {
      if (f.find_field(name) == nullptr) {
        return bad(path, "names {" + name + "}, which is not a field");
      }
    }
    for (const field& spec : f.fields) {
      if (std::ranges::find(*names, spec.name) == names->end()) {
        return bad(path, "does not show field " + spec.name);
      }
    }
  }
  return {};
}

// min_notice_hours and notice_field come together, and the notice field is a required time.
result<void> check_notice(const form& f) {
  if (f.min_notice_hours.has_value() != !f.notice_field.empty()) {
    return bad("notice_field", "and min_notice_hours must be given together");
  }
  if (!f.min_notice_hours) {
    return {};
  }
  if (*f.min_notice_hours < 1) {
    return bad("min_notice_hours", "must be at least 1");
  }
  const field* notice = f.find_field(f.notice_field);
  if (notice == nullptr || !notice->required ||
      (notice->type != field_type::datetime && notice->type != field_type::time_window)) {
    return bad("notice_field", "must name a required datetime or time_window field");
  }
  return {};
}

result<void> parse_header(const toml::table& table, std::string_view stem, form& out) {
  auto id = required_string(table, "", "id");
  auto version = required_string(table, "", "version");
  auto category = required_string(table, "", "category");
  auto notice_hours = optional_integer(table, "", "min_notice_hours");
  if (!id || !version || !category || !notice_hours) {
    return std::unexpected(!id         ? id.error()
                           : !version  ? version.error()
                           : !category ? category.error()
                                       : notice_hours.error());
  }
  if (!valid_form_id(*id) || *id != stem) {
    return bad("id", "must be [A-Z0-9-] and match the file name " + std::string(stem) + ".toml");
  }
  if (std::ranges::find(categories, *category) == std::end(categories)) {
    return bad("category", "must be air, sea, exercise, missile, link or general");
  }
  out.id = std::move(*id);
  out.version = std::move(*version);
  out.category = std::move(*category);
  out.min_notice_hours = *notice_hours;
  if (table.contains("notice_field")) {
    auto name = required_string(table, "", "notice_field");
    if (!name) {
      return std::unexpected(name.error());
    }
    out.notice_field = std::move(*name);
  }
  return {};
}

result<void> parse_summary(const toml::table& table, form& out) {
  const toml::array* summary = table.get_as<toml::array>("summary");
  if (summary == nullptr) {
    return bad("summary", "must be an array of field names");
  }
  for (std::size_t i = 0; i < summary->size(); ++i) {
    const std::string path = "summary[" + std::to_string(i) + "]";
    const auto* name = (*summary)[i].as_string();
    if (name == nullptr || out.find_field(name->get()) == nullptr) {
      return bad(path, "must name a field of the form");
    }
    out.summary_fields.push_back(name->get());
  }
  return {};
}

}  // namespace

result<std::vector<std::string>> template_placeholders(std::string_view text) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') {
      return fail(errc::invalid_argument, "has a '}' that closes nothing");
    }
    if (text[i] != '{') {
      continue;
    }
    const std::size_t close = text.find('}', i);
    const std::string_view name =
        close == std::string_view::npos ? std::string_view{} : text.substr(i + 1, close - i - 1);
    if (!valid_name(name)) {
      return fail(errc::invalid_argument, "has a '{' that opens no {field_name} placeholder");
    }
    names.emplace_back(name);
    i = close;
  }
  return names;
}

result<form> parse_form(const toml::table& table, std::string_view stem) {
  if (auto keys = check_keys(table, "",
                             {"id", "version", "category", "min_notice_hours", "notice_field",
                              "summary", "title", "template", "fields"});
      !keys) {
    return std::unexpected(keys.error());
  }
  form out;
  if (auto header = parse_header(table, stem, out); !header) {
    return std::unexpected(header.error());
  }
  auto title = parse_localized(table, "", "title");
  auto templates = parse_localized(table, "", "template");
  auto fields = parse_fields(table);
  if (!title || !templates || !fields) {
    return std::unexpected(!title       ? title.error()
                           : !templates ? templates.error()
                                        : fields.error());
  }
  out.title = std::move(*title);
  out.template_text = std::move(*templates);
  out.fields = std::move(*fields);
  for (auto check : {parse_summary(table, out), check_notice(out), check_templates(out)}) {
    if (!check) {
      return std::unexpected(check.error());
    }
  }
  return out;
}

}  // namespace hotline::forms::detail
