// Parsing and checking one catalog form file. Internal to src/forms; catalog.hpp is the contract.
//
// Every check a form must pass before either side may use it lives here: texts complete in all
// three languages, field names unique, options and bounds valid for their type, examples given,
// and every template naming every field and nothing else. Errors carry the dotted key
// ("fields[3].label.ru") in `field`. Stateless and thread-safe.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "forms/form.hpp"

namespace hotline::forms::detail {

// Parses a form from its file's table. `stem` is the file name without ".toml", which must equal
// the form's id.
result<form> parse_form(const toml::table& table, std::string_view stem);

// The placeholder names of a template in order of appearance, or an error for a brace that does
// not open or close a "{name}" placeholder.
result<std::vector<std::string>> template_placeholders(std::string_view text);

}  // namespace hotline::forms::detail
