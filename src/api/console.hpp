// Console: serves the built web console (server_options::console_dir) to browsers: index.html
// at "/" and the build's files at "/assets/<name>". Internal to src/api.
//
// Only those two shapes of path are served, and an asset name is a single path segment of
// [A-Za-z0-9._-] that does not start with a dot, so no request can name a file outside the
// directory. Files over console_file_bytes_max are refused. Every answer carries a CSP that
// allows only the station's own scripts, styles and connections (no inline script), plus
// X-Frame-Options: DENY and Referrer-Policy: no-referrer. index.html is never cached; assets,
// whose names carry a content hash, are cached for a year. Without a console directory, or for
// any other path, the answer is a JSON 404. Runs on the server's io_context thread; reads the
// file on each request (they are small, and this keeps an upgraded console live at once).
#pragma once

#include <string_view>

#include "api/session.hpp"

namespace hotline::api {

inline constexpr std::size_t console_file_bytes_max = 8 * 1024 * 1024;

inline constexpr std::string_view console_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

// Answers a request for `path` (percent-decoded, outside /api/).
http_response serve_console(const server_state& state, const http_request& req,
                            std::string_view path);

// The Content-Type for a file name, by its extension; application/octet-stream if unknown.
std::string_view content_type_for(std::string_view file_name);

}  // namespace hotline::api
