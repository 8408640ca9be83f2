// Schema migrations: the ordered list of changes that take an empty SQLite file to the schema
// this build of Hotline uses, and the routine that applies the missing ones.
//
// The version a database is at is the highest row of `schema_migrations(version, applied_at_ms)`.
// Each migration runs in its own IMMEDIATE transaction together with the row recording it, so a
// crash leaves the database at one version or the next, never in between, and two processes
// opening the same file cannot apply the same migration twice. A new schema change is a new
// entry at the end of the list; an entry, once released, is never edited.
//
// Not thread-safe: runs on the connection's owning thread, before the store serves anything.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "core/error.hpp"

namespace hotline::storage {

struct migration {
  int version = 0;        // 1, 2, 3, ... in list order
  std::string_view name;  // what it does, for people reading the schema history
  std::string_view sql;   // one or more statements
};

// Every migration this build knows, in order. Invariant: entry i has version i + 1.
std::span<const migration> schema_migrations();

// The version a fully migrated database is at.
int schema_version_latest();

// The version `db` is at (0 for a new database). Fails with errc::corrupt when the recorded
// versions are not 1..N without a gap.
result<int> schema_version(sqlite3* db);

// Applies every pending migration, stamping each with `now_ms`, and returns the resulting
// version. Fails, changing nothing, when the database is newer than this build
// ("database schema version N is newer than this hotline build supports (M)", errc::conflict),
// and fails after the last good migration on any SQLite error (errc::io and friends).
result<int> migrate(sqlite3* db, std::int64_t now_ms);

}  // namespace hotline::storage
