#include "api/routes.hpp"

#include <algorithm>
#include <charconv>

#include "api/form_routes.hpp"
#include "api/gate.hpp"
#include "api/journal_routes.hpp"
#include "api/json.hpp"
#include "api/label_json.hpp"
#include "api/metrics_text.hpp"
#include "api/openapi.hpp"
#include "api/post_routes.hpp"
#include "api/router.hpp"
#include "api/session_routes.hpp"
#include "api/target.hpp"
#include "api/translation_routes.hpp"

// GCC 12 misreads Asio's coroutine frames, which are allocated and freed by the frame's own
// operator new and delete, as a mismatched pair once it inlines them.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace hotline::api {
namespace {

void add_common_headers(http_response& res) {
  res.set(http::field::server, "hotline");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Content-Security-Policy", "default-src 'none'");
}

http_response not_allowed(const http_request& req, std::string_view allow) {
  auto res = error_response(
      req.version(), req.keep_alive(), http::status::method_not_allowed, "method_not_allowed",
      std::string(req.method_string()) + " is not allowed here; use " + std::string(allow));
  res.set(http::field::allow, allow);
  return res;
}

// Parses a whole decimal integer, refusing trailing junk.
std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

result<storage::list_query> list_query_from(const request_target& t) {
  storage::list_query q;
  q.limit = limits::list_limit_default;
  for (const auto& [key, value] : t.params) {
    if (key == "channel") {
      q.channel = value;
    } else if (key == "box") {
      if (value == "in")
        q.direction = storage::box::in;
      else if (value == "out")
        q.direction = storage::box::out;
      else
        return fail(errc::invalid_argument, "box must be in or out", "box");
    } else if (key == "after") {
      const auto after = parse_int(value);
      if (!after || *after < 0) {
        return fail(errc::invalid_argument, "after must be a cursor (an integer >= 0)", "after");
      }
      q.after_cursor = *after;
    } else if (key == "limit") {
      const auto limit = parse_int(value);
      if (!limit) return fail(errc::invalid_argument, "limit must be an integer", "limit");
      // Out-of-range limits are clamped rather than refused: asking for "everything" is a
      // reasonable request that the server answers one page at a time.
      q.limit = static_cast<std::size_t>(
          std::clamp<std::int64_t>(*limit, 1, static_cast<std::int64_t>(limits::list_limit_max)));
    } else {
      return fail(errc::invalid_argument, "unknown parameter " + key, key);
    }
  }
  return q;
}

http_response list_messages(server_state& state, const http_request& req, const request_target& t,
                            const principal& who) {
  auto q = list_query_from(t);
  if (!q) return error_answer(req, q.error());
  auto found = state.service.list(*q);
  if (!found) return error_answer(req, found.error());
  json messages = json::array();
  for (const storage::stored_message& m : *found) {
    messages.push_back(to_json(m, state.service, who.clearance));
  }
  const std::int64_t next_after =
      found->empty() ? q->after_cursor.value_or(0) : found->back().cursor;
  return json_response(req, http::status::ok,
                       {{"messages", std::move(messages)}, {"next_after", next_after}});
}

http_response get_message(server_state& state, const http_request& req, const std::string& id,
                          const request_target& t, const principal& who) {
  auto found = state.service.get(id);
  if (!found) return error_answer(req, found.error());
  if (!*found) {
    return error_response(req.version(), req.keep_alive(), http::status::not_found, "not_found",
                          "no message with id " + id, "id");
  }
  json out = to_json(**found, state.service, who.clearance);
  // Above the caller's clearance, the envelope only: no translations, no rendering.
  if (out["redacted"].get<bool>()) return json_response(req, http::status::ok, out);
  // Only received messages take translations; a sent one's JSON stays as it was posted.
  if ((*found)->direction == storage::box::in) add_translations(state.service, id, out);
  if (auto lang = t.params.find("lang"); lang != t.params.end()) {
    add_rendering(state.service, **found, lang->second, out);
  }
  return json_response(req, http::status::ok, out);
}

http_response upgrade_required(const http_request& req) {
  auto res = error_response(req.version(), req.keep_alive(), http::status::upgrade_required,
                            "upgrade_required", "this route is a WebSocket; send an upgrade");
  res.set(http::field::upgrade, "websocket");
  return res;
}

// Answers a request the gate admitted. The switch names every route, so a route added to the
// table without code here does not compile (-Wswitch), and no path string is looked at again.
// GET /api/v1/metrics: the Prometheus text exposition of the status and the counters, taken on
// one turn of the I/O thread.
http_response metrics_response(server_state& state, const http_request& req) {
  auto counted = state.service.metrics();
  if (!counted) return error_answer(req, counted.error());
  http_response res{http::status::ok, req.version()};
  add_common_headers(res);
  res.keep_alive(req.keep_alive());
  res.set(http::field::content_type, metrics_content_type);
  res.body() = render_metrics(state.service.status(), *counted, state.login_failures);
  res.prepare_payload();
  return res;
}

asio::awaitable<http_response> route_api(server_state& state, const http_request& req,
                                         const request_target& t, const admission& a) {
  const route_args& args = a.args;
  switch (a.route) {
    case route_id::list_messages:
      co_return list_messages(state, req, t, a.who);
    case route_id::post_message:
      co_return co_await create_message(state, req, a.who);
    case route_id::get_message:
      co_return get_message(state, req, args.message_id, t, a.who);
    case route_id::acknowledge:
      co_return co_await acknowledge_message(state.service, req, args.message_id, a.who);
    case route_id::list_translations:
      co_return list_translations(state.service, req, args.message_id, a.who);
    case route_id::attach_translation:
      co_return attach_translation(state.service, req, args.message_id, a.who);
    case route_id::review_translation:
      co_return review_translation(state.service, req, args.message_id, args.translation_id, a.who);
    case route_id::evidence:
      co_return message_evidence(state.service, req, args.message_id, a.who);
    case route_id::journal:
      co_return list_journal(state.service, req, t);
    case route_id::verify_journal:
      co_return co_await verify_journal(state.service, req);
    case route_id::status:
      co_return json_response(req, http::status::ok, to_json(state.service.status()));
    case route_id::metrics:
      co_return metrics_response(state, req);
    case route_id::openapi: {
      http_response res{http::status::ok, req.version()};
      add_common_headers(res);
      res.keep_alive(req.keep_alive());
      res.body() = std::string(openapi_json());
      res.prepare_payload();
      co_return res;
    }
    case route_id::list_forms:
      co_return list_forms(state.service, req, t);
    case route_id::list_labels:
      co_return json_response(
          req, http::status::ok,
          labels_json(state.service.label_policy(), state.service.station_id()));
    case route_id::preview_form:
      co_return preview_form(state.service, req, args.form_id);
    case route_id::events:
      co_return upgrade_required(req);
    case route_id::whoami:
    case route_id::sign_out:
    case route_id::update_me:
    case route_id::audit:
      if (auto answer = session_route(state, req, a.route, t, a.who)) co_return std::move(*answer);
      break;
    case route_id::sign_in:
      // The gate answers sign-in itself, before authentication; it is never admitted here.
      break;
  }
  co_return error_response(req.version(), req.keep_alive(), http::status::internal_server_error,
                           "protocol", "the station has no handler for this route");
}

}  // namespace

http_response error_answer(const http_request& req, const error& e) {
  return error_response(req.version(), req.keep_alive(), status_for(e.code), to_string(e.code),
                        e.message, e.field);
}

http::status status_for(errc code) {
  switch (code) {
    case errc::invalid_argument:
      return http::status::bad_request;
    case errc::not_found:
      return http::status::not_found;
    case errc::conflict:
      return http::status::conflict;
    case errc::limit:
      return http::status::payload_too_large;
    case errc::refused:
      return http::status::forbidden;
    case errc::protocol:
    case errc::corrupt:
      return http::status::internal_server_error;
    case errc::io:
    case errc::unavailable:
    case errc::fenced:  // another node is the active one now
      return http::status::service_unavailable;
  }
  return http::status::internal_server_error;
}

bool is_json_content(const http_request& req) {
  std::string_view type = req[http::field::content_type];
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return beast::iequals(type, "application/json");
}

http_response json_response(const http_request& req, http::status status, const json& body) {
  http_response res{status, req.version()};
  add_common_headers(res);
  res.keep_alive(req.keep_alive());
  res.body() = dump(body);
  res.body().push_back('\n');
  res.prepare_payload();
  return res;
}

http_response error_response(unsigned version, bool keep_alive, http::status status,
                             std::string_view code, std::string_view message,
                             std::string_view field) {
  http_response res{status, version};
  add_common_headers(res);
  res.keep_alive(keep_alive);
  res.body() = dump(error_json(code, message, field));
  res.body().push_back('\n');
  res.prepare_payload();
  return res;
}

asio::awaitable<http_response> handle_request(server_state& state, const http_request& req,
                                              const peer_info& peer) {
  auto t = parse_target(req.target());
  if (!t) co_return error_answer(req, t.error());
  if (t->path == "/healthz") {
    if (req.method() != http::verb::get) co_return not_allowed(req, "GET");
    co_return json_response(req, http::status::ok, {{"ok", true}});
  }
  // Where Prometheus looks by default; the same route, the same access, as /api/v1/metrics.
  if (t->path == "/metrics") t->path = t->raw_path = "/api/v1/metrics";
  // The gate (gate.hpp) serves the console, signs people in, and authenticates and admits
  // everything else by the route table before routing, so that a caller without credentials
  // learns nothing, not even which routes exist.
  auto access = co_await handle_access(state, req, *t, peer);
  if (auto* answer = std::get_if<http_response>(&access)) co_return std::move(*answer);
  co_return co_await route_api(state, req, *t, std::get<admission>(access));
}

std::variant<http_response, principal> check_upgrade(server_state& state, const http_request& req) {
  auto t = parse_target(req.target());
  if (!t) return error_answer(req, t.error());
  return check_upgrade_access(state, req, *t);
}

}  // namespace hotline::api
