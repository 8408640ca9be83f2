// Gate: everything a request passes before the API routes see it. It serves the web console's
// files, signs people in, authenticates (API token or session cookie), checks the CSRF token of
// cookie requests that change something, and decides from the route table (router.hpp) whether
// the caller may call the route. Internal to src/api; runs on the server's io_context thread.
//
// Order, for a request under /api/: sign-in (the route POST /api/v1/session) needs no
// credentials; everything else is authenticated (401), then CSRF-checked (403 "csrf"), then
// looked up in the route table (404 for a path no route has, 405 for a method the path does not
// have, 403 "forbidden" for a role the route does not admit, 404 naming the parameter for an id
// of the wrong shape), and only then routed. Nothing under /api/ reaches a route's code without
// a route_id from that table.
#pragma once

#include <optional>
#include <variant>

#include "api/access.hpp"
#include "api/router.hpp"
#include "api/session.hpp"
#include "api/target.hpp"

namespace hotline::api {

// A request the gate lets through: who it acts for (the actor for anything the route records),
// the route it called, and that route's checked path parameters.
struct admission {
  principal who;
  route_id route;
  route_args args;
};

// Either the response, when the gate answers `req` itself (console file, sign-in, refusal), or
// the admission on which the API routes should answer it.
asio::awaitable<std::variant<http_response, admission>> handle_access(server_state& state,
                                                                      const http_request& req,
                                                                      const request_target& target,
                                                                      const peer_info& peer);

// For a WebSocket upgrade: who it acts for when its credentials are good, its route is the
// events route and its role may call it, and, for a session cookie, its Origin matches its Host
// (browsers send cookies on cross-site WebSocket requests, and the handshake has no CSRF
// token); otherwise the refusal.
std::variant<http_response, principal> check_upgrade_access(server_state& state,
                                                            const http_request& req,
                                                            const request_target& target);

}  // namespace hotline::api
