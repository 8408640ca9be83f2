#include "api/access.hpp"

#include <array>

namespace hotline::api {
namespace {

namespace http = boost::beast::http;

using role_set = std::uint8_t;

constexpr role_set bit(role r) { return static_cast<role_set>(1U << static_cast<unsigned>(r)); }

constexpr role_set every_role = bit(role::duty_officer) | bit(role::translator) |
                                bit(role::supervisor) | bit(role::auditor) | bit(role::admin);
// Those who may put traffic on the hotline. Auditors and admins read and run the station but
// never speak for it; translators attach translations, they do not send.
constexpr role_set senders = bit(role::duty_officer) | bit(role::supervisor);
// Those who translate received messages: the translators, and the supervisors who check them.
constexpr role_set translators = bit(role::translator) | bit(role::supervisor);
constexpr role_set overseers = bit(role::supervisor) | bit(role::auditor) | bit(role::admin);

struct rule {
  http::verb method;
  std::string_view path;  // "*" stands for one non-empty path segment
  role_set roles;
};

// The permission table. docs/api.md ("Roles") must match it.
// POST /api/v1/session is signing in: it is answered before authentication, so its roles are
// never consulted; it is listed so that the table knows the path's methods.
constexpr std::array<rule, 19> rules{{
    {http::verb::get, "/api/v1/messages", every_role},
    {http::verb::post, "/api/v1/messages", senders},
    {http::verb::get, "/api/v1/messages/*", every_role},
    // An acknowledgement is itself a signed message to the other side.
    {http::verb::post, "/api/v1/messages/*/ack", senders},
    {http::verb::get, "/api/v1/messages/*/translations", every_role},
    {http::verb::post, "/api/v1/messages/*/translations", translators},
    // Only a supervisor certifies, and never their own translation (the store checks that).
    {http::verb::post, "/api/v1/messages/*/translations/*/review", bit(role::supervisor)},
    {http::verb::get, "/api/v1/status", every_role},
    {http::verb::get, "/api/v1/forms", every_role},
    // A preview stores and sends nothing.
    {http::verb::post, "/api/v1/forms/*/preview", every_role},
    {http::verb::get, "/api/v1/events", every_role},
    {http::verb::get, "/api/v1/session", every_role},
    {http::verb::post, "/api/v1/session", every_role},
    {http::verb::delete_, "/api/v1/session", every_role},
    {http::verb::patch, "/api/v1/me", every_role},
    {http::verb::get, "/api/v1/audit", overseers},
    // The journal and evidence are for those who check the station, not those who speak for it.
    {http::verb::get, "/api/v1/journal", overseers},
    {http::verb::post, "/api/v1/journal/verify", overseers},
    {http::verb::get, "/api/v1/messages/*/evidence", overseers},
}};

bool path_matches(std::string_view pattern, std::string_view path) {
  while (!pattern.empty() && !path.empty()) {
    const auto p_end = pattern.find('/', 1);
    const auto s_end = path.find('/', 1);
    const std::string_view p_seg = pattern.substr(0, p_end);
    const std::string_view s_seg = path.substr(0, s_end);
    if (p_seg == "/*") {
      if (s_seg.size() < 2) return false;
    } else if (p_seg != s_seg) {
      return false;
    }
    pattern = p_end == std::string_view::npos ? std::string_view{} : pattern.substr(p_end);
    path = s_end == std::string_view::npos ? std::string_view{} : path.substr(s_end);
  }
  return pattern.empty() && path.empty();
}

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

permission_check check_permission(role r, http::verb method, std::string_view path) {
  permission_check out;
  bool path_known = false;
  for (const rule& x : rules) {
    if (!path_matches(x.path, path)) continue;
    path_known = true;
    if (x.method == method) {
      out.verdict = (x.roles & bit(r)) != 0 ? permission::allowed : permission::forbidden;
      return out;
    }
    if (!out.allow.empty()) out.allow += ", ";
    out.allow += http::to_string(x.method);
  }
  if (path_known) {
    out.verdict = permission::wrong_method;
  } else {
    out.allow.clear();
    out.verdict = method == http::verb::get ? permission::allowed : permission::no_route;
  }
  return out;
}

bool is_safe_method(http::verb method) {
  return method == http::verb::get || method == http::verb::head || method == http::verb::options;
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
