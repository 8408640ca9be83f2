#include "config/toml_util.hpp"

#include <chrono>

#include <fstream>
#include <sstream>
#include <system_error>

#include "core/shape.hpp"

namespace hotline::config::detail {

namespace {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date or time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::unexpected<error> wrong_type(std::string field, std::string_view wanted,
                                  const toml::node& node) {
  std::string message =
      field + " must be " + std::string(wanted) + ", not " + std::string(type_name(node.type()));
  return fail(errc::invalid_argument, std::move(message), std::move(field));
}

}  // namespace

result<toml::table> parse_toml(std::string_view text) {
  // toml++ reports syntax errors by exception; this is the one place it may be thrown, and it is
  // turned into a value here so no exception leaves the config layer.
  try {
    return toml::parse(text);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return fail(errc::invalid_argument, "TOML syntax error at line " + std::to_string(begin.line) +
                                            ", column " + std::to_string(begin.column) + ": " +
                                            std::string(e.description()));
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument, std::string("TOML could not be parsed: ") + e.what());
  }
}

result<std::string> read_file(const std::filesystem::path& file) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(file, ec);
  if (!exists) {
    return fail(errc::not_found, "no such file: " + file.string());
  }
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    return fail(errc::io, "cannot read " + file.string() + ": " + ec.message());
  }
  if (size > config_file_bytes_max) {
    return fail(errc::limit, file.string() + " is larger than " +
                                 std::to_string(config_file_bytes_max) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return fail(errc::io, "cannot read " + file.string());
  }
  // The file may have grown between the size check and the read.
  std::string text = std::move(bytes).str();
  if (text.size() > config_file_bytes_max) {
    return fail(errc::limit, file.string() + " is larger than " +
                                 std::to_string(config_file_bytes_max) + " bytes");
  }
  return text;
}

std::unexpected<error> invalid(std::string field, std::string_view rule) {
  // The message is made before `field` is moved from: argument order is unspecified.
  std::string message = field + " " + std::string(rule);
  return fail(errc::invalid_argument, std::move(message), std::move(field));
}

std::string field_name(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) {
    return std::string(key);
  }
  return std::string(prefix) + "." + std::string(key);
}

result<void> check_keys(const toml::table& table, std::string_view prefix,
                        std::initializer_list<std::string_view> allowed) {
  for (auto&& [key, value] : table) {
    bool known = false;
    for (std::string_view name : allowed) {
      known = known || key.str() == name;
    }
    if (!known) {
      std::string field = field_name(prefix, key.str());
      return fail(errc::invalid_argument, "unknown key " + field, field);
    }
  }
  return {};
}

result<std::string> required_string(const toml::table& table, std::string_view prefix,
                                    std::string_view key) {
  auto value = optional_string(table, prefix, key);
  if (!value) {
    return std::unexpected(value.error());
  }
  if (!*value) {
    std::string field = field_name(prefix, key);
    return fail(errc::invalid_argument, field + " is required", field);
  }
  return std::move(**value);
}

result<std::optional<std::string>> optional_string(const toml::table& table,
                                                   std::string_view prefix, std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<std::string>{};
  }
  if (!node->is_string()) {
    return wrong_type(field_name(prefix, key), "a string", *node);
  }
  return std::optional<std::string>(node->as_string()->get());
}

result<std::optional<std::int64_t>> optional_integer(const toml::table& table,
                                                     std::string_view prefix,
                                                     std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<std::int64_t>{};
  }
  if (!node->is_integer()) {
    return wrong_type(field_name(prefix, key), "an integer", *node);
  }
  return std::optional<std::int64_t>(node->as_integer()->get());
}

result<std::optional<std::int64_t>> optional_instant(const toml::table& table,
                                                     std::string_view prefix,
                                                     std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return std::optional<std::int64_t>{};
  const auto* value = node->as_date_time();
  if (value == nullptr || !value->get().offset) {
    return wrong_type(field_name(prefix, key), "a date-time with an offset (2027-01-15T00:00:00Z)",
                      *node);
  }
  const toml::date_time& dt = value->get();
  using namespace std::chrono;
  const year_month_day day{year{dt.date.year}, month{dt.date.month}, std::chrono::day{dt.date.day}};
  const auto at = sys_days{day} + hours{dt.time.hour} + minutes{dt.time.minute} +
                  seconds{dt.time.second} - minutes{dt.offset->minutes};
  return std::optional<std::int64_t>(duration_cast<milliseconds>(at.time_since_epoch()).count());
}

result<const toml::table*> optional_table(const toml::table& table, std::string_view prefix,
                                          std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_table()) {
    return wrong_type(field_name(prefix, key), "a table", *node);
  }
  return node->as_table();
}

result<std::optional<std::vector<std::string>>> optional_string_array(const toml::table& table,
                                                                      std::string_view prefix,
                                                                      std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<std::vector<std::string>>{};
  }
  if (!node->is_array()) {
    return wrong_type(field_name(prefix, key), "an array of strings", *node);
  }
  std::vector<std::string> out;
  const toml::array& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    const toml::node& element = array[i];
    if (!element.is_string()) {
      return wrong_type(field_name(prefix, key) + "[" + std::to_string(i) + "]", "a string",
                        element);
    }
    out.push_back(element.as_string()->get());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

result<const toml::array*> optional_table_array(const toml::table& table, std::string_view prefix,
                                                std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return nullptr;
  }
  const toml::array* array = node->as_array();
  // An empty array has no element type; the caller decides whether empty is allowed.
  if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
    return wrong_type(field_name(prefix, key), "an array of tables ([[" + std::string(key) + "]])",
                      *node);
  }
  return array;
}

bool valid_id(std::string_view id, std::size_t bytes_max) {
  return shape::valid_agreement_id(id, bytes_max);
}

bool valid_lower_hex64(std::string_view text) {
  if (text.size() != 64) {
    return false;
  }
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace hotline::config::detail
