// Settings: where a client command finds its station and which token it presents.
//
// Precedence, highest first: the --addr/--token/--cacert flags, then the HOTLINE_ADDR/
// HOTLINE_TOKEN/HOTLINE_CACERT environment variables. An empty environment variable counts as
// unset. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace hotline::cli {

struct station_address {
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 80;
  bool tls = false;  // https://: the station's certificate is checked, and its name or address
  std::string url;   // normalised, for messages: "http://127.0.0.1:7402"
  // With `tls`: the PEM file of CA or station certificates to trust instead of the system's
  // authorities (a self-signed station certificate may be named here directly). Empty: system.
  std::filesystem::path ca_file;
};

// Accepts "http://host:port", "https://host:port", "http://[v6]:port", "http://host" (port 80,
// or 443 for https) and "host:port" (plain HTTP). Refuses other schemes and any path.
// Errors are errc::invalid_argument with field "addr".
result<station_address> parse_station_address(std::string_view text);

struct client_settings {
  station_address addr;
  std::string token;
};

using env_lookup = std::function<std::optional<std::string>(const char*)>;

// Errors (errc::invalid_argument, field "addr", "token" or "cacert") say which variable or flag
// to set. A CA file with a plain http:// address is refused: it would protect nothing.
result<client_settings> resolve_client_settings(const std::optional<std::string>& flag_addr,
                                                const std::optional<std::string>& flag_token,
                                                const env_lookup& env,
                                                const std::optional<std::string>& flag_cacert = {});

}  // namespace hotline::cli
