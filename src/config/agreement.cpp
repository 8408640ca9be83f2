#include "config/agreement.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstddef>
#include <set>

#include "config/keys.hpp"
#include "config/toml_util.hpp"
#include "core/limits.hpp"
#include "core/signing.hpp"

namespace hotline::config {

namespace {

using detail::field_name;
using detail::invalid;

// Bounds on the agreement itself. A memorandum names a handful of stations and hotlines; these
// only keep a damaged or hostile file from costing unbounded memory and handshake size.
constexpr std::size_t stations_count_max = 256;
constexpr std::size_t channels_count_max = limits::hello_channels_max;
constexpr std::size_t paths_per_station_max = 16;
constexpr std::size_t text_bytes_max = 256;  // titles, names, time zones
constexpr std::int64_t heartbeat_interval_ms_min = 50;
constexpr std::int64_t heartbeat_interval_ms_max = 60'000;
constexpr std::int64_t heartbeat_misses_min = 2;
constexpr std::int64_t heartbeat_misses_limit = 20;
constexpr std::size_t host_bytes_max = 253;  // the longest DNS name
// How long either side of a key rotation both versions are accepted: it covers the two
// stations' clock difference, and bounds how long a retired key still opens a link.
constexpr std::int64_t overlap_minutes_default = 10;
constexpr std::int64_t overlap_minutes_max = 1440;

std::string indexed(std::string_view array, std::size_t index) {
  return std::string(array) + "[" + std::to_string(index) + "]";
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > host_bytes_max) {
    return false;
  }
  std::size_t label_bytes = 0;
  char previous = '.';
  for (char c : host) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (c == '.') {
      if (previous == '.' || previous == '-') {
        return false;
      }
      label_bytes = 0;
    } else if (alnum || (c == '-' && previous != '.')) {
      if (++label_bytes > 63) {
        return false;
      }
    } else {
      return false;
    }
    previous = c;
  }
  return previous != '-' && previous != '.';
}

// A host that looks like a dotted IPv4 address must be one: "999.1.1.1" is not a host name.
bool valid_host(std::string_view host) {
  if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    in_addr v4{};
    return inet_pton(AF_INET, std::string(host).c_str(), &v4) == 1;
  }
  return valid_host_name(host);
}

// An IANA zone name has the shape "Area/Location" with letters, digits and "_+-"; the zone
// database itself differs between hosts, so only the shape is checked here.
bool valid_timezone(std::string_view tz) {
  if (tz.empty() || tz.size() > text_bytes_max || tz.front() == '/' || tz.back() == '/' ||
      tz.find("..") != std::string_view::npos || tz.find("//") != std::string_view::npos) {
    return false;
  }
  return tz.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") ==
         std::string_view::npos;
}

bool valid_fingerprint(std::string_view fp) {
  constexpr std::string_view prefix = "sha256:";
  return fp.starts_with(prefix) && detail::valid_lower_hex64(fp.substr(prefix.size()));
}

result<std::string> text_field(const toml::table& t, std::string_view prefix,
                               std::string_view key) {
  auto value = detail::required_string(t, prefix, key);
  if (value && (value->empty() || value->size() > text_bytes_max)) {
    return invalid(field_name(prefix, key),
                   "must be 1 to " + std::to_string(text_bytes_max) + " bytes");
  }
  return value;
}

result<std::string> id_field(const toml::table& t, std::string_view prefix, std::string_view key,
                             std::size_t bytes_max) {
  auto value = detail::required_string(t, prefix, key);
  if (value && !detail::valid_id(*value, bytes_max)) {
    return invalid(field_name(prefix, key),
                   "must be 1 to " + std::to_string(bytes_max) + " characters from [a-z0-9-]");
  }
  return value;
}

// `supersedes`, `effective_at` and `overlap_minutes`: all or none of the first two, and only
// on a version after the first.
result<void> parse_succession(const toml::table& t, agreement& out) {
  auto supersedes = detail::optional_string(t, "agreement", "supersedes");
  if (!supersedes) return std::unexpected(supersedes.error());
  auto effective = detail::optional_instant(t, "agreement", "effective_at");
  if (!effective) return std::unexpected(effective.error());
  auto overlap = detail::optional_integer(t, "agreement", "overlap_minutes");
  if (!overlap) return std::unexpected(overlap.error());
  if (!*supersedes) {
    if (*effective || *overlap) {
      return invalid("agreement.supersedes", "is required with effective_at and overlap_minutes");
    }
    return {};
  }
  const std::string& text = **supersedes;
  const std::string_view prefix = "sha256:";
  const bool shaped = text.starts_with(prefix) && detail::valid_lower_hex64(text.substr(prefix.size()));
  auto hash = shaped ? signing::digest_from_hex(text.substr(prefix.size())) : std::nullopt;
  if (!hash) {
    return invalid("agreement.supersedes", "must be sha256: and 64 lowercase hex digits");
  }
  if (!*effective) return invalid("agreement.effective_at", "is required with supersedes");
  if (out.version < 2) return invalid("agreement.version", "must be 2 or more with supersedes");
  const std::int64_t minutes = overlap->value_or(overlap_minutes_default);
  if (minutes < 1 || minutes > overlap_minutes_max) {
    return invalid("agreement.overlap_minutes",
                   "must be 1 to " + std::to_string(overlap_minutes_max));
  }
  out.supersedes = *hash;
  out.effective_at_ms = **effective;
  out.overlap_minutes = minutes;
  return {};
}

result<void> parse_header(const toml::table& root, agreement& out) {
  auto table = detail::optional_table(root, "", "agreement");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return invalid("agreement", "table is required");
  const toml::table& t = **table;
  if (auto ok = detail::check_keys(t, "agreement", {"id", "title", "version", "supersedes",
                                                    "effective_at", "overlap_minutes"});
      !ok) {
    return ok;
  }
  auto id = id_field(t, "agreement", "id", limits::channel_id_bytes_max);
  if (!id) return std::unexpected(id.error());
  auto title = text_field(t, "agreement", "title");
  if (!title) return std::unexpected(title.error());
  auto version = detail::optional_integer(t, "agreement", "version");
  if (!version) return std::unexpected(version.error());
  if (*version && **version < 1) return invalid("agreement.version", "must be 1 or more");
  out.id = std::move(*id);
  out.title = std::move(*title);
  out.version = version->value_or(1);
  return parse_succession(t, out);
}

result<void> parse_link(const toml::table& root, agreement& out) {
  auto table = detail::optional_table(root, "", "link");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = detail::check_keys(t, "link", {"heartbeat_interval_ms", "heartbeat_misses_max"});
      !ok) {
    return ok;
  }
  auto interval = detail::optional_integer(t, "link", "heartbeat_interval_ms");
  if (!interval) return std::unexpected(interval.error());
  auto misses = detail::optional_integer(t, "link", "heartbeat_misses_max");
  if (!misses) return std::unexpected(misses.error());
  out.heartbeat_interval_ms = interval->value_or(out.heartbeat_interval_ms);
  out.heartbeat_misses_max = misses->value_or(out.heartbeat_misses_max);
  if (out.heartbeat_interval_ms < heartbeat_interval_ms_min ||
      out.heartbeat_interval_ms > heartbeat_interval_ms_max) {
    return invalid("link.heartbeat_interval_ms", "must be between 50 and 60000");
  }
  if (out.heartbeat_misses_max < heartbeat_misses_min ||
      out.heartbeat_misses_max > heartbeat_misses_limit) {
    return invalid("link.heartbeat_misses_max", "must be between 2 and 20");
  }
  return {};
}

result<void> parse_addresses(const toml::table& t, const std::string& prefix, station_entry& out) {
  auto table = detail::optional_table(t, prefix, "addresses");
  if (!table) return std::unexpected(table.error());
  const std::string field = field_name(prefix, "addresses");
  if (*table == nullptr || (*table)->empty()) {
    return invalid(field, "must give at least one path address");
  }
  if ((*table)->size() > paths_per_station_max) {
    return invalid(field, "has more than " + std::to_string(paths_per_station_max) + " paths");
  }
  for (auto&& [key, node] : **table) {
    const std::string path_field = field_name(field, key.str());
    if (!detail::valid_id(key.str(), limits::path_id_bytes_max)) {
      return invalid(path_field, "is not a path id: 1 to 32 characters from [a-z0-9-]");
    }
    if (!node.is_string()) return invalid(path_field, "must be a \"host:port\" string");
    auto ep = parse_endpoint(node.as_string()->get());
    if (!ep) return invalid(path_field, ep.error().message);
    out.addresses.emplace(std::string(key.str()), std::move(*ep));
  }
  return {};
}

result<station_entry> parse_station(const toml::table& t, const std::string& prefix) {
  if (auto ok = detail::check_keys(
          t, prefix,
          {"id", "name", "language", "timezone", "tls_fingerprint", "signing_key", "addresses"});
      !ok) {
    return std::unexpected(ok.error());
  }
  station_entry s;
  auto id = id_field(t, prefix, "id", limits::station_id_bytes_max);
  if (!id) return std::unexpected(id.error());
  auto name = text_field(t, prefix, "name");
  if (!name) return std::unexpected(name.error());
  auto language = detail::required_string(t, prefix, "language");
  if (!language) return std::unexpected(language.error());
  if (*language != "ko" && *language != "ru" && *language != "en") {
    return invalid(field_name(prefix, "language"), "must be \"ko\", \"ru\" or \"en\"");
  }
  auto tz = detail::required_string(t, prefix, "timezone");
  if (!tz) return std::unexpected(tz.error());
  if (!valid_timezone(*tz)) {
    return invalid(field_name(prefix, "timezone"), "must be an IANA zone name like \"Asia/Seoul\"");
  }
  auto fp = detail::required_string(t, prefix, "tls_fingerprint");
  if (!fp) return std::unexpected(fp.error());
  if (!valid_fingerprint(*fp)) {
    return invalid(field_name(prefix, "tls_fingerprint"),
                   "must be \"sha256:\" and 64 lowercase hex digits");
  }
  auto sk = detail::required_string(t, prefix, "signing_key");
  if (!sk) return std::unexpected(sk.error());
  if (!signing::parse_public_key(*sk)) {
    return invalid(field_name(prefix, "signing_key"), "must be \"ed25519:\" and a base64 public key");
  }
  s.signing_key = std::move(*sk);
  s.id = std::move(*id);
  s.name = std::move(*name);
  s.language = std::move(*language);
  s.timezone = std::move(*tz);
  s.tls_fingerprint = std::move(*fp);
  if (auto ok = parse_addresses(t, prefix, s); !ok) return std::unexpected(ok.error());
  return s;
}

result<void> parse_stations(const toml::table& root, agreement& out) {
  auto array = detail::optional_table_array(root, "", "stations");
  if (!array) return std::unexpected(array.error());
  if (*array == nullptr || (*array)->size() < 2) {
    return invalid("stations", "must list at least two stations ([[stations]])");
  }
  if ((*array)->size() > stations_count_max) {
    return invalid("stations", "has more than " + std::to_string(stations_count_max) + " entries");
  }
  std::set<std::string> ids;
  std::set<std::string> fingerprints;
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const std::string prefix = indexed("stations", i);
    auto s = parse_station(*(**array)[i].as_table(), prefix);
    if (!s) return std::unexpected(s.error());
    if (!ids.insert(s->id).second) {
      return invalid(prefix + ".id", "repeats station id \"" + s->id + "\"");
    }
    // A fingerprint identifies the station at the handshake, so two stations may not share a key.
    if (!fingerprints.insert(s->tls_fingerprint).second) {
      return invalid(prefix + ".tls_fingerprint", "is already the key of another station");
    }
    if (!fingerprints.insert(s->signing_key).second) {
      return invalid(prefix + ".signing_key", "is already the key of another station");
    }
    out.stations.push_back(std::move(*s));
  }
  return {};
}

result<void> check_channel_stations(const agreement& a, const toml::table& t,
                                    const std::string& prefix, channel_entry& c) {
  auto stations = detail::optional_string_array(t, prefix, "stations");
  if (!stations) return std::unexpected(stations.error());
  const std::string field = field_name(prefix, "stations");
  if (!*stations || (*stations)->size() != 2) {
    return invalid(field, "must name exactly two stations");
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (a.find_station((**stations)[i]) == nullptr) {
      return invalid(indexed(field, i), "names unknown station \"" + (**stations)[i] + "\"");
    }
    c.stations[i] = (**stations)[i];
  }
  if (c.stations[0] == c.stations[1]) {
    return invalid(field, "must name two different stations");
  }
  return {};
}

result<void> check_channel_paths(const agreement& a, const toml::table& t,
                                 const std::string& prefix, channel_entry& c) {
  auto paths = detail::optional_string_array(t, prefix, "paths");
  if (!paths) return std::unexpected(paths.error());
  const std::string field = field_name(prefix, "paths");
  c.paths = paths->value_or(std::vector<std::string>{"primary"});
  if (c.paths.empty()) return invalid(field, "must name at least one path");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < c.paths.size(); ++i) {
    const std::string& path = c.paths[i];
    if (!detail::valid_id(path, limits::path_id_bytes_max)) {
      return invalid(indexed(field, i), "is not a path id: 1 to 32 characters from [a-z0-9-]");
    }
    if (!seen.insert(path).second) return invalid(indexed(field, i), "repeats path " + path);
    for (const std::string& station : c.stations) {
      if (!a.find_station(station)->addresses.contains(path)) {
        return invalid(indexed(field, i), "path \"" + path + "\" has no address for station \"" +
                                              station + "\" (stations.addresses." + path + ")");
      }
    }
  }
  return {};
}

result<void> parse_channels(const toml::table& root, agreement& out) {
  auto array = detail::optional_table_array(root, "", "channels");
  if (!array) return std::unexpected(array.error());
  if (*array == nullptr || (*array)->empty()) {
    return invalid("channels", "must list at least one hotline ([[channels]])");
  }
  if ((*array)->size() > channels_count_max) {
    return invalid("channels", "has more than " + std::to_string(channels_count_max) + " entries");
  }
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    const std::string prefix = indexed("channels", i);
    const toml::table& t = *(**array)[i].as_table();
    if (auto ok = detail::check_keys(t, prefix, {"id", "title", "stations", "paths"}); !ok) {
      return ok;
    }
    channel_entry c;
    auto id = id_field(t, prefix, "id", limits::channel_id_bytes_max);
    if (!id) return std::unexpected(id.error());
    if (out.find_channel(*id) != nullptr) {
      return invalid(prefix + ".id", "repeats channel id \"" + *id + "\"");
    }
    auto title = text_field(t, prefix, "title");
    if (!title) return std::unexpected(title.error());
    c.id = std::move(*id);
    c.title = std::move(*title);
    if (auto ok = check_channel_stations(out, t, prefix, c); !ok) return ok;
    if (auto ok = check_channel_paths(out, t, prefix, c); !ok) return ok;
    out.channels.push_back(std::move(c));
  }
  return {};
}

result<std::uint16_t> parse_port(std::string_view text) {
  std::uint32_t port = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, port);
  if (text.empty() || text.size() > 5 || ec != std::errc{} || ptr != end || port == 0 ||
      port > 65535) {
    return fail(errc::invalid_argument, "port must be a number from 1 to 65535");
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

std::string endpoint::to_string() const {
  const std::string shown = host.find(':') == std::string::npos ? host : "[" + host + "]";
  return shown + ":" + std::to_string(port);
}

result<endpoint> parse_endpoint(std::string_view text) {
  endpoint ep;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(errc::invalid_argument,
                  "expected \"[v6 address]:port\", got \"" + std::string(text) + "\"");
    }
    ep.host = std::string(text.substr(1, close - 1));
    in6_addr v6{};
    if (inet_pton(AF_INET6, ep.host.c_str(), &v6) != 1) {
      return fail(errc::invalid_argument, "\"" + ep.host + "\" is not an IPv6 address");
    }
    port_text = text.substr(close + 2);
  } else {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos || text.find(':', colon + 1) != std::string_view::npos) {
      return fail(
          errc::invalid_argument,
          "expected \"host:port\" (IPv6 as \"[addr]:port\"), got \"" + std::string(text) + "\"");
    }
    ep.host = std::string(text.substr(0, colon));
    if (!valid_host(ep.host)) {
      return fail(errc::invalid_argument, "\"" + ep.host + "\" is not a host name or address");
    }
    port_text = text.substr(colon + 1);
  }
  auto port = parse_port(port_text);
  if (!port) return std::unexpected(port.error());
  ep.port = *port;
  return ep;
}

const station_entry* agreement::find_station(std::string_view station_id) const {
  for (const station_entry& s : stations) {
    if (s.id == station_id) return &s;
  }
  return nullptr;
}

const channel_entry* agreement::find_channel(std::string_view channel_id) const {
  for (const channel_entry& c : channels) {
    if (c.id == channel_id) return &c;
  }
  return nullptr;
}

std::map<std::string, std::string> agreement::channel_peers(std::string_view station) const {
  std::map<std::string, std::string> peers;
  for (const channel_entry& c : channels) {
    if (c.stations[0] == station) peers.emplace(c.id, c.stations[1]);
    if (c.stations[1] == station) peers.emplace(c.id, c.stations[0]);
  }
  return peers;
}

std::string agreement::hash_hex() const { return "sha256:" + signing::to_hex(hash); }

result<agreement> parse_agreement(std::string_view toml_text) {
  auto root = detail::parse_toml(toml_text);
  if (!root) return std::unexpected(root.error());
  if (auto ok = detail::check_keys(*root, "", {"agreement", "link", "stations", "channels", "deadlines",
                                               "link_tests", "forms", "labels"}); !ok) {
    return std::unexpected(ok.error());
  }
  agreement a;
  if (auto ok = parse_header(*root, a); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_link(*root, a); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_stations(*root, a); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_channels(*root, a); !ok) return std::unexpected(ok.error());
  if (auto ok = detail::parse_policies(*root, a); !ok) return std::unexpected(ok.error());
  if (auto ok = detail::parse_labels(*root, a); !ok) return std::unexpected(ok.error());
  // The hash covers the exact bytes, comments and layout included: two stations agree only if
  // they hold the same file, not merely files that parse to the same values.
  sha256(toml_text, a.hash.data());
  a.text = std::string{toml_text};
  return a;
}

result<agreement> load_agreement(const std::filesystem::path& file) {
  auto text = detail::read_file(file);
  if (!text) return std::unexpected(text.error());
  auto parsed = parse_agreement(*text);
  if (!parsed) {
    error e = std::move(parsed.error());
    e.message = file.string() + ": " + e.message;
    return std::unexpected(std::move(e));
  }
  return parsed;
}

}  // namespace hotline::config
