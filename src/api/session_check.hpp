// Session check: the one rule for whether a console session is still live, for every place that
// must know: the request gate on each request, and each WebSocket subscriber that signed in with
// a session cookie, before every event it sends and on a timer (websocket_session.cpp).
//
// A session is live until its absolute end (expires_at_ms), until idle_ms pass with no request
// recorded (session_touch_interval_ms in access.hpp says how exact that is), and only while its
// user is enabled and holds a role the station knows. A session found ended is deleted there
// and then, so that it is refused quickly from then on. Checking never records activity: an open
// WebSocket alone does not keep an idle session alive.
//
// Not thread-safe: runs on the server's io_context thread, which owns the accounts store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/session.hpp"
#include "core/error.hpp"
#include "storage/accounts.hpp"

namespace hotline::api {

// True when `s` is live at `now_ms` (milliseconds since the Unix epoch).
bool session_live(const storage::session_view& s, std::int64_t now_ms);

// The session whose secret has SHA-256 `id_sha256`, with its user, when it is live at `now_ms`;
// nullopt when there is no such session or it has ended (an ended one is deleted; a failure to
// delete is logged, since the session is refused either way). Errors are the store's, from the
// lookup.
result<std::optional<storage::session_view>> find_live_session(storage::accounts& accounts,
                                                               std::string_view id_sha256,
                                                               std::int64_t now_ms);

// The SHA-256 id (hex) of the session `req` is authenticated by: that of its first non-empty
// session cookie. Nullopt when it has none, or when it carries an Authorization header, which
// then decides alone (a wrong token is not rescued by a cookie).
std::optional<std::string> presented_session_id(const http_request& req);

// A credential that can end while a connection it opened is still open: a console session, or
// an API token made with `hotline token add` (which `hotline token revoke` ends). A token from
// the station config cannot end without a restart, so it is never one of these.
struct revocable_credential {
  enum class kind { session, stored_token } what;
  std::string sha256_hex;  // of the session secret or of the token secret
  // The user's clearance when the connection opened. A session whose user's clearance changed
  // since no longer holds for that connection: what it was sent was judged by the old one.
  std::string clearance = {};
};

// The revocable credential an authenticated request `req` presents, or nullopt.
std::optional<revocable_credential> presented_revocable_credential(const server_state& state,
                                                                   const http_request& req);

// Whether `c` still holds at `now_ms` (for a session, with its user's clearance unchanged).
// Errors are the store's.
result<bool> credential_live(storage::accounts& accounts, const revocable_credential& c,
                             std::int64_t now_ms);

}  // namespace hotline::api
