#include "config/station_config.hpp"

#include <array>
#include <set>
#include <system_error>

#include "config/database_url.hpp"
#include "config/toml_util.hpp"
#include "core/limits.hpp"

namespace hotline::config {

namespace {

using detail::field_name;
using detail::invalid;

constexpr std::size_t api_tokens_max = 256;
constexpr std::size_t peer_listen_max = 16;
constexpr std::size_t token_name_bytes_max = 64;
constexpr std::array<std::string_view, 5> roles = {"duty-officer", "translator", "supervisor",
                                                   "auditor", "admin"};
constexpr std::array<std::string_view, 5> log_levels = {"trace", "debug", "info", "warn", "error"};

template <std::size_t n>
bool one_of(const std::array<std::string_view, n>& choices, std::string_view value) {
  for (std::string_view c : choices) {
    if (c == value) return true;
  }
  return false;
}

// Config paths are written relative to the config file, so a station's directory can be moved
// or copied whole. Absolute paths are kept as written.
result<std::filesystem::path> resolve(const std::filesystem::path& base, const std::string& text,
                                      const std::string& field) {
  if (text.empty()) return invalid(field, "must not be empty");
  std::filesystem::path p(text);
  if (p.is_relative()) p = base / p;
  return p.lexically_normal();
}

// Resolves an optional path key, or `fallback` when it is absent.
result<std::filesystem::path> path_field(const toml::table& t, std::string_view prefix,
                                         std::string_view key, const std::filesystem::path& base,
                                         const std::filesystem::path& fallback) {
  auto text = detail::optional_string(t, prefix, key);
  if (!text) return std::unexpected(text.error());
  if (!*text) return fallback;
  return resolve(base, **text, field_name(prefix, key));
}

result<void> parse_tls(const toml::table& root, const std::filesystem::path& base,
                       station_config& out) {
  auto table = detail::optional_table(root, "", "tls");
  if (!table) return std::unexpected(table.error());
  const toml::table empty;
  const toml::table& t = *table ? **table : empty;
  if (auto ok = detail::check_keys(t, "tls", {"certificate", "private_key"}); !ok) return ok;
  auto cert = path_field(t, "tls", "certificate", base, out.data_dir / "tls.crt");
  if (!cert) return std::unexpected(cert.error());
  auto key = path_field(t, "tls", "private_key", base, out.data_dir / "tls.key");
  if (!key) return std::unexpected(key.error());
  out.tls_certificate = std::move(*cert);
  out.tls_private_key = std::move(*key);
  return {};
}

result<void> parse_journal(const toml::table& root, const std::filesystem::path& base,
                           station_config& out) {
  auto table = detail::optional_table(root, "", "journal");
  if (!table) return std::unexpected(table.error());
  const toml::table empty;
  const toml::table& t = *table ? **table : empty;
  if (auto ok = detail::check_keys(t, "journal", {"signing_key", "enabled"}); !ok) return ok;
  auto key = path_field(t, "journal", "signing_key", base, out.data_dir / "signing.key");
  if (!key) return std::unexpected(key.error());
  out.signing_key = std::move(*key);
  if (const toml::node* n = t.get("enabled")) {
    if (!n->is_boolean()) return fail(errc::invalid_argument, "must be true or false", "journal.enabled");
    out.journal_enabled = n->as_boolean()->get();
  }
  return {};
}

// [link]: how this station uses its links.
result<void> parse_link(const toml::table& root, station_config& out) {
  auto table = detail::optional_table(root, "", "link");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  if (auto ok = detail::check_keys(**table, "link", {"pipelined"}); !ok) return ok;
  if (const toml::node* n = (*table)->get("pipelined")) {
    if (!n->is_boolean()) return fail(errc::invalid_argument, "must be true or false", "link.pipelined");
    out.pipelined = n->as_boolean()->get();
  }
  return {};
}

// [rotation]: the next version of the agreement and this station's keys under it. Each key is
// needed only when the next version changes it; the certificate and its key go together.
result<void> parse_rotation(const toml::table& root, const std::filesystem::path& base,
                            station_config& out) {
  auto table = detail::optional_table(root, "", "rotation");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = detail::check_keys(t, "rotation", {"agreement", "tls_certificate",
                                                   "tls_private_key", "signing_key"});
      !ok) {
    return ok;
  }
  auto next = path_field(t, "rotation", "agreement", base, {});
  if (!next) return std::unexpected(next.error());
  if (next->empty()) return invalid("rotation.agreement", "is required in [rotation]");
  auto cert = path_field(t, "rotation", "tls_certificate", base, {});
  if (!cert) return std::unexpected(cert.error());
  auto key = path_field(t, "rotation", "tls_private_key", base, {});
  if (!key) return std::unexpected(key.error());
  if (cert->empty() != key->empty()) {
    return invalid(cert->empty() ? "rotation.tls_certificate" : "rotation.tls_private_key",
                   "must be set with the other one");
  }
  auto signing = path_field(t, "rotation", "signing_key", base, {});
  if (!signing) return std::unexpected(signing.error());
  out.next_agreement_file = std::move(*next);
  out.next_tls_certificate = std::move(*cert);
  out.next_tls_private_key = std::move(*key);
  out.next_signing_key = std::move(*signing);
  return {};
}

// The API's own certificate, apart from the peer links' [tls] identity: browsers check it
// against authorities they trust, and refuse the Ed25519 keys the peer links use.
result<void> parse_api_tls(const toml::table& t, const std::filesystem::path& base,
                           station_config& out) {
  auto cert = path_field(t, "listen", "api_tls_cert", base, {});
  if (!cert) return std::unexpected(cert.error());
  auto key = path_field(t, "listen", "api_tls_key", base, {});
  if (!key) return std::unexpected(key.error());
  if (cert->empty() != key->empty()) {
    return cert->empty() ? invalid("listen.api_tls_cert", "must be set when listen.api_tls_key is")
                         : invalid("listen.api_tls_key", "must be set when listen.api_tls_cert is");
  }
  out.api_tls_certificate = std::move(*cert);
  out.api_tls_private_key = std::move(*key);
  return {};
}

result<void> parse_listen(const toml::table& root, const std::filesystem::path& base,
                          station_config& out) {
  auto table = detail::optional_table(root, "", "listen");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = detail::check_keys(t, "listen", {"peer", "api", "api_tls_cert", "api_tls_key"});
      !ok) {
    return ok;
  }
  if (auto ok = parse_api_tls(t, base, out); !ok) return ok;
  auto peers = detail::optional_string_array(t, "listen", "peer");
  if (!peers) return std::unexpected(peers.error());
  if (*peers) {
    if ((*peers)->empty() || (*peers)->size() > peer_listen_max) {
      return invalid("listen.peer", "must list 1 to " + std::to_string(peer_listen_max) +
                                        " addresses, or be left out");
    }
    for (std::size_t i = 0; i < (*peers)->size(); ++i) {
      auto ep = parse_endpoint((**peers)[i]);
      if (!ep) return invalid("listen.peer[" + std::to_string(i) + "]", ep.error().message);
      out.peer_listen.push_back(std::move(*ep));
    }
  }
  auto api = detail::optional_string(t, "listen", "api");
  if (!api) return std::unexpected(api.error());
  if (*api) {
    auto ep = parse_endpoint(**api);
    if (!ep) return invalid("listen.api", ep.error().message);
    out.api_listen = std::move(*ep);
  }
  return {};
}

result<api_token> parse_token(const toml::table& t, const std::string& prefix) {
  if (auto ok = detail::check_keys(t, prefix, {"name", "role", "sha256", "clearance"}); !ok) {
    return std::unexpected(ok.error());
  }
  api_token token;
  auto name = detail::required_string(t, prefix, "name");
  if (!name) return std::unexpected(name.error());
  if (!detail::valid_id(*name, token_name_bytes_max)) {
    return invalid(prefix + ".name", "must be 1 to 64 characters from [a-z0-9-]");
  }
  auto role = detail::required_string(t, prefix, "role");
  if (!role) return std::unexpected(role.error());
  if (!one_of(roles, *role)) {
    return invalid(prefix + ".role",
                   "must be duty-officer, translator, supervisor, auditor or admin");
  }
  auto hash = detail::required_string(t, prefix, "sha256");
  if (!hash) return std::unexpected(hash.error());
  if (!detail::valid_lower_hex64(*hash)) {
    return invalid(prefix + ".sha256", "must be 64 lowercase hex digits (the secret's SHA-256)");
  }
  auto clearance = detail::optional_string(t, prefix, "clearance");
  if (!clearance) return std::unexpected(clearance.error());
  // Whether the agreement defines it is checked when the station starts (run_station.cpp).
  if (*clearance && !detail::valid_id(**clearance, token_name_bytes_max)) {
    return invalid(prefix + ".clearance", "must be a marking id of this station's scheme");
  }
  token.name = std::move(*name);
  token.role = std::move(*role);
  token.sha256_hex = std::move(*hash);
  token.clearance = clearance->value_or("");
  return token;
}

result<void> parse_api(const toml::table& root, station_config& out) {
  auto table = detail::optional_table(root, "", "api");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  if (auto ok = detail::check_keys(**table, "api", {"tokens"}); !ok) return ok;
  auto tokens = detail::optional_table_array(**table, "api", "tokens");
  if (!tokens) return std::unexpected(tokens.error());
  if (*tokens == nullptr) return {};
  if ((*tokens)->size() > api_tokens_max) {
    return invalid("api.tokens", "has more than " + std::to_string(api_tokens_max) + " entries");
  }
  std::set<std::string> names;
  std::set<std::string> hashes;
  for (std::size_t i = 0; i < (*tokens)->size(); ++i) {
    const std::string prefix = "api.tokens[" + std::to_string(i) + "]";
    auto token = parse_token(*(**tokens)[i].as_table(), prefix);
    if (!token) return std::unexpected(token.error());
    if (!names.insert(token->name).second) {
      return invalid(prefix + ".name", "repeats token name \"" + token->name + "\"");
    }
    // One secret must map to one name and role, or the audit trail could not say who acted.
    if (!hashes.insert(token->sha256_hex).second) {
      return invalid(prefix + ".sha256", "is the same secret as another token");
    }
    out.api_tokens.push_back(std::move(*token));
  }
  return {};
}

result<void> parse_console(const toml::table& root, const std::filesystem::path& base,
                           station_config& out) {
  auto table = detail::optional_table(root, "", "console");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  if (auto ok = detail::check_keys(**table, "console", {"dir"}); !ok) return ok;
  auto dir = path_field(**table, "console", "dir", base, {});
  if (!dir) return std::unexpected(dir.error());
  out.console_dir = std::move(*dir);
  return {};
}

// [escalation] hook: a program run (without a shell) for each escalation, e.g. to page the
// supervisor. [forms] catalog: the form catalog's directory.
result<void> parse_paths(const toml::table& root, const std::filesystem::path& base,
                         station_config& out) {
  for (auto [table_name, key, dest] :
       {std::tuple{"escalation", "hook", &out.escalation_hook},
        std::tuple{"forms", "catalog", &out.catalog_dir}}) {
    auto table = detail::optional_table(root, "", table_name);
    if (!table) return std::unexpected(table.error());
    if (*table == nullptr) continue;
    if (auto ok = detail::check_keys(**table, table_name, {key}); !ok) return ok;
    auto p = path_field(**table, table_name, key, base, {});
    if (!p) return std::unexpected(p.error());
    *dest = std::move(*p);
  }
  return {};
}

result<void> parse_log(const toml::table& root, station_config& out) {
  auto table = detail::optional_table(root, "", "log");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  if (auto ok = detail::check_keys(**table, "log", {"level"}); !ok) return ok;
  auto level = detail::optional_string(**table, "log", "level");
  if (!level) return std::unexpected(level.error());
  if (*level && !one_of(log_levels, **level)) {
    return invalid("log.level", "must be trace, debug, info, warn or error");
  }
  out.log_level = level->value_or(out.log_level);
  return {};
}

// A URL libpq reads: a URI or key=value text, within its limit, without control characters
// (a NUL would end it early, silently). The value itself is never repeated: it may hold a
// password.
result<void> check_database_url(const std::string& url) {
  if (url.empty()) return invalid("storage.url", "must not be empty");
  if (url.size() > database_url_bytes_max) {
    return invalid("storage.url",
                   "is longer than " + std::to_string(database_url_bytes_max) + " bytes");
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalid("storage.url", "must not hold control characters");
    }
  }
  if (!is_postgresql_uri(url) && url.find('=') == std::string::npos) {
    return invalid("storage.url",
                   "must be a postgresql:// URL or a libpq key=value string (host=... dbname=...)");
  }
  return {};
}

// [storage]: SQLite (the default, at `database`) or PostgreSQL at `url`. A setting that belongs
// to the other backend is refused rather than ignored, so that nobody believes it in effect.
result<void> parse_storage(const toml::table& root, station_config& out) {
  auto table = detail::optional_table(root, "", "storage");
  if (!table) return std::unexpected(table.error());
  if (*table == nullptr) return {};
  const toml::table& t = **table;
  if (auto ok = detail::check_keys(t, "storage", {"backend", "url"}); !ok) return ok;
  auto backend = detail::optional_string(t, "storage", "backend");
  if (!backend) return std::unexpected(backend.error());
  const std::string name = backend->value_or("sqlite");
  if (name != "sqlite" && name != "postgresql") {
    return invalid("storage.backend", "must be \"sqlite\" or \"postgresql\"");
  }
  auto url = detail::optional_string(t, "storage", "url");
  if (!url) return std::unexpected(url.error());
  if (name == "sqlite") {
    if (*url) return invalid("storage.url", "is for backend = \"postgresql\" only");
    return {};
  }
  if (!*url) return invalid("storage.url", "is required with backend = \"postgresql\"");
  if (auto ok = check_database_url(**url); !ok) return ok;
  if (root.contains("database")) {
    return invalid("database", "is the SQLite file; leave it out with [storage] backend = "
                               "\"postgresql\"");
  }
  out.backend = storage_backend::postgresql;
  out.database_url = std::move(**url);
  return {};
}

result<void> parse_top(const toml::table& root, const std::filesystem::path& base,
                       station_config& out) {
  auto station = detail::required_string(root, "", "station");
  if (!station) return std::unexpected(station.error());
  if (!detail::valid_id(*station, limits::station_id_bytes_max)) {
    return invalid("station", "must be a station id: 1 to 64 characters from [a-z0-9-]");
  }
  out.station = std::move(*station);
  auto agreement_text = detail::required_string(root, "", "agreement");
  if (!agreement_text) return std::unexpected(agreement_text.error());
  auto agreement_file = resolve(base, *agreement_text, "agreement");
  if (!agreement_file) return std::unexpected(agreement_file.error());
  out.agreement_file = std::move(*agreement_file);
  auto data_dir = path_field(root, "", "data_dir", base, base);
  if (!data_dir) return std::unexpected(data_dir.error());
  out.data_dir = std::move(*data_dir);
  auto database = path_field(root, "", "database", base, out.data_dir / "hotline.db");
  if (!database) return std::unexpected(database.error());
  out.database = std::move(*database);
  return {};
}

}  // namespace

result<station_config> parse_station_config(std::string_view toml_text,
                                            const std::filesystem::path& config_file) {
  auto root = detail::parse_toml(toml_text);
  if (!root) return std::unexpected(root.error());
  if (auto ok = detail::check_keys(
          *root, "",
          {"station", "agreement", "data_dir", "database", "tls", "listen", "api", "console",
           "escalation", "forms", "log", "journal", "link", "rotation", "storage"});
      !ok) {
    return std::unexpected(ok.error());
  }
  station_config cfg;
  std::error_code ec;
  cfg.config_file = std::filesystem::absolute(config_file, ec).lexically_normal();
  if (ec) return fail(errc::io, "cannot resolve " + config_file.string() + ": " + ec.message());
  cfg.api_listen = endpoint{"127.0.0.1", 8080};
  const std::filesystem::path base = cfg.config_file.parent_path();
  if (auto ok = parse_top(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_storage(*root, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_tls(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_journal(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_link(*root, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_rotation(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_listen(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_api(*root, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_console(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_paths(*root, base, cfg); !ok) return std::unexpected(ok.error());
  if (auto ok = parse_log(*root, cfg); !ok) return std::unexpected(ok.error());
  return cfg;
}

result<station_config> load_station_config(const std::filesystem::path& file) {
  auto text = detail::read_file(file);
  if (!text) return std::unexpected(text.error());
  auto parsed = parse_station_config(*text, file);
  if (!parsed) {
    error e = std::move(parsed.error());
    e.message = file.string() + ": " + e.message;
    return std::unexpected(std::move(e));
  }
  return parsed;
}

std::string database_label(const station_config& cfg) {
  if (cfg.backend == storage_backend::postgresql) return redact_database_url(cfg.database_url);
  return cfg.database.string();
}

result<agreement> load_agreement_for(const station_config& cfg) {
  auto a = load_agreement(cfg.agreement_file);
  if (!a) return a;
  if (a->find_station(cfg.station) == nullptr) {
    return fail(errc::not_found,
                "station \"" + cfg.station + "\" is not in agreement \"" + a->id + "\" (" +
                    cfg.agreement_file.string() + ")",
                "station");
  }
  return a;
}

}  // namespace hotline::config
