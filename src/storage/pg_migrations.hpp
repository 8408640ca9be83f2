// PostgreSQL schema migrations: the ordered list of changes that take an empty PostgreSQL
// database to the schema the PostgreSQL store uses, and the routine that applies the missing
// ones. The schema holds what the store interface (store.hpp) needs, equivalent to the SQLite
// schema's final form (migrations.cpp): the messages with their indexes, the journal, the kept
// agreements, the one-row writer lock with the station's lease (pg_store.hpp, lease.hpp), the
// accounts with their append-only audit log (accounts.hpp) and the translations
// (translations.hpp).
//
// The version a database is at is the highest row of `schema_migrations(version, applied_at_ms)`.
// Each migration runs in its own transaction together with the row recording it, under a
// transaction-scoped advisory lock, so that nodes opening the same database at once apply each
// migration exactly once. An entry, once released, is never edited.
//
// Not thread-safe: runs on the connection's owning thread, before the store serves anything.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <span>

#include "core/error.hpp"
#include "storage/migrations.hpp"

namespace hotline::storage {

// Every PostgreSQL migration this build knows, in order. Invariant: entry i has version i + 1.
std::span<const migration> pg_schema_migrations();

// The version `c`'s database is at (0 for a new one, whose empty history table it creates).
// errc::corrupt when the recorded versions are not 1..N without a gap.
result<int> pg_schema_version(PGconn* c);

// Applies every pending migration, stamping each with `now_ms`, and returns the resulting
// version. Fails, changing nothing, when the database is newer than this build (errc::conflict),
// and after the last good migration on any server error.
result<int> pg_migrate(PGconn* c, std::int64_t now_ms);

}  // namespace hotline::storage
