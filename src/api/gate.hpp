// Gate: everything a request passes before the API routes see it. It serves the web console's
// files, signs people in, authenticates (API token or session cookie), checks the CSRF token of
// cookie requests that change something, and applies the permission table (access.hpp).
// Internal to src/api; runs on the server's io_context thread.
//
// Order, for a request under /api/: sign-in (POST /api/v1/session) needs no credentials;
// everything else is authenticated (401), then CSRF-checked (403 "csrf"), then looked up in the
// permission table (405, 404 or 403 "forbidden"), and only then routed. The session routes
// (GET/DELETE /api/v1/session, PATCH /api/v1/me, GET /api/v1/audit) are answered here.
#pragma once

#include <optional>
#include <variant>

#include "api/access.hpp"
#include "api/session.hpp"
#include "api/target.hpp"

namespace hotline::api {

// Either the response, when the gate answers `req` itself (console file, sign-in, refusal,
// session route), or the authenticated and authorized principal on whose behalf the API routes
// should answer it (the actor for anything they record).
asio::awaitable<std::variant<http_response, principal>> handle_access(server_state& state,
                                                                      const http_request& req,
                                                                      const request_target& target,
                                                                      const peer_info& peer);

// For a WebSocket upgrade: nullopt when its credentials are good and, for a session cookie, its
// Origin matches its Host (browsers send cookies on cross-site WebSocket requests, and the
// handshake has no CSRF token); otherwise the refusal.
std::optional<http_response> check_upgrade_access(server_state& state, const http_request& req,
                                                  const request_target& target);

}  // namespace hotline::api
