// Routes: turns one parsed HTTP request into its response. Internal to src/api.
//
// Every response carries the security headers (no caching, no sniffing, a CSP that allows
// nothing) and a JSON body. Errors are {"error": {"code", "message", "field"?}} with a matching
// status; docs/api.md lists them. Runs on the server's io_context thread.
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "api/access.hpp"
#include "api/json.hpp"
#include "api/session.hpp"
#include "core/error.hpp"

namespace hotline::api {

// Answers `req`, which came from `peer`. Never throws for anything a client sends.
asio::awaitable<http_response> handle_request(server_state& state, const http_request& req,
                                              const peer_info& peer);

// For a WebSocket upgrade request: who it acts for when it may proceed (the route table's events
// route, a role it admits, a valid token or a session cookie from the same origin), otherwise
// the response that refuses it.
std::variant<http_response, principal> check_upgrade(server_state& state, const http_request& req);

// True when the request declares a JSON body (Content-Type: application/json, any parameters).
bool is_json_content(const http_request& req);

// A JSON response with the security headers, keeping the connection alive as `req` asks.
http_response json_response(const http_request& req, http::status status, const json& body);

// A JSON error response with the security headers. `keep_alive` false adds "Connection: close".
http_response error_response(unsigned version, bool keep_alive, http::status status,
                             std::string_view code, std::string_view message,
                             std::string_view field = {});

// The HTTP status and error code for an error from the service or from input validation.
http::status status_for(errc code);

// The error response for `e`: its code's status, its message and its field.
http_response error_answer(const http_request& req, const error& e);

}  // namespace hotline::api
