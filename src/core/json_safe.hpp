// JSON safe: JSON calls that cannot throw, for JSON that came from outside (a peer's message
// body, a journal entry's detail, an evidence bundle) or holds text that did.
//
// nlohmann::json's `value()` and `get<T>()` throw when a field has the wrong type, and a peer or
// a tampered file chooses the types; its `dump()` throws on invalid UTF-8. The reads here return
// nullopt instead, so that the caller decides what a missing or mistyped field means, and
// `dump` replaces what is not UTF-8 (the edge should have refused it; this is the second line).
// Pure; thread-safe for distinct values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace hotline::json_safe {

// `obj[key]` when `obj` is an object holding a string there.
inline std::optional<std::string> text(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// `obj[key]` when `obj` is an object holding an unsigned integer there.
inline std::optional<std::uint64_t> unsigned_integer(const nlohmann::json& obj,
                                                      std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

// `obj[key]` when `obj` is an object holding an integer there.
inline std::optional<std::int64_t> integer(const nlohmann::json& obj, std::string_view key) {
  if (!obj.is_object()) return std::nullopt;
  const auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

// Serialises without throwing: invalid UTF-8 becomes U+FFFD.
inline std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace hotline::json_safe
