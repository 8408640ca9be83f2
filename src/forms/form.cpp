#include "forms/form.hpp"

namespace hotline::forms {

namespace {

// The catalog spelling of each field type, indexed by the enum value.
constexpr std::array<std::string_view, 13> type_names{
    "datetime", "time_window", "position", "area",  "route", "altitude", "heading",
    "speed",    "callsign",    "text",     "count", "enum",  "reference"};

}  // namespace

std::string_view to_string(lang l) {
  switch (l) {
    case lang::ko:
      return "ko";
    case lang::ru:
      return "ru";
    case lang::en:
      return "en";
  }
  return "en";
}

std::optional<lang> parse_lang(std::string_view text) {
  for (lang l : all_langs) {
    if (to_string(l) == text) {
      return l;
    }
  }
  return std::nullopt;
}

std::string_view to_string(field_type t) { return type_names[static_cast<std::size_t>(t)]; }

std::optional<field_type> parse_field_type(std::string_view text) {
  for (std::size_t i = 0; i < type_names.size(); ++i) {
    if (type_names[i] == text) {
      return static_cast<field_type>(i);
    }
  }
  return std::nullopt;
}

const enum_option* field::find_option(std::string_view value) const {
  for (const enum_option& option : options) {
    if (option.value == value) {
      return &option;
    }
  }
  return nullptr;
}

const field* form::find_field(std::string_view name) const {
  for (const field& f : fields) {
    if (f.name == name) {
      return &f;
    }
  }
  return nullptr;
}

}  // namespace hotline::forms
