#include "api/access.hpp"

namespace hotline::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<role> parse_role(std::string_view text) {
  for (const role r :
       {role::duty_officer, role::translator, role::supervisor, role::auditor, role::admin}) {
    if (to_string(r) == text) return r;
  }
  return std::nullopt;
}

std::string_view to_string(role r) {
  switch (r) {
    case role::duty_officer:
      return "duty-officer";
    case role::translator:
      return "translator";
    case role::supervisor:
      return "supervisor";
    case role::auditor:
      return "auditor";
    case role::admin:
      return "admin";
  }
  return "auditor";
}

bool is_safe_method(boost::beast::http::verb method) {
  using boost::beast::http::verb;
  return method == verb::get || method == verb::head || method == verb::options;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto end = header.find(';');
    const std::string_view pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return std::nullopt;
}

std::string session_cookie(std::string_view secret, bool secure) {
  std::string out(session_cookie_name);
  out += '=';
  out += secret;
  // Without an expiry the browser forgets the cookie when it closes; the station enforces the
  // idle and absolute limits itself in any case.
  if (secret.empty()) out += "; Max-Age=0";
  out += "; HttpOnly; SameSite=Strict; Path=/";
  if (secure) out += "; Secure";
  return out;
}

}  // namespace hotline::api
