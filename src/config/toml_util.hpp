// TOML helpers shared by the agreement and station config parsers. Internal to src/config.
//
// Every helper reports a problem as an error value whose `field` is the full dotted key of the
// offending value ("stations[1].addresses.primary"), so a person can find it in the file. No
// toml++ exception escapes `parse_toml`. Stateless and thread-safe.
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace hotline::config::detail {

// A config or agreement file larger than this is refused before it is parsed.
inline constexpr std::size_t config_file_bytes_max = 1024 * 1024;

// Parses TOML text. A syntax error becomes errc::invalid_argument with "line L, column C".
result<toml::table> parse_toml(std::string_view text);

// Reads a whole file (at most config_file_bytes_max). Missing file: errc::not_found; unreadable:
// errc::io; too large: errc::limit.
result<std::string> read_file(const std::filesystem::path& file);

// errc::invalid_argument on `field`, with the message "<field> <rule>" ("link.heartbeat_interval_ms
// must be between 10 and 60000").
std::unexpected<error> invalid(std::string field, std::string_view rule);

// The field name of `key` inside the table named `prefix` ("" for the root).
std::string field_name(std::string_view prefix, std::string_view key);

// Fails on the first key of `table` that is not in `allowed`, so a misspelt key never passes
// silently.
result<void> check_keys(const toml::table& table, std::string_view prefix,
                        std::initializer_list<std::string_view> allowed);

// Typed getters. A missing key is an error for `required_*` and nullopt for `optional_*`; a key of
// the wrong type is always an error.
result<std::string> required_string(const toml::table& table, std::string_view prefix,
                                    std::string_view key);
result<std::optional<std::string>> optional_string(const toml::table& table,
                                                   std::string_view prefix, std::string_view key);
result<std::optional<std::int64_t>> optional_integer(const toml::table& table,
                                                     std::string_view prefix, std::string_view key);
// A table, or nullptr when the key is absent. The pointer lives as long as `table`.
// An offset date-time (`2027-01-15T00:00:00Z`, a TOML value, not a string), as ms since the
// epoch, UTC. A local date-time, a date alone or a time alone is refused: an instant two sides
// agree on needs its offset.
result<std::optional<std::int64_t>> optional_instant(const toml::table& table,
                                                     std::string_view prefix,
                                                     std::string_view key);
result<const toml::table*> optional_table(const toml::table& table, std::string_view prefix,
                                          std::string_view key);
// An array of strings, or nullopt when absent.
result<std::optional<std::vector<std::string>>> optional_string_array(const toml::table& table,
                                                                      std::string_view prefix,
                                                                      std::string_view key);
// An array whose elements are all tables, or nullptr when absent.
result<const toml::array*> optional_table_array(const toml::table& table, std::string_view prefix,
                                                std::string_view key);

// True for 1..`bytes_max` characters from [a-z0-9-]: the shape of every Hotline identifier.
bool valid_id(std::string_view id, std::size_t bytes_max);

// True for exactly 64 lowercase hexadecimal digits.
bool valid_lower_hex64(std::string_view text);

}  // namespace hotline::config::detail

namespace hotline::config {
struct agreement;
namespace detail {
// Parses the agreement's [deadlines], [link_tests] and [forms] tables into `out`
// (agreement_policies.cpp).
result<void> parse_policies(const toml::table& root, agreement& out);
// Parses the agreement's [labels] table into `out.labels` (agreement_labels.cpp). Needs the
// stations and channels parsed first.
result<void> parse_labels(const toml::table& root, agreement& out);
}  // namespace detail
}  // namespace hotline::config
