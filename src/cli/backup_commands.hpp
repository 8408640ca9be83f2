// Backup commands: `hotline backup --config STATION_TOML --out FILE` and `hotline restore
// --config STATION_TOML --from FILE`, run on the station machine (docs/operations.md,
// "Backups").
//
// backup works while the station runs. It records who took the backup in the audit log and the
// journal first, so that the copy itself says when it was taken, then writes a consistent,
// zstd-compressed copy of the database (storage/backup.hpp). Before the file is published the
// copy must pass SQLite's integrity check and a full journal verification with the keys of the
// agreement it holds, and must belong to the station the config names.
//
// restore writes a backup back as the station's database, where none exists (the station is
// stopped, and the old files moved aside), after the same checks, and then journals the
// restoration ("restored_from_backup"), so that the journal shows where its history has a gap.
// What the station sent and received after the backup is still held, signed, by the peer.
#pragma once

#include <filesystem>

#include "cli/commands.hpp"

namespace hotline::cli {

struct backup_options {
  std::filesystem::path config;  // the station config file
  std::filesystem::path file;    // --out for backup, --from for restore
};

int backup_command(const backup_options& opts, streams io);
int restore_command(const backup_options& opts, streams io);

}  // namespace hotline::cli
