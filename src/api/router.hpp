// Router: the one table of the station's API routes, and the matcher that finds a request's
// route in it. Each route is one method on one path pattern, with the set of roles that may call
// it. The gate (gate.hpp) refuses with it, the routes (routes.hpp) dispatch on the route id it
// returns, the WebSocket upgrade is checked against it, and docs/api.md ("Roles") shows it; the
// route matrix test holds the three to each other.
//
// Matching is by whole path segments. A pattern such as "/api/v1/messages/{id}/ack" has
// literal segments, compared exactly, and placeholders, each standing for exactly one non-empty
// segment:
//   {id}    a message id (shape::valid_message_id),
//   {tid}   a translation id: a positive decimal integer without leading zeros,
//   {form}  a form id (shape::valid_form_id).
// The path is split on '/' as sent, and only then is each segment percent-decoded, so "%2F" in
// an id is part of the id (where it fails the id's shape), never a separator. Nothing is
// normalised: an empty segment ("//", a trailing '/'), "." or ".." matches no literal and no
// placeholder's shape. There is no default: a path that no pattern matches is no route, whatever
// the method.
//
// What a caller learns, in this order: no_route (404), wrong_method (405, with the methods the
// path has), then, for a route_match, `allowed` for the caller's role (403), then
// `route_arguments` for the placeholders' shapes (404 naming the parameter, as for an id that
// does not exist).
//
// Pure: no I/O and no state beyond the constant table. Thread-safe.
#pragma once

#include <ostream>  // Boost's string_view streams itself; verb.hpp needs the full type

#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/access.hpp"
#include "core/error.hpp"

namespace hotline::api {

// One per route; the table in router.cpp holds them in this order.
enum class route_id : std::uint8_t {
  list_messages,       // GET    /api/v1/messages
  post_message,        // POST   /api/v1/messages
  get_message,         // GET    /api/v1/messages/{id}
  acknowledge,         // POST   /api/v1/messages/{id}/ack
  list_translations,   // GET    /api/v1/messages/{id}/translations
  attach_translation,  // POST   /api/v1/messages/{id}/translations
  review_translation,  // POST   /api/v1/messages/{id}/translations/{tid}/review
  evidence,            // GET    /api/v1/messages/{id}/evidence
  status,              // GET    /api/v1/status
  list_forms,          // GET    /api/v1/forms
  preview_form,        // POST   /api/v1/forms/{form}/preview
  events,              // GET    /api/v1/events (WebSocket)
  whoami,              // GET    /api/v1/session
  sign_in,             // POST   /api/v1/session (the one route that needs no credentials)
  sign_out,            // DELETE /api/v1/session
  update_me,           // PATCH  /api/v1/me
  audit,               // GET    /api/v1/audit
  journal,             // GET    /api/v1/journal
  verify_journal,      // POST   /api/v1/journal/verify
  metrics,             // GET    /api/v1/metrics (also served as /metrics)
  openapi,             // GET    /api/v1/openapi.json
  list_labels,         // GET    /api/v1/labels
};
inline constexpr std::size_t route_count = 22;

// A set of roles, one bit each.
using role_set = std::uint8_t;
constexpr role_set role_bit(role r) {
  return static_cast<role_set>(1U << static_cast<unsigned>(r));
}

struct route_spec {
  route_id id;
  boost::beast::http::verb method;
  std::string_view pattern;
  role_set roles;
};

// The whole table, in route_id order (so spec_of is an index).
std::span<const route_spec> route_table();
const route_spec& spec_of(route_id id);

// A path that a pattern matches with this method. `params` are the placeholders' segments,
// percent-decoded, in the pattern's order; each is non-empty but not yet shape-checked.
struct route_match {
  route_id route;
  std::vector<std::string> params;
};
// The path matches patterns, but none with this method. `allow` lists theirs: "GET, POST".
struct wrong_method {
  std::string allow;
};
struct no_route {};
using match_result = std::variant<route_match, wrong_method, no_route>;

// Finds the route for `method` on `target`, the request target as sent (origin-form, not yet
// percent-decoded); a query ("?...") is ignored. A target that is not origin-form, or whose
// segments hold a malformed percent escape, is no_route.
match_result match(boost::beast::http::verb method, std::string_view target);

// True when role `r` may call `id`.
bool allowed(route_id id, role r);

// The placeholders of a match, checked and typed. Only the ones its pattern has are set.
struct route_args {
  std::string message_id;           // {id}
  std::int64_t translation_id = 0;  // {tid}, > 0
  std::string form_id;              // {form}
};

// Fails with errc::not_found, `field` naming the parameter ("id", "tid" or "form"), when a
// placeholder's segment does not have its shape: no such thing can exist.
result<route_args> route_arguments(const route_match& m);

}  // namespace hotline::api
