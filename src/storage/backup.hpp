// Backup: consistent, compressed and verified copies of a station's SQLite database, and their
// restoration (docs/operations.md, "Backups").
//
// write_backup copies the live database with SQLite's online backup API in one step, so the
// copy is one consistent snapshot even while the station commits, and a reader never blocks the
// station's writer for long (WAL). The copy is checked (`check`: the caller's integrity and
// journal verification) before anything is published, compressed with zstd (level
// backup_zstd_level, with zstd's own frame checksum), then read back and decompressed, and its
// SHA-256 compared with the snapshot's, before it is synced and renamed into place. A backup
// file is a plain zstd frame of a SQLite file: `zstd -d` and `sqlite3` read it without Hotline.
//
// restore_backup writes such a file back as a station's database. It never replaces a
// database: when `db_path` (or its -wal) exists it fails with errc::conflict, so that a
// running station or a damaged file is never overwritten by mistake. The decompressed copy is
// checked with `check` before it is renamed into place, synced.
//
// Both leave no temporary file behind, whatever fails. Not thread-safe; no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/error.hpp"

namespace hotline::storage {

inline constexpr int backup_zstd_level = 9;
inline constexpr std::size_t backup_chunk_bytes = 1 << 20;

struct backup_summary {
  std::uint64_t database_bytes = 0;    // the SQLite file's size
  std::uint64_t compressed_bytes = 0;  // the backup file's size
  std::string database_sha256;         // hex SHA-256 of the SQLite file's bytes
};

// Called on the uncompressed copy before it is published; an error stops the operation.
using snapshot_check = std::function<result<void>(const std::string& snapshot_path)>;

result<backup_summary> write_backup(const std::string& db_path, const std::filesystem::path& out,
                                    const snapshot_check& check);

result<backup_summary> restore_backup(const std::filesystem::path& from, const std::string& db_path,
                                      const snapshot_check& check);

// Copies everything in `from` over `to`, both made by open_sqlite() (errc::invalid_argument
// otherwise); `to` then reads as `from` did. The simulator's "restore an old snapshot" fault.
class store;
result<void> copy_store(store& from, store& to);

// `PRAGMA integrity_check` on the database at `path`, opened read-only: errc::corrupt with
// SQLite's first complaint when it is not "ok".
result<void> check_database_integrity(const std::string& path);

}  // namespace hotline::storage
