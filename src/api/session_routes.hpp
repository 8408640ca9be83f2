// Session routes: signing in and out, who am I, the interface language, and the audit log.
// Internal to src/api; the gate (gate.hpp) calls these after its own checks. Runs on the
// server's io_context thread. docs/api.md ("Sessions") is their specification.
#pragma once

#include <optional>
#include <string_view>

#include "api/access.hpp"
#include "api/session.hpp"
#include "api/target.hpp"

namespace hotline::api {

inline constexpr std::string_view session_path = "/api/v1/session";
inline constexpr std::string_view me_path = "/api/v1/me";
inline constexpr std::string_view audit_path = "/api/v1/audit";

// POST /api/v1/session: checks the throttle, the lockout and the password (on the password
// worker), then starts a session and sets its cookie. Every outcome but a malformed request is
// written to the audit log.
asio::awaitable<http_response> sign_in(server_state& state, const http_request& req,
                                       const peer_info& peer);

// GET and DELETE /api/v1/session, PATCH /api/v1/me and GET /api/v1/audit, for an authenticated
// and authorized `who`; nullopt for any other route.
std::optional<http_response> session_route(server_state& state, const http_request& req,
                                           const request_target& target, const principal& who);

}  // namespace hotline::api
