#include "config/database_url.hpp"

#include <cctype>

namespace hotline::config {

namespace {

constexpr std::string_view redacted = "***";

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// The URI's query with the value of every `password` parameter redacted.
std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t at = 0;
  while (at <= query.size()) {
    std::size_t end = query.find('&', at);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(at, end - at);
    if (!out.empty() || at > 0) out += '&';
    const std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && param.substr(0, eq) == "password") {
      out += "password=";
      out += redacted;
    } else {
      out += param;
    }
    at = end + 1;
  }
  return out;
}

// A libpq URI: the user info's password (between the first ':' of the user info and the last
// '@' before the query, so that an unescaped '@' or '/' in the password is covered too) and the
// query's password parameters.
std::string redact_uri(std::string_view url) {
  const std::size_t scheme_end = url.find("://") + 3;
  std::string_view rest = url.substr(scheme_end);
  std::string_view query;
  if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string out{url.substr(0, scheme_end)};
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    out += colon == std::string_view::npos
               ? userinfo
               : std::string{userinfo.substr(0, colon + 1)} + std::string{redacted};
    out += rest.substr(at);
  } else {
    out += rest;
  }
  if (!query.empty() || url.find('?', scheme_end) != std::string_view::npos) {
    out += '?';
    out += redact_query(query);
  }
  return out;
}

// The end of the value starting at `at` in a key=value string: a quoted value ends at its
// closing quote (a backslash escapes the next character), a plain one at the next space.
std::size_t value_end(std::string_view text, std::size_t at) {
  if (at < text.size() && text[at] == '\'') {
    for (std::size_t i = at + 1; i < text.size(); ++i) {
      if (text[i] == '\\') {
        ++i;
      } else if (text[i] == '\'') {
        return i + 1;
      }
    }
    return text.size();
  }
  while (at < text.size() && !is_space(text[at])) ++at;
  return at;
}

// A libpq key=value string, walked pair by pair, with the value of every `password` key
// replaced.
std::string redact_key_values(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t key_end = i;
    while (key_end < text.size() && text[key_end] != '=' && !is_space(text[key_end])) ++key_end;
    const std::string_view key = text.substr(i, key_end - i);
    std::size_t eq = key_end;
    while (eq < text.size() && is_space(text[eq])) ++eq;
    if (eq >= text.size() || text[eq] != '=') {  // not key=value: keep the word as it is
      out += key;
      i = key_end;
      continue;
    }
    std::size_t value = eq + 1;
    while (value < text.size() && is_space(text[value])) ++value;
    const std::size_t end = value_end(text, value);
    out += text.substr(i, value - i);
    out += key == "password" ? std::string{redacted} : std::string{text.substr(value, end - value)};
    i = end;
  }
  return out;
}

}  // namespace

bool is_postgresql_uri(std::string_view text) {
  return text.starts_with("postgresql://") || text.starts_with("postgres://");
}

std::string redact_database_url(std::string_view url) {
  if (is_postgresql_uri(url)) return redact_uri(url);
  if (url.find('=') != std::string_view::npos) return redact_key_values(url);
  return std::string{url};
}

}  // namespace hotline::config
