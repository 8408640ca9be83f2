// Journal and evidence commands: `hotline journal verify` and `hotline evidence export|verify`.
//
// `journal verify` checks a station's whole journal, either offline from its database file
// (`--db`, with the agreement given by `--agreement` or else the one the store kept) or through
// the station's API. `evidence export` writes one message's bundle, from the API or offline
// from a database. `evidence verify` checks a bundle with only the agreement, on any machine.
// Exit 0 when all is sound, 1 when something is wrong (the first bad thing is named), 2 for
// usage errors, 3 when the station cannot be reached.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "cli/commands.hpp"

namespace hotline::cli {

struct journal_options {
  std::filesystem::path db;         // empty: ask the station
  // The agreement's versions; empty: the versions the store kept.
  std::vector<std::filesystem::path> agreements;
  bool json = false;
};

struct evidence_options {
  std::string message_id;
  std::filesystem::path out;
  std::filesystem::path db;         // export offline from this database
  std::filesystem::path bundle;     // verify: the bundle file
  // verify: the agreement with the public keys, every version the signatures were made under
  std::vector<std::filesystem::path> agreements;
};

int journal_verify_command(const std::optional<client_settings>& settings,
                           const journal_options& opts, streams io);
int evidence_export_command(const std::optional<client_settings>& settings,
                            const evidence_options& opts, streams io);
int evidence_verify_command(const evidence_options& opts, streams io);

}  // namespace hotline::cli
