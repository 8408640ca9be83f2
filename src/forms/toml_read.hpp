// TOML reading for the catalog loader. Internal to src/forms.
//
// It follows src/config/toml_util (which the forms layer does not link): toml++ reports syntax
// errors by exception, and this is the one place such an exception is caught and turned into an
// error value. Every error names the file and the dotted key of the offending value. Stateless and
// thread-safe.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace hotline::forms::detail {

// Reads a whole file of at most limits::catalog_file_bytes_max bytes.
result<std::string> read_catalog_file(const std::filesystem::path& file);

// Parses TOML text; `source` names the file in the error message.
result<toml::table> parse_toml(std::string_view text, std::string_view source);

// "prefix.key", or "key" when prefix is empty.
std::string key_path(std::string_view prefix, std::string_view key);

// Fails on the first key of `table` that is not in `allowed`.
result<void> check_keys(const toml::table& table, std::string_view prefix,
                        std::initializer_list<std::string_view> allowed);

// Typed getters: a missing key is nullopt (or an error for `required_string`); a key of the wrong
// type is always an error.
result<std::string> required_string(const toml::table& table, std::string_view prefix,
                                    std::string_view key);
result<std::optional<std::int64_t>> optional_integer(const toml::table& table,
                                                     std::string_view prefix, std::string_view key);
result<std::optional<double>> optional_number(const toml::table& table, std::string_view prefix,
                                              std::string_view key);
result<std::optional<bool>> optional_bool(const toml::table& table, std::string_view prefix,
                                          std::string_view key);

// The same value as JSON: tables become objects, arrays arrays, strings, integers, floats and
// booleans themselves. Dates and times have no JSON form and are refused.
result<nlohmann::json> to_json(const toml::node& node, std::string_view path);

}  // namespace hotline::forms::detail
