// Settings: where a client command finds its station and which token it presents.
//
// Precedence, highest first: the --addr/--token flags, then the HOTLINE_ADDR/HOTLINE_TOKEN
// environment variables. An empty environment variable counts as unset. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace hotline::cli {

struct station_address {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 80;
  std::string url;  // normalised, for messages: "http://127.0.0.1:7402"
};

// Accepts "http://host:port", "http://[v6]:port", "http://host" (port 80) and "host:port".
// Refuses other schemes (the API speaks plain HTTP on a trusted network) and any path.
// Errors are errc::invalid_argument with field "addr".
result<station_address> parse_station_address(std::string_view text);

struct client_settings {
  station_address addr;
  std::string token;
};

using env_lookup = std::function<std::optional<std::string>(const char*)>;

// Errors (errc::invalid_argument, field "addr" or "token") say which variable or flag to set.
result<client_settings> resolve_client_settings(const std::optional<std::string>& flag_addr,
                                                const std::optional<std::string>& flag_token,
                                                const env_lookup& env);

}  // namespace hotline::cli
