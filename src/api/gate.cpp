#include "api/gate.hpp"

#include <spdlog/spdlog.h>

#include "api/access.hpp"
#include "api/auth.hpp"
#include "api/console.hpp"
#include "api/router.hpp"
#include "api/routes.hpp"
#include "api/session_routes.hpp"
#include "config/keys.hpp"

namespace hotline::api {
namespace {

std::optional<std::string_view> presented_session_secret(const http_request& req) {
  for (auto it = req.find(http::field::cookie);
       it != req.end() && it->name() == http::field::cookie; ++it) {
    if (auto v = cookie_value(it->value(), session_cookie_name); v && !v->empty()) return v;
  }
  return std::nullopt;
}

principal token_principal(const config::api_token& token) {
  principal p;
  p.kind = principal::via::token;
  p.name = token.name;
  // The config parser admits only the five role names.
  p.who = parse_role(token.role).value_or(role::auditor);
  p.clearance = token.clearance;
  return p;
}

// The signed-in user behind a session secret, or nullopt when the session is unknown, over its
// idle or absolute limit, or its user is disabled. The session is found by the SHA-256 of the
// secret, so the lookup's timing can tell an attacker nothing about stored secrets.
result<std::optional<principal>> session_principal(server_state& state, std::string_view secret) {
  storage::accounts& accounts = *state.options.accounts;
  const std::string id = config::sha256_hex(secret);
  auto found = accounts.find_session(id);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<principal>{};
  const storage::session_record& s = (*found)->session;
  const storage::user& u = (*found)->owner;
  const std::int64_t now = now_ms(state);
  const auto r = parse_role(u.role);
  if (now >= s.expires_at_ms || now - s.last_seen_ms >= s.idle_ms || u.disabled || !r) {
    if (auto gone = accounts.delete_session(id); !gone) {
      spdlog::warn("api: cannot remove an ended session: {}", gone.error().message);
    }
    return std::optional<principal>{};
  }
  if (now - s.last_seen_ms >= session_touch_interval_ms) {
    // A failed touch (a full disk) costs at most an early idle expiry; reads go on.
    if (auto t = accounts.touch_session(id, now); !t) {
      spdlog::warn("api: cannot record session activity: {}", t.error().message);
    }
  }
  principal p;
  p.kind = principal::via::session;
  p.name = u.name;
  p.who = *r;
  p.language = u.language;
  p.clearance = u.clearance;
  p.session_id_sha256 = id;
  p.csrf_token = s.csrf_token;
  p.expires_at_ms = s.expires_at_ms;
  return std::optional<principal>{std::move(p)};
}

// The live token made with `hotline token add` that the header presents, or nullopt. Read from
// the store at each request, so that a token revoked from the CLI is refused at once. Found by
// the SHA-256 of the secret, as sessions are.
result<std::optional<principal>> stored_token_principal(server_state& state,
                                                        std::string_view authorization) {
  const auto secret = bearer_secret(authorization);
  if (!secret || secret->empty() || state.options.accounts == nullptr) {
    return std::optional<principal>{};
  }
  auto found = state.options.accounts->find_live_token(config::sha256_hex(*secret));
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<principal>{};
  return std::optional<principal>{
      token_principal(config::api_token{(*found)->name, (*found)->role, (*found)->sha256_hex,
                                        (*found)->clearance})};
}

// Who sent `req`. An Authorization header, when present, decides alone: a wrong token is not
// rescued by a cookie. Tokens in the config are checked first, then those in the store. Errors
// are the accounts store's.
result<std::optional<principal>> authenticate(server_state& state, const http_request& req) {
  const auto authorization = req[http::field::authorization];
  if (!authorization.empty()) {
    if (auto token = state.auth.check(authorization)) {
      return std::optional<principal>{token_principal(*token)};
    }
    return stored_token_principal(state, authorization);
  }
  const auto secret = presented_session_secret(req);
  if (!secret || state.options.accounts == nullptr) return std::optional<principal>{};
  return session_principal(state, *secret);
}

http_response unauthorized(const server_state& state, const http_request& req) {
  auto res = error_response(
      req.version(), req.keep_alive(), http::status::unauthorized, "unauthorized",
      "a valid API token is required: Authorization: Bearer <token> (or sign in: POST "
      "/api/v1/session)");
  res.set(http::field::www_authenticate, "Bearer realm=\"hotline\"");
  // A cookie that named no live session is removed, so the console shows its sign-in page.
  if (presented_session_secret(req)) {
    res.set(http::field::set_cookie, session_cookie("", state.options.secure_cookies));
  }
  return res;
}

http_response unavailable(const http_request& req, const error& e) {
  spdlog::error("api: the accounts store failed: {}", e.message);
  auto res = error_response(req.version(), req.keep_alive(), http::status::service_unavailable,
                            "unavailable", "the station cannot check credentials now; try again");
  res.set(http::field::retry_after, "1");
  return res;
}

http_response refuse(const http_request& req, http::status status, std::string_view code,
                     const std::string& message) {
  return error_response(req.version(), req.keep_alive(), status, code, message);
}

// A cookie is sent by the browser on its own, so a cookie request that changes something must
// also prove it came from the console's page, which alone can read the CSRF token.
std::optional<http_response> check_csrf(const http_request& req, const principal& who) {
  if (who.kind != principal::via::session || is_safe_method(req.method())) return std::nullopt;
  const auto presented = req[csrf_header_name];
  if (!presented.empty() && config::equal_constant_time(presented, who.csrf_token)) {
    return std::nullopt;
  }
  return refuse(req, http::status::forbidden, "csrf",
                "a signed-in request that changes something must carry the session's CSRF "
                "token in the X-CSRF-Token header");
}

// The route table's verdict on `found` for `who`: the admission, or the refusal.
std::variant<http_response, admission> decide(const http_request& req, const request_target& target,
                                              match_result found, principal who) {
  if (std::holds_alternative<no_route>(found)) {
    return refuse(req, http::status::not_found, "not_found", "no such route: " + target.path);
  }
  const std::string method(req.method_string());
  if (const auto* wrong = std::get_if<wrong_method>(&found)) {
    auto res = refuse(req, http::status::method_not_allowed, "method_not_allowed",
                      method + " is not allowed here; use " + wrong->allow);
    res.set(http::field::allow, wrong->allow);
    return res;
  }
  const route_match& m = std::get<route_match>(found);
  if (!allowed(m.route, who.who)) {
    return refuse(
        req, http::status::forbidden, "forbidden",
        "the " + std::string(to_string(who.who)) + " role may not " + method + " " + target.path);
  }
  auto args = route_arguments(m);
  if (!args) {
    const error& e = args.error();
    return error_response(req.version(), req.keep_alive(), status_for(e.code), to_string(e.code),
                          e.message, e.field);
  }
  return admission{std::move(who), m.route, std::move(*args)};
}

// True when the Origin header names the same host and port as the Host header.
bool same_origin(const http_request& req) {
  std::string_view origin = req[http::field::origin];
  const std::string_view host = req[http::field::host];
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.starts_with(scheme)) {
      origin.remove_prefix(scheme.size());
      return !host.empty() && beast::iequals(origin, host);
    }
  }
  return false;
}

}  // namespace

asio::awaitable<std::variant<http_response, admission>> handle_access(server_state& state,
                                                                      const http_request& req,
                                                                      const request_target& target,
                                                                      const peer_info& peer) {
  if (!target.path.starts_with("/api/")) co_return serve_console(state, req, target.path);
  match_result found = match(req.method(), target.raw_path);
  if (const auto* m = std::get_if<route_match>(&found); m && m->route == route_id::sign_in) {
    co_return co_await sign_in(state, req, peer);
  }
  auto who = authenticate(state, req);
  if (!who) co_return unavailable(req, who.error());
  if (!*who) co_return unauthorized(state, req);
  if (auto refusal = check_csrf(req, **who)) co_return std::move(*refusal);
  co_return decide(req, target, std::move(found), std::move(**who));
}

std::variant<http_response, principal> check_upgrade_access(server_state& state,
                                                            const http_request& req,
                                                            const request_target& target) {
  auto who = authenticate(state, req);
  if (!who) return unavailable(req, who.error());
  if (!*who) return unauthorized(state, req);
  if ((*who)->kind == principal::via::session && !same_origin(req)) {
    return refuse(req, http::status::forbidden, "forbidden",
                  "a WebSocket opened with a session cookie must come from this station's own "
                  "page (Origin must match Host)");
  }
  auto decided = decide(req, target, match(req.method(), target.raw_path), std::move(**who));
  if (auto* refusal = std::get_if<http_response>(&decided)) return std::move(*refusal);
  admission& admitted = std::get<admission>(decided);
  if (admitted.route != route_id::events) {
    return refuse(req, http::status::not_found, "not_found", "no WebSocket at " + target.path);
  }
  return std::move(admitted.who);
}

}  // namespace hotline::api
