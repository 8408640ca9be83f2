// One value checked against its field's type. Internal to src/forms; validate.hpp is the contract.
//
// A failure names the rule, where in the value it was broken (relative to the field: "" for the
// value itself, ".points[3]", ".start") and the values for the rule's message. Stateless and
// thread-safe; no function throws.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forms/form.hpp"
#include "forms/messages.hpp"

namespace hotline::forms::detail {

struct check_error {
  rule broken = rule::required;
  std::string path;
  std::vector<std::string> args;
};

using checked = std::expected<nlohmann::json, check_error>;

// The normalized value, or what is wrong with it.
checked check_value(const field& f, const nlohmann::json& value);

// The structured types, kept apart from the scalars in field_check_shapes.cpp.
checked check_datetime(const nlohmann::json& value);
checked check_time_window(const nlohmann::json& value);
checked check_position(const nlohmann::json& value);
checked check_area(const nlohmann::json& value);
checked check_route(const nlohmann::json& value);

// Text: valid UTF-8, no control characters but line breaks and tabs, at most `f.max_length` code
// points (field_check_text.cpp).
checked check_text(const field& f, const nlohmann::json& value);

// A bound for a message: "2000", "0.5".
std::string number_text(double value);

// Words in `text`: runs of characters between spaces, tabs and line breaks.
std::size_t count_words(std::string_view text);

}  // namespace hotline::forms::detail
