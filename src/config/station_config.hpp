// Station config: which station this daemon is, where its key and database live (a SQLite file,
// or a PostgreSQL database with [storage]), where it listens, which agreement it follows, and the
// API tokens it accepts. TOML, in docs/config.md.
//
// Relative paths are resolved against the directory of the config file. Immutable after loading.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/agreement.hpp"
#include "core/error.hpp"

namespace hotline::config {

// An API token is stored as the SHA-256 of its secret; the secret itself is never written here.
struct api_token {
  std::string name;
  std::string role;        // "duty-officer" | "translator" | "supervisor" | "auditor" | "admin"
  std::string sha256_hex;  // 64 lowercase hex digits
  // The highest marking of the station's scheme it may read; "" (the default) for the lowest.
  std::string clearance = {};
};

// Where the station keeps its store ([storage] backend).
enum class storage_backend { sqlite, postgresql };

struct station_config {
  std::filesystem::path config_file;
  std::string station;
  std::filesystem::path agreement_file;
  std::filesystem::path data_dir;
  std::filesystem::path database;  // default: data_dir / "hotline.db"; SQLite only
  storage_backend backend = storage_backend::sqlite;  // [storage] backend
  // [storage] url: the PostgreSQL database (a libpq URI or key=value string), set exactly when
  // the backend is PostgreSQL. It may hold a password: name it in messages only through
  // database_label() (database_url.hpp).
  std::string database_url;
  std::filesystem::path tls_certificate;
  std::filesystem::path tls_private_key;
  std::filesystem::path signing_key;  // [journal] signing_key; default data_dir / "signing.key"
  bool journal_enabled = true;        // [journal] enabled; false only to measure its cost
  // [link] pipelined: put a message on the link while this station's own commit of it runs
  // (docs/protocol.md, "Pipelined durability"); false waits for the commit, to measure what
  // pipelining buys. Posts are answered after the commit either way.
  bool pipelined = true;
  // [rotation]: the next version of the agreement, and this station's new TLS key and signing
  // key when that version changes them (docs/operations.md, "Rotating keys"). Empty: none.
  std::filesystem::path next_agreement_file;
  std::filesystem::path next_tls_certificate;
  std::filesystem::path next_tls_private_key;
  std::filesystem::path next_signing_key;
  std::vector<endpoint> peer_listen;  // default: this station's addresses in the agreement
  endpoint api_listen;                // default 127.0.0.1:8080
  // [listen] api_tls_cert and api_tls_key: PEM files for serving the API and console over
  // HTTPS. Both or neither; empty: plain HTTP.
  std::filesystem::path api_tls_certificate;
  std::filesystem::path api_tls_private_key;
  std::vector<api_token> api_tokens;
  std::filesystem::path console_dir;  // [console] dir: the built web console; empty: none
  std::filesystem::path escalation_hook;  // [escalation] hook: run for each escalation
  std::filesystem::path catalog_dir;      // [forms] catalog: the form catalog directory
  std::string log_level = "info";     // trace|debug|info|warn|error
};

// The station's database as a message may name it: the SQLite file's path, or the PostgreSQL
// URL with its password redacted.
std::string database_label(const station_config& cfg);

result<station_config> parse_station_config(std::string_view toml_text,
                                            const std::filesystem::path& config_file);
result<station_config> load_station_config(const std::filesystem::path& file);

// Loads the agreement named by `cfg` and checks the station is in it.
result<agreement> load_agreement_for(const station_config& cfg);

}  // namespace hotline::config
