// Session routes: signing in and out, who am I, the interface language, and the audit log.
// Internal to src/api; the gate (gate.hpp) calls sign_in before authentication, and the API
// routes (routes.hpp) call session_route for requests the gate admitted. Runs on the server's
// io_context thread. docs/api.md ("Sessions") is their specification.
#pragma once

#include <optional>

#include "api/access.hpp"
#include "api/router.hpp"
#include "api/session.hpp"
#include "api/target.hpp"

namespace hotline::api {

// POST /api/v1/session: checks the throttle, the lockout and the password (on the password
// worker), then starts a session and sets its cookie. Every outcome but a malformed request is
// written to the audit log.
asio::awaitable<http_response> sign_in(server_state& state, const http_request& req,
                                       const peer_info& peer);

// The routes whoami (GET /api/v1/session), sign_out (DELETE /api/v1/session), update_me
// (PATCH /api/v1/me) and audit (GET /api/v1/audit), for an authenticated and admitted `who`;
// nullopt for any other route.
std::optional<http_response> session_route(server_state& state, const http_request& req,
                                           route_id route, const request_target& target,
                                           const principal& who);

}  // namespace hotline::api
