#include "cli/settings.hpp"

#include <charconv>

namespace hotline::cli {
namespace {

std::optional<std::string> first_set(const std::optional<std::string>& flag, const env_lookup& env,
                                     const char* variable) {
  if (flag) return flag;
  auto value = env ? env(variable) : std::nullopt;
  if (value && value->empty()) return std::nullopt;
  return value;
}

}  // namespace

result<station_address> parse_station_address(std::string_view text) {
  const std::string shown(text);
  std::string_view rest = text;
  station_address out;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") {
      return fail(errc::invalid_argument,
                  "unsupported address " + shown + ": the API speaks http:// or https://", "addr");
    }
    out.tls = scheme == "https";
    out.port = out.tls ? 443 : 80;
    rest.remove_prefix(scheme_end + 3);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find('/') != std::string_view::npos) {
    return fail(errc::invalid_argument,
                "bad station address " + shown + ": expected http://host:port", "addr");
  }
  std::string_view port_text;
  if (rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      return fail(errc::invalid_argument, "bad IPv6 address in " + shown, "addr");
    }
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return fail(errc::invalid_argument, "bad station address " + shown, "addr");
    }
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (out.host.empty()) return fail(errc::invalid_argument, "no host in " + shown, "addr");
  if (!port_text.empty() || rest.find(':') != std::string_view::npos) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return fail(errc::invalid_argument, "bad port in station address " + shown, "addr");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  const bool v6 = out.host.find(':') != std::string::npos;
  out.url = (out.tls ? "https://" : "http://") + (v6 ? "[" + out.host + "]" : out.host) + ":" + std::to_string(out.port);
  return out;
}

result<client_settings> resolve_client_settings(const std::optional<std::string>& flag_addr,
                                                const std::optional<std::string>& flag_token,
                                                const env_lookup& env,
                                                const std::optional<std::string>& flag_cacert) {
  const auto addr = first_set(flag_addr, env, "HOTLINE_ADDR");
  if (!addr) {
    return fail(errc::invalid_argument, "no station address: set HOTLINE_ADDR or pass --addr",
                "addr");
  }
  auto parsed = parse_station_address(*addr);
  if (!parsed) return std::unexpected(parsed.error());
  if (const auto cacert = first_set(flag_cacert, env, "HOTLINE_CACERT")) {
    if (!parsed->tls) {
      return fail(errc::invalid_argument,
                  "a CA file (--cacert or HOTLINE_CACERT) needs an https:// station address",
                  "cacert");
    }
    parsed->ca_file = *cacert;
  }
  const auto token = first_set(flag_token, env, "HOTLINE_TOKEN");
  if (!token || token->empty()) {
    return fail(errc::invalid_argument, "no API token: set HOTLINE_TOKEN or pass --token", "token");
  }
  return client_settings{std::move(*parsed), *token};
}

}  // namespace hotline::cli
