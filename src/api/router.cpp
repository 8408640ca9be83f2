#include "api/router.hpp"

#include <array>
#include <cassert>
#include <charconv>
#include <optional>

#include "api/target.hpp"
#include "core/limits.hpp"
#include "core/shape.hpp"

namespace hotline::api {
namespace {

namespace http = boost::beast::http;

constexpr role_set every_role = role_bit(role::duty_officer) | role_bit(role::translator) |
                                role_bit(role::supervisor) | role_bit(role::auditor) |
                                role_bit(role::admin);
// Those who may put traffic on the hotline. Auditors and admins read and run the station but
// never speak for it; translators attach translations, they do not send.
constexpr role_set senders = role_bit(role::duty_officer) | role_bit(role::supervisor);
// Those who translate received messages: the translators, and the supervisors who check them.
constexpr role_set translators = role_bit(role::translator) | role_bit(role::supervisor);
// Those who check the station rather than speak for it.
constexpr role_set overseers =
    role_bit(role::supervisor) | role_bit(role::auditor) | role_bit(role::admin);

// The route table. docs/api.md ("Roles") must match it; the route matrix test checks that.
constexpr std::array<route_spec, route_count> table{{
    {route_id::list_messages, http::verb::get, "/api/v1/messages", every_role},
    {route_id::post_message, http::verb::post, "/api/v1/messages", senders},
    {route_id::get_message, http::verb::get, "/api/v1/messages/{id}", every_role},
    // An acknowledgement is itself a signed message to the other side.
    {route_id::acknowledge, http::verb::post, "/api/v1/messages/{id}/ack", senders},
    {route_id::list_translations, http::verb::get, "/api/v1/messages/{id}/translations",
     every_role},
    {route_id::attach_translation, http::verb::post, "/api/v1/messages/{id}/translations",
     translators},
    // Only a supervisor certifies, and never their own translation (the store checks that).
    {route_id::review_translation, http::verb::post,
     "/api/v1/messages/{id}/translations/{tid}/review", role_bit(role::supervisor)},
    // The journal and evidence are for those who check the station, not those who speak for it.
    {route_id::evidence, http::verb::get, "/api/v1/messages/{id}/evidence", overseers},
    {route_id::status, http::verb::get, "/api/v1/status", every_role},
    {route_id::list_forms, http::verb::get, "/api/v1/forms", every_role},
    // A preview stores and sends nothing.
    {route_id::preview_form, http::verb::post, "/api/v1/forms/{form}/preview", every_role},
    {route_id::events, http::verb::get, "/api/v1/events", every_role},
    {route_id::whoami, http::verb::get, "/api/v1/session", every_role},
    // Signing in is answered before authentication, so its roles are never consulted: anyone
    // may try.
    {route_id::sign_in, http::verb::post, "/api/v1/session", every_role},
    {route_id::sign_out, http::verb::delete_, "/api/v1/session", every_role},
    {route_id::update_me, http::verb::patch, "/api/v1/me", every_role},
    {route_id::audit, http::verb::get, "/api/v1/audit", overseers},
    {route_id::journal, http::verb::get, "/api/v1/journal", overseers},
    {route_id::verify_journal, http::verb::post, "/api/v1/journal/verify", overseers},
    // For the monitoring system's scrape token and whoever keeps the station running.
    {route_id::metrics, http::verb::get, "/api/v1/metrics",
     role_bit(role::auditor) | role_bit(role::admin)},
    {route_id::openapi, http::verb::get, "/api/v1/openapi.json", every_role},
    {route_id::list_labels, http::verb::get, "/api/v1/labels", every_role},
}};

// No pattern has more segments than this; a longer path is no route without further work.
constexpr std::size_t route_segments_max = 7;

constexpr bool is_placeholder(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Under /api/, at most route_segments_max segments, none empty, and only placeholders that
// route_arguments knows.
constexpr bool well_formed(std::string_view pattern) {
  if (!pattern.starts_with("/api/")) return false;
  std::size_t count = 0;
  std::string_view rest = pattern.substr(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    if (segment.empty() || ++count > route_segments_max) return false;
    if (is_placeholder(segment) && segment != "{id}" && segment != "{tid}" && segment != "{form}") {
      return false;
    }
    if (slash == std::string_view::npos) return true;
    rest.remove_prefix(slash + 1);
  }
}

// Invariant: the table is in route_id order (spec_of indexes it), every pattern is well formed,
// and no method appears twice on one pattern.
constexpr bool table_is_sound() {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (static_cast<std::size_t>(table[i].id) != i || !well_formed(table[i].pattern)) {
      return false;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (table[j].pattern == table[i].pattern && table[j].method == table[i].method) return false;
    }
  }
  return true;
}
static_assert(table_is_sound());

// Splits a path that starts with '/' into the segments after it, keeping empty ones ("/a//b/"
// is "a", "", "b", ""). nullopt when there are more than route_segments_max.
std::optional<std::vector<std::string_view>> split_segments(std::string_view path) {
  assert(!path.empty() && path.front() == '/');
  std::vector<std::string_view> out;
  std::string_view rest = path.substr(1);
  for (;;) {
    if (out.size() == route_segments_max) return std::nullopt;
    const std::size_t slash = rest.find('/');
    out.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    rest.remove_prefix(slash + 1);
  }
}

// The placeholders' decoded segments when `pattern` matches `segments` (each already decoded),
// else nullopt.
std::optional<std::vector<std::string>> match_pattern(std::string_view pattern,
                                                      const std::vector<std::string>& segments) {
  const auto wanted = split_segments(pattern);
  assert(wanted.has_value());
  if (wanted->size() != segments.size()) return std::nullopt;
  std::vector<std::string> params;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string_view want = (*wanted)[i];
    if (is_placeholder(want)) {
      if (segments[i].empty()) return std::nullopt;
      params.push_back(segments[i]);
    } else if (want != segments[i]) {
      return std::nullopt;
    }
  }
  return params;
}

// A translation id as the store makes them: a positive integer, written without leading zeros.
std::optional<std::int64_t> parse_translation_id(std::string_view text) {
  if (text.empty() || text.front() < '1' || text.front() > '9') return std::nullopt;
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::span<const route_spec> route_table() { return table; }

const route_spec& spec_of(route_id id) {
  const auto i = static_cast<std::size_t>(id);
  assert(i < table.size());
  return table[i];
}

match_result match(http::verb method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.empty() || path.front() != '/') return no_route{};
  const auto raw = split_segments(path);
  if (!raw) return no_route{};
  // Split first, decode second: an encoded '/' stays inside its segment.
  std::vector<std::string> segments;
  segments.reserve(raw->size());
  for (const std::string_view s : *raw) {
    auto decoded = percent_decode(s, false);
    if (!decoded) return no_route{};
    segments.push_back(std::move(*decoded));
  }
  std::string allow;
  for (const route_spec& spec : table) {
    auto params = match_pattern(spec.pattern, segments);
    if (!params) continue;
    if (spec.method == method) return route_match{spec.id, std::move(*params)};
    const std::string_view name = http::to_string(spec.method);
    if (!allow.empty()) allow += ", ";
    allow += name;
  }
  if (allow.empty()) return no_route{};
  return wrong_method{std::move(allow)};
}

bool allowed(route_id id, role r) { return (spec_of(id).roles & role_bit(r)) != 0; }

result<route_args> route_arguments(const route_match& m) {
  const auto wanted = split_segments(spec_of(m.route).pattern);
  assert(wanted.has_value());
  route_args out;
  std::size_t next = 0;
  for (const std::string_view segment : *wanted) {
    if (!is_placeholder(segment)) continue;
    // match() gives one value per placeholder; a hand-made route_match may not.
    assert(next < m.params.size());
    if (next >= m.params.size()) return fail(errc::not_found, "the path lacks a parameter");
    const std::string& value = m.params[next++];
    if (segment == "{id}") {
      if (!shape::valid_message_id(value)) {
        return fail(errc::not_found,
                    "no message has that id: a message id is 1 to " +
                        std::to_string(limits::message_id_bytes_max) +
                        " of A-Z, a-z, 0-9, '-' and '_'",
                    "id");
      }
      out.message_id = value;
    } else if (segment == "{tid}") {
      const auto tid = parse_translation_id(value);
      if (!tid) {
        return fail(errc::not_found,
                    "no translation has that id: a translation id is a positive whole number",
                    "tid");
      }
      out.translation_id = *tid;
    } else {
      // well_formed admits no other placeholder.
      if (!shape::valid_form_id(value)) {
        return fail(errc::not_found,
                    "no form has that id: a form id is 1 to " +
                        std::to_string(limits::form_id_bytes_max) + " of A-Z, 0-9 and '-'",
                    "form");
      }
      out.form_id = value;
    }
  }
  assert(next == m.params.size());
  return out;
}

}  // namespace hotline::api
