#include "api/session_routes.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "api/json.hpp"
#include "api/label_json.hpp"
#include "api/routes.hpp"
#include "config/keys.hpp"
#include "storage/accounts.hpp"
#include "storage/passwords.hpp"

namespace hotline::api {
namespace {

// The Argon2id hash of a random string nobody knows. A name that is not a user is checked
// against it, so that an unknown name takes as long to refuse as a wrong password.
constexpr std::string_view decoy_hash =
    "$argon2id$v=19$m=65536,t=2,p=1$rlAd7T5OBpAQEshWygKDaw$"
    "00IzpUWKMb+CeLv81R5zsYz4KHaW7CRESarJYyPmoMg";

struct credentials {
  std::string username;
  std::string password;
};

result<credentials> parse_credentials(std::string_view body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(errc::invalid_argument, "the body must be {\"username\": ..., \"password\": ...}");
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "username" && key != "password") {
      return fail(errc::invalid_argument, "unknown field " + key, key);
    }
  }
  credentials c;
  for (auto [name, out] : {std::pair{"username", &c.username}, {"password", &c.password}}) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return fail(errc::invalid_argument, std::string(name) + " must be a string", name);
    }
    *out = it->get<std::string>();
  }
  if (c.password.size() > storage::password_bytes_max) {
    return fail(errc::limit, "the password is too long", "password");
  }
  return c;
}

json user_json(const server_state& state, std::string_view name, role r,
               std::string_view language, std::string_view clearance) {
  const station::service& s = state.service;
  return {{"name", name},
          {"role", to_string(r)},
          {"language", language.empty() ? json(nullptr) : json(language)},
          {"clearance", clearance_json(s.label_policy(), s.station_id(), clearance, language)}};
}

http_response refusal(const http_request& req, http::status status, std::string_view code,
                      const std::string& message, std::int64_t retry_after_ms = 0) {
  auto res = error_response(req.version(), req.keep_alive(), status, code, message);
  if (retry_after_ms > 0) {
    res.set(http::field::retry_after, std::to_string((retry_after_ms + 999) / 1000));
  }
  if (status == http::status::unauthorized) {
    res.set(http::field::www_authenticate, "Bearer realm=\"hotline\"");
  }
  return res;
}

http_response store_failed(const http_request& req, const error& e) {
  spdlog::error("api: the accounts store failed: {}", e.message);
  return refusal(req, http::status::service_unavailable, "unavailable",
                 "the station cannot sign anyone in now; try again", 1000);
}

void audit(server_state& state, std::string_view actor, std::string_view action,
           std::string detail) {
  storage::audit_entry e{0, now_ms(state), std::string(actor), std::string(action),
                         std::move(detail)};
  if (auto r = state.options.accounts->append_audit(e); !r) {
    spdlog::error("api: cannot write the audit log ({} by {}): {}", action, actor,
                  r.error().message);
  }
}

std::string minutes(std::int64_t ms) { return std::to_string((ms + 59'999) / 60'000); }

// After a wrong password for a user, any password for an unknown name, or any password for a
// user locked from this address (login_throttle.hpp). All three are answered alike, after the
// same steps (one password check, then one audit entry), so that neither the answer nor its
// timing tells an attacker which names exist or that it has been locked out. The audit log tells
// operators which it was.
http_response refuse_sign_in(server_state& state, const http_request& req, const peer_info& peer,
                             const std::string& name, const std::optional<storage::user>& u,
                             bool locked) {
  ++state.login_failures;
  const std::string from = "from " + peer.address;
  if (!u) {
    // A name that could not be a user is not written down: it may be a mistyped password.
    audit(state, storage::valid_user_name(name) ? name : "-", "login_failed",
          "unknown user, " + from);
  } else if (locked) {
    audit(state, name, "login_failed", "locked out from this address, " + from);
  } else {
    const auto failure = state.lockouts.note_failure(name, peer.address, u->password_hash,
                                                     now_ms(state));
    // One entry either way: a second synced write would make the locking attempt slower.
    if (failure.locks) {
      audit(state, name, "locked_out",
            "wrong password (" + std::to_string(login_failures_max) + " in a row), " + from +
                "; sign-ins from that address refused for " + minutes(login_lockout_ms) +
                " minutes");
    } else {
      audit(state, name, "login_failed",
            "wrong password (" + std::to_string(failure.in_a_row) + " of " +
                std::to_string(login_failures_max) + "), " + from);
    }
  }
  return refusal(req, http::status::unauthorized, "unauthorized", "wrong user name or password");
}

http_response start_session(server_state& state, const http_request& req, const peer_info& peer,
                            const storage::user& u) {
  storage::accounts& accounts = *state.options.accounts;
  const std::int64_t now = now_ms(state);
  const std::string secret = config::new_token_secret();
  storage::session_record s{config::sha256_hex(secret),
                            u.name,
                            config::new_token_secret(),
                            now,
                            now,
                            now + session_lifetime_ms,
                            session_idle_timeout_ms};
  if (auto r = accounts.delete_expired_sessions(now); !r) return store_failed(req, r.error());
  if (auto r = accounts.create_session(s, sessions_per_user_max); !r) {
    return store_failed(req, r.error());
  }
  // A sign-in the audit log does not show must not happen.
  if (auto r = accounts.append_audit({0, now, u.name, "login", "from " + peer.address}); !r) {
    (void)accounts.delete_session(s.id_sha256);
    return store_failed(req, r.error());
  }
  const role r = parse_role(u.role).value_or(role::auditor);
  auto res = json_response(req, http::status::ok,
                           {{"user", user_json(state, u.name, r, u.language, u.clearance)},
                            {"csrf_token", s.csrf_token},
                            {"expires_at", format_rfc3339_ms(s.expires_at_ms)}});
  res.set(http::field::set_cookie, session_cookie(secret, state.options.secure_cookies));
  return res;
}

json whoami_json(const server_state& state, const principal& who) {
  json j = {{"user", user_json(state, who.name, who.who, who.language, who.clearance)},
            {"via", who.kind == principal::via::session ? "session" : "token"}};
  if (who.kind == principal::via::session) {
    j["csrf_token"] = who.csrf_token;
    j["expires_at"] = format_rfc3339_ms(who.expires_at_ms);
  }
  return j;
}

http_response no_session(const http_request& req) {
  return refusal(req, http::status::conflict, "conflict",
                 "this request is authenticated by an API token, which has no session or "
                 "language; sign in as a person");
}

http_response sign_out(server_state& state, const http_request& req, const principal& who) {
  if (who.kind != principal::via::session) return no_session(req);
  if (auto r = state.options.accounts->delete_session(who.session_id_sha256); !r) {
    return store_failed(req, r.error());
  }
  audit(state, who.name, "logout", "");
  http_response res{http::status::no_content, req.version()};
  res.set(http::field::server, "hotline");
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::set_cookie, session_cookie("", state.options.secure_cookies));
  res.keep_alive(req.keep_alive());
  res.prepare_payload();
  return res;
}

http_response update_me(server_state& state, const http_request& req, principal who) {
  if (who.kind != principal::via::session) return no_session(req);
  if (!is_json_content(req)) {
    return refusal(req, http::status::unsupported_media_type, "unsupported_media_type",
                   "the body must be JSON: Content-Type: application/json");
  }
  const json j = json::parse(req.body(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.size() != 1 || !j.contains("language")) {
    return error_response(req.version(), req.keep_alive(), http::status::bad_request,
                          "invalid_argument",
                          "the body must be {\"language\": \"ko\"|\"ru\"|\"en\"}", "language");
  }
  const auto& language = j["language"];
  if (!language.is_string() || !storage::valid_language(language.get<std::string>())) {
    return error_response(req.version(), req.keep_alive(), http::status::bad_request,
                          "invalid_argument", "language must be ko, ru or en", "language");
  }
  const std::string next = language.get<std::string>();
  if (auto r = state.options.accounts->set_language(who.name, next); !r) {
    return store_failed(req, r.error());
  }
  audit(state, who.name, "language_changed", who.language + " -> " + next);
  who.language = next;
  return json_response(req, http::status::ok, whoami_json(state, who));
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

http_response list_audit(server_state& state, const http_request& req,
                         const request_target& target) {
  if (state.options.accounts == nullptr) {
    return refusal(req, http::status::not_found, "not_found", "this station has no audit log");
  }
  std::int64_t after = 0;
  std::int64_t limit = 100;
  for (const auto& [key, value] : target.params) {
    const auto n = parse_count(value);
    if ((key != "after" && key != "limit") || !n) {
      return error_response(req.version(), req.keep_alive(), http::status::bad_request,
                            "invalid_argument", key + " must be after or limit, an integer >= 0",
                            key);
    }
    (key == "after" ? after : limit) = *n;
  }
  auto found = state.options.accounts->list_audit(after, static_cast<std::size_t>(limit));
  if (!found) return store_failed(req, found.error());
  json entries = json::array();
  for (const storage::audit_entry& e : *found) {
    entries.push_back({{"id", e.id},
                       {"at", format_rfc3339_ms(e.at_ms)},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"detail", e.detail}});
  }
  const std::int64_t next_after = found->empty() ? after : found->back().id;
  return json_response(req, http::status::ok,
                       {{"entries", std::move(entries)}, {"next_after", next_after}});
}

}  // namespace

asio::awaitable<http_response> sign_in(server_state& state, const http_request& req,
                                       const peer_info& peer) {
  if (state.options.accounts == nullptr) {
    co_return refusal(req, http::status::not_found, "not_found",
                      "this station has no user accounts; use an API token");
  }
  if (!is_json_content(req)) {
    co_return refusal(req, http::status::unsupported_media_type, "unsupported_media_type",
                      "the body must be JSON: Content-Type: application/json");
  }
  auto creds = parse_credentials(req.body());
  if (!creds) {
    co_return error_response(req.version(), req.keep_alive(), status_for(creds.error().code),
                             to_string(creds.error().code), creds.error().message,
                             creds.error().field);
  }
  const std::int64_t now = now_ms(state);
  const auto verdict = state.throttle.admit(peer.address, now);
  if (!verdict.allowed) {
    if (verdict.first_refusal) audit(state, "-", "login_rate_limited", "from " + peer.address);
    co_return refusal(req, http::status::too_many_requests, "rate_limited",
                      "too many sign-in attempts from this address; wait and try again",
                      verdict.retry_after_ms);
  }
  std::optional<storage::user> u;
  if (storage::valid_user_name(creds->username)) {
    auto found = state.options.accounts->find_user(creds->username);
    if (!found) co_return store_failed(req, found.error());
    u = std::move(*found);
  }
  if (state.password_checks_pending >= login_checks_pending_max) {
    co_return refusal(req, http::status::service_unavailable, "unavailable",
                      "the station is busy signing people in; try again", 1000);
  }
  // Every attempt that gets this far costs one password check, against the decoy for an unknown
  // name and the user's own hash for a locked one, so that its time tells nothing. The arguments
  // are named locals: GCC 12 destroys a temporary made by a conditional expression inside a
  // co_await twice.
  std::string hash = u ? u->password_hash : std::string(decoy_hash);
  std::string password = std::move(creds->password);
  ++state.password_checks_pending;
  const auto ok = co_await state.passwords.verify(std::move(hash), std::move(password));
  --state.password_checks_pending;
  if (!ok) {
    co_return refusal(req, http::status::service_unavailable, "unavailable",
                      "the station is shutting down", 1000);
  }
  // The lock is looked at after the check, so that guesses already waiting for the hashing
  // thread when it was taken are refused as well, right or wrong.
  const bool locked =
      u && state.lockouts.locked(u->name, peer.address, u->password_hash, now_ms(state));
  if (!u || !*ok || locked) {
    co_return refuse_sign_in(state, req, peer, creds->username, u, locked);
  }
  if (u->disabled) {
    audit(state, u->name, "login_failed", "account disabled, from " + peer.address);
    co_return refusal(req, http::status::forbidden, "disabled",
                      "this account is disabled; ask the station's admin");
  }
  state.lockouts.note_success(u->name, peer.address);
  co_return start_session(state, req, peer, *u);
}

std::optional<http_response> session_route(server_state& state, const http_request& req,
                                           route_id route, const request_target& target,
                                           const principal& who) {
  switch (route) {
    case route_id::whoami:
      return json_response(req, http::status::ok, whoami_json(state, who));
    case route_id::sign_out:
      return sign_out(state, req, who);
    case route_id::update_me:
      return update_me(state, req, who);
    case route_id::audit:
      return list_audit(state, req, target);
    default:
      return std::nullopt;
  }
}

}  // namespace hotline::api
