#include "forms/toml_read.hpp"

#include <fstream>
#include <sstream>
#include <system_error>

#include "forms/form_limits.hpp"

namespace hotline::forms::detail {

namespace {

std::unexpected<error> wrong_type(std::string path, std::string_view wanted) {
  std::string message = path + " must be " + std::string(wanted);
  return fail(errc::invalid_argument, std::move(message), std::move(path));
}

}  // namespace

result<std::string> read_catalog_file(const std::filesystem::path& file) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    const errc code = ec == std::errc::no_such_file_or_directory ? errc::not_found : errc::io;
    return fail(code, "cannot read " + file.string() + ": " + ec.message());
  }
  if (size > limits::catalog_file_bytes_max) {
    return fail(errc::limit, file.string() + " is larger than " +
                                 std::to_string(limits::catalog_file_bytes_max) + " bytes");
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return fail(errc::io, "cannot read " + file.string());
  }
  // The file may have grown between the size check and the read.
  std::string text = std::move(bytes).str();
  if (text.size() > limits::catalog_file_bytes_max) {
    return fail(errc::limit, file.string() + " is larger than " +
                                 std::to_string(limits::catalog_file_bytes_max) + " bytes");
  }
  return text;
}

result<toml::table> parse_toml(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return fail(errc::invalid_argument, std::string(source) + ": TOML syntax error at line " +
                                            std::to_string(begin.line) + ", column " +
                                            std::to_string(begin.column) + ": " +
                                            std::string(e.description()));
  } catch (const std::exception& e) {
    return fail(errc::invalid_argument,
                std::string(source) + ": TOML could not be parsed: " + e.what());
  }
}

std::string key_path(std::string_view prefix, std::string_view key) {
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
      std::string path = key_path(prefix, key.str());
      return fail(errc::invalid_argument, "unknown key " + path, path);
    }
  }
  return {};
}

result<std::string> required_string(const toml::table& table, std::string_view prefix,
                                    std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    std::string path = key_path(prefix, key);
    return fail(errc::invalid_argument, path + " is required", path);
  }
  if (!node->is_string() || node->as_string()->get().empty()) {
    return wrong_type(key_path(prefix, key), "a non-empty string");
  }
  return node->as_string()->get();
}

result<std::optional<std::int64_t>> optional_integer(const toml::table& table,
                                                     std::string_view prefix,
                                                     std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<std::int64_t>{};
  }
  if (!node->is_integer()) {
    return wrong_type(key_path(prefix, key), "an integer");
  }
  return std::optional<std::int64_t>(node->as_integer()->get());
}

result<std::optional<double>> optional_number(const toml::table& table, std::string_view prefix,
                                              std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<double>{};
  }
  if (node->is_integer()) {
    return std::optional<double>(static_cast<double>(node->as_integer()->get()));
  }
  if (!node->is_floating_point()) {
    return wrong_type(key_path(prefix, key), "a number");
  }
  return std::optional<double>(node->as_floating_point()->get());
}

result<std::optional<bool>> optional_bool(const toml::table& table, std::string_view prefix,
                                          std::string_view key) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::optional<bool>{};
  }
  if (!node->is_boolean()) {
    return wrong_type(key_path(prefix, key), "true or false");
  }
  return std::optional<bool>(node->as_boolean()->get());
}

result<nlohmann::json> to_json(const toml::node& node, std::string_view path) {
  if (const toml::table* table = node.as_table()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto&& [key, value] : *table) {
      auto converted = to_json(value, key_path(path, key.str()));
      if (!converted) {
        return converted;
      }
      out[std::string(key.str())] = std::move(*converted);
    }
    return out;
  }
  if (const toml::array* array = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < array->size(); ++i) {
      auto converted = to_json((*array)[i], std::string(path) + "[" + std::to_string(i) + "]");
      if (!converted) {
        return converted;
      }
      out.push_back(std::move(*converted));
    }
    return out;
  }
  if (node.is_string()) {
    return nlohmann::json(node.as_string()->get());
  }
  if (node.is_integer()) {
    return nlohmann::json(node.as_integer()->get());
  }
  if (node.is_floating_point()) {
    return nlohmann::json(node.as_floating_point()->get());
  }
  if (node.is_boolean()) {
    return nlohmann::json(node.as_boolean()->get());
  }
  return wrong_type(std::string(path), "a string, number, boolean, array or table");
}

}  // namespace hotline::forms::detail
