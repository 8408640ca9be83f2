#include "config/station_config.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/database_url.hpp"
#include "temp_dir.hpp"

namespace hotline::config {
namespace {

using testing::examples_dir;
using testing::temp_dir;

const std::string token_hash(64, 'c');

const std::string valid_text = R"(station = "alpha"
agreement = "../agreement.toml"

[listen]
api = "127.0.0.1:7402"

[[api.tokens]]
name = "duty-cli"
role = "admin"
sha256 = ")" + token_hash + R"("

[log]
level = "debug"
)";

const std::string agreement_text = R"([agreement]
id = "test-agreement"
title = "Test"

[[stations]]
id = "alpha"
name = "Alpha"
language = "en"
timezone = "UTC"
tls_fingerprint = "sha256:)" + std::string(64, 'a') +
                                   R"("
signing_key = "ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
[stations.addresses]
primary = "127.0.0.1:7401"

[[stations]]
id = "bravo"
name = "Bravo"
language = "en"
timezone = "UTC"
tls_fingerprint = "sha256:)" + std::string(64, 'b') +
                                   R"("
signing_key = "ed25519:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
[stations.addresses]
primary = "127.0.0.1:7411"

[[channels]]
id = "navy"
title = "Navy"
stations = ["alpha", "bravo"]
)";

std::string replaced(const std::string& from, const std::string& to) {
  std::string text = valid_text;
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test text lacks: " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(station_config, relative_paths_resolve_against_the_config_directory) {
  const std::filesystem::path file = "/srv/hotline/alpha/station.toml";
  auto cfg = parse_station_config(valid_text, file);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->config_file, file);
  EXPECT_EQ(cfg->station, "alpha");
  EXPECT_EQ(cfg->agreement_file, "/srv/hotline/agreement.toml");
  // Defaults hang off data_dir, which defaults to the config directory.
  EXPECT_EQ(cfg->data_dir, "/srv/hotline/alpha");
  EXPECT_EQ(cfg->database, "/srv/hotline/alpha/hotline.db");
  EXPECT_EQ(cfg->tls_certificate, "/srv/hotline/alpha/tls.crt");
  EXPECT_EQ(cfg->tls_private_key, "/srv/hotline/alpha/tls.key");
  EXPECT_TRUE(cfg->peer_listen.empty());
  EXPECT_EQ(cfg->api_listen.to_string(), "127.0.0.1:7402");
  ASSERT_EQ(cfg->api_tokens.size(), 1u);
  EXPECT_EQ(cfg->api_tokens[0].name, "duty-cli");
  EXPECT_EQ(cfg->api_tokens[0].role, "admin");
  EXPECT_EQ(cfg->api_tokens[0].sha256_hex, token_hash);
  EXPECT_EQ(cfg->api_tokens[0].clearance, "");  // unset: the lowest marking
  EXPECT_EQ(cfg->log_level, "debug");
}

TEST(station_config, explicit_paths_override_defaults_and_absolute_paths_stay) {
  const std::string custom = R"(station = "alpha"
agreement = "/etc/hotline/agreement.toml"
data_dir = "var"
database = "db/journal.db"
[tls]
certificate = "keys/alpha.crt"
private_key = "/secure/alpha.key"
[listen]
peer = ["0.0.0.0:7401", "[::]:7403"]
)";
  auto cfg = parse_station_config(custom, "/srv/hotline/alpha/station.toml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->agreement_file, "/etc/hotline/agreement.toml");
  EXPECT_EQ(cfg->data_dir, "/srv/hotline/alpha/var");
  EXPECT_EQ(cfg->database, "/srv/hotline/alpha/db/journal.db");
  EXPECT_EQ(cfg->tls_certificate, "/srv/hotline/alpha/keys/alpha.crt");
  EXPECT_EQ(cfg->tls_private_key, "/secure/alpha.key");
  ASSERT_EQ(cfg->peer_listen.size(), 2u);
  EXPECT_EQ(cfg->peer_listen[1].to_string(), "[::]:7403");
  EXPECT_EQ(cfg->api_listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(cfg->log_level, "info");
  EXPECT_TRUE(cfg->api_tokens.empty());
}

TEST(station_config, api_tls_is_off_unless_both_files_are_named) {
  auto plain = parse_station_config(valid_text, "/srv/a/station.toml");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_TRUE(plain->api_tls_certificate.empty());
  EXPECT_TRUE(plain->api_tls_private_key.empty());
  auto tls = parse_station_config(
      replaced("[listen]", "[listen]\napi_tls_cert = \"web/api.crt\"\napi_tls_key = \"/k/api.key\""),
      "/srv/a/station.toml");
  ASSERT_TRUE(tls) << tls.error().message;
  EXPECT_EQ(tls->api_tls_certificate, "/srv/a/web/api.crt");
  EXPECT_EQ(tls->api_tls_private_key, "/k/api.key");
}

TEST(station_config, data_dir_moves_the_default_database_and_keys) {
  auto cfg = parse_station_config(replaced("[listen]", "data_dir = \"state\"\n[listen]"),
                                  "/srv/a/station.toml");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->database, "/srv/a/state/hotline.db");
  EXPECT_EQ(cfg->tls_private_key, "/srv/a/state/tls.key");
}

struct rejection {
  std::string what;
  std::string text;
  std::string field;
};

// [storage]: the text appended to a valid config, parsed.
result<station_config> with_storage(const std::string& storage) {
  return parse_station_config(valid_text + "\n[storage]\n" + storage, "/srv/a/station.toml");
}

TEST(station_config_storage, sqlite_is_the_default_and_postgresql_takes_a_url) {
  auto plain = parse_station_config(valid_text, "/srv/a/station.toml");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->backend, storage_backend::sqlite);
  EXPECT_TRUE(plain->database_url.empty());
  EXPECT_EQ(database_label(*plain), "/srv/a/hotline.db");
  auto sqlite = with_storage("backend = \"sqlite\"");
  ASSERT_TRUE(sqlite) << sqlite.error().message;
  EXPECT_EQ(sqlite->backend, storage_backend::sqlite);

  const std::string url = "postgresql://hotline:s3cret@db1.example:5432/hotline?sslmode=require";
  auto pg = with_storage("backend = \"postgresql\"\nurl = \"" + url + "\"");
  ASSERT_TRUE(pg) << pg.error().message;
  EXPECT_EQ(pg->backend, storage_backend::postgresql);
  EXPECT_EQ(pg->database_url, url);
  EXPECT_EQ(database_label(*pg), "postgresql://hotline:***@db1.example:5432/hotline?sslmode=require");
  auto kv = with_storage("backend = \"postgresql\"\nurl = \"host=db1 dbname=hotline\"");
  ASSERT_TRUE(kv) << kv.error().message;
  EXPECT_EQ(kv->database_url, "host=db1 dbname=hotline");
}

TEST(station_config_storage, hostile_values_are_refused_by_key_without_the_url) {
  const std::string secret = "hunter2-secret";
  const std::string url_line = "url = \"postgresql://u:" + secret + "@h/db\"";
  struct bad_case {
    std::string storage;
    std::string field;
  };
  const std::vector<bad_case> cases = {
      {"backend = \"oracle\"", "storage.backend"},
      {"backend = \"SQLite\"", "storage.backend"},
      {"backend = \"\"", "storage.backend"},
      {"backend = 1", "storage.backend"},
      {"backend = true", "storage.backend"},
      {"backend = [\"postgresql\"]", "storage.backend"},
      {"backend = \"postgresql\"", "storage.url"},
      {"backend = \"postgresql\"\nurl = \"\"", "storage.url"},
      {"backend = \"postgresql\"\nurl = 5432", "storage.url"},
      {"backend = \"postgresql\"\nurl = { host = \"db1\" }", "storage.url"},
      {"backend = \"postgresql\"\nurl = \"db1.example\"", "storage.url"},
      {"backend = \"postgresql\"\nurl = \"postgresql://u:" + secret + "@h/db\\u0000x\"",
       "storage.url"},
      {"backend = \"postgresql\"\nurl = \"host=h password=" + secret + "\\ndbname=x\"",
       "storage.url"},
      {"backend = \"postgresql\"\nurl = \"postgresql://u:" + secret + "@h/" +
           std::string(database_url_bytes_max, 'd') + "\"",
       "storage.url"},
      {url_line, "storage.url"},  // a URL with the default backend, sqlite
      {"backend = \"sqlite\"\n" + url_line, "storage.url"},
      {"backend = \"postgresql\"\n" + url_line + "\npassword = \"x\"", "storage.password"},
  };
  for (const auto& c : cases) {
    auto cfg = with_storage(c.storage);
    ASSERT_FALSE(cfg) << c.storage;
    EXPECT_EQ(cfg.error().code, errc::invalid_argument) << c.storage;
    EXPECT_EQ(cfg.error().field, c.field) << c.storage << ": " << cfg.error().message;
    EXPECT_EQ(cfg.error().message.find(secret), std::string::npos) << cfg.error().message;
  }
  // A table where a table is due, and the SQLite file named beside a PostgreSQL store.
  auto not_table = parse_station_config("storage = \"postgresql\"\n" + valid_text, "/a/s.toml");
  ASSERT_FALSE(not_table);
  EXPECT_EQ(not_table.error().field, "storage");
  auto both = parse_station_config("database = \"x.db\"\n" + valid_text +
                                       "\n[storage]\nbackend = \"postgresql\"\n" + url_line,
                                   "/a/s.toml");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().field, "database");
}

TEST(station_config_storage, a_url_at_its_length_limit_is_accepted) {
  const std::string head = "postgresql://h/";
  const std::string url = head + std::string(database_url_bytes_max - head.size(), 'd');
  auto cfg = with_storage("backend = \"postgresql\"\nurl = \"" + url + "\"");
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->database_url.size(), database_url_bytes_max);
}

TEST(database_url, every_password_is_redacted_and_the_rest_kept) {
  EXPECT_EQ(redact_database_url("postgresql://hotline:pw@db1:5432/hotline"),
            "postgresql://hotline:***@db1:5432/hotline");
  EXPECT_EQ(redact_database_url("postgres://hotline@db1/hotline"), "postgres://hotline@db1/hotline");
  EXPECT_EQ(redact_database_url("postgresql://db1/hotline"), "postgresql://db1/hotline");
  // An unescaped '@' or '/' in the password is still inside what is cut.
  EXPECT_EQ(redact_database_url("postgresql://u:p@ss/w@rd@db1/x"), "postgresql://u:***@db1/x");
  EXPECT_EQ(redact_database_url("postgresql://u:%40pw@db1/x?sslmode=require&password=pw2&a=b"),
            "postgresql://u:***@db1/x?sslmode=require&password=***&a=b");
  EXPECT_EQ(redact_database_url("postgresql://db1/x?password=pw"),
            "postgresql://db1/x?password=***");
  EXPECT_EQ(redact_database_url("host=db1 password=pw dbname=x"),
            "host=db1 password=*** dbname=x");
  EXPECT_EQ(redact_database_url("host=db1 password = 'p w\\' d' dbname=x"),
            "host=db1 password = *** dbname=x");
  EXPECT_EQ(redact_database_url("password=pw"), "password=***");
  EXPECT_EQ(redact_database_url("host=db1 user=password"), "host=db1 user=password");
  EXPECT_EQ(redact_database_url("/var/lib/hotline/hotline.db"), "/var/lib/hotline/hotline.db");
  EXPECT_TRUE(is_postgresql_uri("postgres://x"));
  EXPECT_TRUE(is_postgresql_uri("postgresql://x"));
  EXPECT_FALSE(is_postgresql_uri("/var/postgresql://x"));
  EXPECT_FALSE(is_postgresql_uri("hotline.db"));
}

TEST(station_config, every_rule_rejects_with_the_offending_field) {
  const std::vector<rejection> cases = {
      {"missing station", replaced("station = \"alpha\"\n", ""), "station"},
      {"station id with capitals", replaced("\"alpha\"", "\"Alpha\""), "station"},
      {"missing agreement", replaced("agreement = \"../agreement.toml\"\n", ""), "agreement"},
      {"empty agreement path", replaced("\"../agreement.toml\"", "\"\""), "agreement"},
      {"unknown top-level key", replaced("station =", "statoin = \"x\"\nstation ="), "statoin"},
      {"unknown listen key", replaced("api = \"127", "apl = \"127"), "listen.apl"},
      {"bad api address", replaced("127.0.0.1:7402", "127.0.0.1"), "listen.api"},
      {"bad peer address", replaced("[listen]", "[listen]\npeer = [\"127.0.0.1:0\"]"),
       "listen.peer[0]"},
      {"empty peer list", replaced("[listen]", "[listen]\npeer = []"), "listen.peer"},
      {"unknown role", replaced("role = \"admin\"", "role = \"root\""), "api.tokens[0].role"},
      {"token hash in capitals", replaced(token_hash, std::string(64, 'C')),
       "api.tokens[0].sha256"},
      {"token hash too short", replaced(token_hash, std::string(63, 'c')), "api.tokens[0].sha256"},
      {"token without name", replaced("name = \"duty-cli\"\n", ""), "api.tokens[0].name"},
      {"token clearance not an id", replaced("role = \"admin\"", "role = \"admin\"\nclearance = \"Top Secret\""),
       "api.tokens[0].clearance"},
      {"token clearance not a string", replaced("role = \"admin\"", "role = \"admin\"\nclearance = 3"),
       "api.tokens[0].clearance"},
      {"duplicate token name",
       valid_text + "[[api.tokens]]\nname = \"duty-cli\"\nrole = \"auditor\"\nsha256 = \"" +
           std::string(64, 'd') + "\"\n",
       "api.tokens[1].name"},
      {"duplicate token secret",
       valid_text + "[[api.tokens]]\nname = \"audit\"\nrole = \"auditor\"\nsha256 = \"" +
           token_hash + "\"\n",
       "api.tokens[1].sha256"},
      {"token with a secret in clear",
       replaced("role = \"admin\"", "role = \"admin\"\nsecret = \"x\""), "api.tokens[0].secret"},
      {"unknown log level", replaced("\"debug\"", "\"verbose\""), "log.level"},
      {"log level of the wrong type", replaced("\"debug\"", "3"), "log.level"},
      {"unknown tls key", valid_text + "[tls]\nkey = \"x\"\n", "tls.key"},
      {"pipelined not a boolean", valid_text + "[link]\npipelined = \"no\"\n", "link.pipelined"},
      {"unknown link key", valid_text + "[link]\npipelining = false\n", "link.pipelining"},
      {"api certificate without its key",
       replaced("[listen]", "[listen]\napi_tls_cert = \"api.crt\""), "listen.api_tls_key"},
      {"api key without its certificate",
       replaced("[listen]", "[listen]\napi_tls_key = \"api.key\""), "listen.api_tls_cert"},
      {"empty api certificate path",
       replaced("[listen]", "[listen]\napi_tls_cert = \"\"\napi_tls_key = \"api.key\""),
       "listen.api_tls_cert"},
  };
  for (const rejection& r : cases) {
    SCOPED_TRACE(r.what);
    auto cfg = parse_station_config(r.text, "/srv/a/station.toml");
    ASSERT_FALSE(cfg) << "accepted";
    EXPECT_EQ(cfg.error().code, errc::invalid_argument);
    EXPECT_EQ(cfg.error().field, r.field) << cfg.error().message;
  }
}

TEST(station_config, links_are_pipelined_unless_configured_off) {
  auto on = parse_station_config(valid_text, "/srv/a/station.toml");
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_TRUE(on->pipelined);
  auto off = parse_station_config(valid_text + "[link]\npipelined = false\n", "/srv/a/station.toml");
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_FALSE(off->pipelined);
}

TEST(station_config, each_role_is_accepted) {
  for (const char* role : {"duty-officer", "translator", "supervisor", "auditor", "admin"}) {
    auto cfg = parse_station_config(replaced("\"admin\"", std::string("\"") + role + "\""),
                                    "/srv/a/station.toml");
    ASSERT_TRUE(cfg) << role << ": " << cfg.error().message;
    EXPECT_EQ(cfg->api_tokens[0].role, role);
  }
}

TEST(station_config, example_loads_with_its_agreement) {
  const auto dir = examples_dir() / "memorandum-2021";
  auto cfg = load_station_config(dir / "rok-fleet-command.toml");
  ASSERT_TRUE(cfg) << cfg.error().message << " [" << cfg.error().field << "]";
  EXPECT_EQ(cfg->station, "rok-fleet-command");
  EXPECT_EQ(cfg->agreement_file, (dir / "agreement.toml").lexically_normal());
  EXPECT_EQ(cfg->tls_private_key, (dir / "rok-fleet-command" / "tls.key").lexically_normal());
  EXPECT_EQ(cfg->database, (dir / "rok-fleet-command" / "hotline.db").lexically_normal());
  EXPECT_EQ(cfg->api_listen.port, 7402);
  auto a = load_agreement_for(*cfg);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->channel_peers(cfg->station).at("navy"), "ru-pacific-fleet");
  // Its token's clearance is a marking of the station's own scheme, as the station demands.
  ASSERT_EQ(cfg->api_tokens.size(), 1u);
  EXPECT_EQ(cfg->api_tokens[0].clearance, "rok-restricted");
  EXPECT_TRUE(a->labels.valid_clearance(cfg->station, cfg->api_tokens[0].clearance));
}

TEST(station_config, agreement_without_this_station_is_refused_clearly) {
  temp_dir dir;
  dir.write("agreement.toml", agreement_text);
  const auto file = dir.write("charlie/station.toml", replaced("\"alpha\"", "\"charlie\""));
  auto cfg = load_station_config(file);
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->agreement_file, dir.path() / "agreement.toml");
  auto a = load_agreement_for(*cfg);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, errc::not_found);
  EXPECT_EQ(a.error().field, "station");
  EXPECT_NE(a.error().message.find("charlie"), std::string::npos) << a.error().message;

  const auto good = dir.write("alpha/station.toml", valid_text);
  auto alpha = load_station_config(good);
  ASSERT_TRUE(alpha);
  EXPECT_TRUE(load_agreement_for(*alpha));
}

TEST(station_config, missing_agreement_file_is_not_found) {
  temp_dir dir;
  const auto file = dir.write("alpha/station.toml", valid_text);
  auto cfg = load_station_config(file);
  ASSERT_TRUE(cfg);
  auto a = load_agreement_for(*cfg);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, errc::not_found);
}

TEST(station_config, missing_config_file_is_not_found) {
  temp_dir dir;
  auto cfg = load_station_config(dir.path() / "absent.toml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.error().code, errc::not_found);
}

}  // namespace
}  // namespace hotline::config
