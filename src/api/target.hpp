// Target: splits an HTTP request target ("/api/v1/messages?box=in&limit=10") into its path and
// its decoded query parameters. Pure and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace hotline::api {

struct request_target {
  std::string path;                           // percent-decoded
  std::string raw_path;                       // as sent: the router splits it before decoding
  std::map<std::string, std::string> params;  // percent-decoded, '+' read as a space
};

// Fails with errc::invalid_argument when the target is not origin-form ("/..."), holds a bad
// percent escape, or names a parameter twice (`field` names it), because an ambiguous query is
// safer refused than guessed.
result<request_target> parse_target(std::string_view target);

// Percent-decodes `text`; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);

}  // namespace hotline::api
