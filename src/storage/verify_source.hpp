// Verify source: what journal verification (journal_verify.hpp) reads from a store's database,
// behind one small interface so that the one verifier checks a SQLite file and a PostgreSQL
// database alike. Internal to src/storage.
//
// A source reads inside one snapshot its caller opened (a read transaction), so the journal and
// the messages it names are seen as of one instant while a station keeps writing. Not
// thread-safe: one source, one connection, one thread.
#pragma once

#include <libpq-fe.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/journal_verify.hpp"
#include "storage/message_rows.hpp"
#include "storage/pg_db.hpp"

namespace hotline::storage {

class verify_source {
 public:
  virtual ~verify_source() = default;
  // Journal entries in ascending seq from `from_seq`, at most `limit`.
  virtual result<std::vector<journal_entry>> range(std::int64_t from_seq, std::size_t limit) = 0;
  // The message row with `id`, or nullopt.
  virtual result<std::optional<message_row>> message(const std::string& id) = 0;
  // A message no `queued`, `sent` or `received` entry names, described for the report
  // ("<id> (<channel> <box> seq <n>)"); nullopt when every message is journaled.
  virtual result<std::optional<std::string>> unjournaled_message() = 0;
};

// The query unjournaled_message() runs, the same SQL on both databases: id, channel, box, seq.
inline constexpr const char* unjournaled_message_sql =
    "SELECT m.id, m.channel, m.box, m.seq FROM messages m WHERE NOT EXISTS (SELECT 1 FROM"
    " journal j WHERE j.message_id = m.id AND j.kind IN ('queued', 'sent', 'received')) LIMIT 1";

// Verifies what `source` reads (journal_verify.cpp).
result<verify_report> verify_journal(verify_source& source, const journal_keys& keys);
// On a SQLite connection, inside the caller's snapshot.
result<verify_report> verify_journal(sqlite3* db, const journal_keys& keys);
// On a PostgreSQL connection whose statements pg_prepare_verify() prepared, inside the caller's
// snapshot (pg_journal_verify.cpp).
result<verify_report> verify_pg_journal(PGconn* c, const journal_keys& keys);
// The statements verify_pg_journal() and read_pg_identity() run besides the journal's own
// (pg_journal.hpp), for pg::prepare or pg_store::add_statements.
std::vector<std::pair<const char*, const char*>> pg_verify_statements();
// read_stored_identity() on a PostgreSQL connection with those statements prepared.
result<stored_identity> read_pg_identity(PGconn* c);
// A connection of its own for an offline reader of the database at `url`: read-only, inside one
// REPEATABLE READ snapshot that ends with the connection, with the journal's readers
// (pg_journal.hpp) and pg_verify_statements() prepared; errc::corrupt when the database holds no
// journal.
result<pg::connection> pg_open_read_only(const std::string& url);

}  // namespace hotline::storage
