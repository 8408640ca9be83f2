#include "storage/migrations.hpp"

#include <array>
#include <climits>
#include <string>

#include "storage/sqlite_db.hpp"

namespace hotline::storage {

namespace {

// Migration 1: the message store. `cursor` is the local, never reused position that list()
// pages by; `seq` 0 marks an outbound message still queued. Inbound messages always carry
// their sender's seq. Each index serves one read path:
//   messages_channel_box_seq  recover() maxima and ranges, inbound_range(), seq uniqueness;
//   messages_out_queued       recover() queue in post order;
//   messages_out_undelivered  the delivered update and the cumulative-mark check (small:
//                             only the unacknowledged window);
//   messages_*_cursor         list() with and without channel and box filters.
constexpr std::string_view migration_1_sql = R"sql(
CREATE TABLE messages (
  cursor          INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  channel         TEXT    NOT NULL,
  box             TEXT    NOT NULL CHECK (box IN ('in', 'out')),
  sender          TEXT    NOT NULL,
  seq             INTEGER NOT NULL DEFAULT 0 CHECK (seq >= 0),
  precedence      INTEGER NOT NULL CHECK (precedence BETWEEN 0 AND 3),
  form            TEXT    NOT NULL,
  body            BLOB    NOT NULL,
  signature       BLOB    NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  received_at_ms  INTEGER,
  delivered_at_ms INTEGER,
  CHECK (box = 'out' OR seq > 0)
) STRICT;
CREATE UNIQUE INDEX messages_channel_box_seq ON messages (channel, box, seq) WHERE seq > 0;
CREATE INDEX messages_out_queued ON messages (channel, cursor) WHERE box = 'out' AND seq = 0;
CREATE INDEX messages_out_undelivered ON messages (channel, seq)
  WHERE box = 'out' AND seq > 0 AND delivered_at_ms IS NULL;
CREATE INDEX messages_channel_box_cursor ON messages (channel, box, cursor);
CREATE INDEX messages_channel_cursor ON messages (channel, cursor);
CREATE INDEX messages_box_cursor ON messages (box, cursor);
)sql";

// Migration 2: the people who use the station (accounts.hpp). Only secrets' derivatives are
// stored: the Argon2id string of each password and the SHA-256 of each session secret. The audit
// table is append-only, enforced here by triggers so that no code path (nor an operator's
// sqlite3 shell, short of dropping the triggers) can rewrite who signed in when. Sessions go
// with their user. Indexes: sessions_user serves the per-user cap and ending a user's sessions.
constexpr std::string_view migration_2_sql = R"sql(
CREATE TABLE users (
  name            TEXT    NOT NULL PRIMARY KEY
                  CHECK (length(name) BETWEEN 2 AND 32 AND name NOT GLOB '*[^a-z0-9._-]*'),
  role            TEXT    NOT NULL
                  CHECK (role IN ('duty-officer', 'translator', 'supervisor', 'auditor', 'admin')),
  password_hash   TEXT    NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  language        TEXT    NOT NULL CHECK (language IN ('ko', 'ru', 'en')),
  disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at_ms   INTEGER NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until_ms INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE sessions (
  id_sha256     TEXT    NOT NULL PRIMARY KEY CHECK (length(id_sha256) = 64),
  user          TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf_token    TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  last_seen_ms  INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  idle_ms       INTEGER NOT NULL CHECK (idle_ms > 0)
) STRICT;
CREATE INDEX sessions_user ON sessions (user, created_at_ms);
CREATE TABLE audit (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms  INTEGER NOT NULL,
  actor  TEXT    NOT NULL,
  action TEXT    NOT NULL,
  detail TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Migration 3: people answering. Acknowledgements (who, when, with what answer), escalations
// of messages that passed their deadline, and the receiver's validation flag. The partial index
// holds only messages still waiting for an answer: what the deadline watch reads at start.
constexpr std::string_view migration_3_sql = R"sql(
ALTER TABLE messages ADD COLUMN acknowledged_at_ms INTEGER;
ALTER TABLE messages ADD COLUMN acknowledged_by TEXT;
ALTER TABLE messages ADD COLUMN ack_answer TEXT;
ALTER TABLE messages ADD COLUMN escalated_at_ms INTEGER;
ALTER TABLE messages ADD COLUMN flag TEXT;
CREATE INDEX messages_awaiting_ack ON messages (cursor)
  WHERE acknowledged_at_ms IS NULL AND escalated_at_ms IS NULL;
CREATE INDEX messages_channel_form ON messages (channel, form, box, cursor);
)sql";

// Migration 4: the signed journal (journal.hpp, docs/journal.md). `chain` is each sequenced
// message's place in its channel's hash chain, what recovery resumes the chain from. The
// journal is append-only, enforced by triggers as the audit table is. `agreements` keeps every
// agreement the station has run under, so that its journal can be checked offline.
//   journal_message   a message's entries (evidence);
//   journal_receipts  the first receipt covering a seq (evidence).
constexpr std::string_view migration_4_sql = R"sql(
ALTER TABLE messages ADD COLUMN chain BLOB;
CREATE TABLE journal (
  seq        INTEGER PRIMARY KEY CHECK (seq > 0),
  at_ms      INTEGER NOT NULL,
  kind       TEXT    NOT NULL,
  channel    TEXT    NOT NULL DEFAULT '',
  message_id TEXT    NOT NULL DEFAULT '',
  msg_seq    INTEGER NOT NULL DEFAULT 0,
  detail     TEXT    NOT NULL DEFAULT '',
  prev_hash  BLOB    NOT NULL,
  hash       BLOB    NOT NULL,
  signature  BLOB    NOT NULL DEFAULT x''
) STRICT;
CREATE INDEX journal_message ON journal (message_id) WHERE message_id <> '';
CREATE INDEX journal_receipts ON journal (channel, msg_seq) WHERE kind = 'receipt';
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
  BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TABLE agreements (
  hash         TEXT    NOT NULL PRIMARY KEY,
  text         TEXT    NOT NULL,
  loaded_at_ms INTEGER NOT NULL
) STRICT;
)sql";

// Migration 5: translations of received messages (translations.hpp). The message itself is never
// changed. The checks keep a review's columns all set or all unset, and the reviewer apart from
// the translator; the trigger lets a row change only from pending, and only in its review, so a
// certified translation's text is the text that was approved. No foreign key to messages: the
// message store never deletes, and the service checks the message before anything is written.
constexpr std::string_view migration_5_sql = R"sql(
CREATE TABLE translations (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id     TEXT    NOT NULL CHECK (length(message_id) BETWEEN 1 AND 64),
  lang           TEXT    NOT NULL CHECK (lang IN ('ko', 'ru', 'en')),
  text           TEXT    NOT NULL CHECK (length(CAST(text AS BLOB)) BETWEEN 1 AND 16384),
  translator     TEXT    NOT NULL CHECK (length(translator) > 0),
  created_at_ms  INTEGER NOT NULL,
  state          TEXT    NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'certified', 'rejected')),
  reviewer       TEXT,
  reviewed_at_ms INTEGER,
  review_note    TEXT    NOT NULL DEFAULT '',
  CHECK ((state = 'pending') = (reviewer IS NULL)),
  CHECK ((state = 'pending') = (reviewed_at_ms IS NULL)),
  CHECK (reviewer IS NULL OR reviewer <> translator)
) STRICT;
CREATE INDEX translations_message ON translations (message_id, id);
CREATE TRIGGER translations_reviewed_once BEFORE UPDATE ON translations
  WHEN OLD.state <> 'pending' OR NEW.message_id IS NOT OLD.message_id
    OR NEW.lang IS NOT OLD.lang OR NEW.text IS NOT OLD.text
    OR NEW.translator IS NOT OLD.translator OR NEW.created_at_ms IS NOT OLD.created_at_ms
  BEGIN SELECT RAISE(ABORT, 'a translation is reviewed once and its text never changes'); END;
CREATE TRIGGER translations_no_delete BEFORE DELETE ON translations
  BEGIN SELECT RAISE(ABORT, 'translations are kept'); END;
)sql";

// Migration 6: the queue on disk. The core keeps only the oldest queued messages of each
// precedence in memory and reads the rest back in post order, one precedence at a time
// (store::queued_after); recover() counts the queue per precedence. This partial index serves
// both, and replaces messages_out_queued, which ordered the queue without its precedence. `box`
// and `seq` are the same in every entry; holding them makes the index covering for the count,
// which would otherwise read every queued row (a million of them, perhaps) from the table.
constexpr std::string_view migration_6_sql = R"sql(
CREATE INDEX messages_out_queued_precedence ON messages (channel, precedence, cursor, box, seq)
  WHERE box = 'out' AND seq = 0;
DROP INDEX messages_out_queued;
)sql";

// Migration 7: API tokens made with `hotline token add`, beside those in the station config. Only
// the SHA-256 of a secret is kept. A revoked token keeps its row, so that the audit log's names
// still say which token acted; a name may be reused once its token is revoked. Indexes:
// api_tokens_sha256 finds the live token a request presents; api_tokens_live_name keeps names
// of live tokens unique.
constexpr std::string_view migration_7_sql = R"sql(
CREATE TABLE api_tokens (
  id            INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL
                CHECK (length(name) BETWEEN 2 AND 32 AND name NOT GLOB '*[^a-z0-9._-]*'),
  role          TEXT    NOT NULL
                CHECK (role IN ('duty-officer', 'translator', 'supervisor', 'auditor', 'admin')),
  sha256        TEXT    NOT NULL UNIQUE
                CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
  created_at_ms INTEGER NOT NULL,
  created_by    TEXT    NOT NULL,
  revoked_at_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at_ms IS NULL;
CREATE TRIGGER api_tokens_no_delete BEFORE DELETE ON api_tokens
  BEGIN SELECT RAISE(ABORT, 'API tokens are revoked, never deleted'); END;
CREATE TRIGGER api_tokens_revoke_only BEFORE UPDATE ON api_tokens
  WHEN OLD.revoked_at_ms IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name
    OR NEW.role IS NOT OLD.role OR NEW.sha256 IS NOT OLD.sha256
    OR NEW.created_at_ms IS NOT OLD.created_at_ms OR NEW.created_by IS NOT OLD.created_by
  BEGIN SELECT RAISE(ABORT, 'an API token can only be revoked, once'); END;
)sql";

// Migration 8: the agreement versions a station has kept check its journal and its evidence
// after a key rotation for good, so they are append-only, as the journal is.
constexpr std::string_view migration_8_sql = R"sql(
CREATE TRIGGER agreements_no_update BEFORE UPDATE ON agreements
  BEGIN SELECT RAISE(ABORT, 'agreement versions are kept as they were loaded'); END;
CREATE TRIGGER agreements_no_delete BEFORE DELETE ON agreements
  BEGIN SELECT RAISE(ABORT, 'agreement versions are kept as they were loaded'); END;
)sql";

// Migration 9: every message keeps its handling label (core/label.hpp, in its text form), which
// its signature covers; '' for a message without one.
constexpr std::string_view migration_9_sql = R"sql(
ALTER TABLE messages ADD COLUMN label TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 9000);
)sql";

// Migration 10: clearances. Each user and API token holds the highest marking it may read; ''
// is the lowest of the station's scheme, so that an account made before clearances reads only
// what any account may, until an operator raises it with `hotline user clearance`.
constexpr std::string_view migration_10_sql = R"sql(
ALTER TABLE users ADD COLUMN clearance TEXT NOT NULL DEFAULT '' CHECK (length(clearance) <= 64);
ALTER TABLE api_tokens ADD COLUMN clearance TEXT NOT NULL DEFAULT ''
  CHECK (length(clearance) <= 64);
DROP TRIGGER api_tokens_revoke_only;
CREATE TRIGGER api_tokens_revoke_only BEFORE UPDATE ON api_tokens
  WHEN OLD.revoked_at_ms IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name
    OR NEW.role IS NOT OLD.role OR NEW.sha256 IS NOT OLD.sha256
    OR NEW.created_at_ms IS NOT OLD.created_at_ms OR NEW.created_by IS NOT OLD.created_by
    OR NEW.clearance IS NOT OLD.clearance
  BEGIN SELECT RAISE(ABORT, 'an API token can only be revoked, once'); END;
)sql";

// Migration 11: seals (protocol 5). The peer's seals live in the journal (`sealed` entries);
// this index finds the one that covers a seq, for evidence and for handing a restored peer its
// own messages back.
constexpr std::string_view migration_11_sql = R"sql(
CREATE INDEX journal_seals ON journal (channel, msg_seq) WHERE kind = 'sealed';
)sql";

// Migration 12: leaner commits. Every index on `messages` is written by every message stored,
// and each costs a WAL page per commit under a light load. These three served reads that do as
// well without them: list() with only a channel or only a box walks the table in cursor order
// (list_sql: a page of a station's few channels and two boxes reads a few pages more), and the
// link-test view reads an index that holds link tests alone instead of every message's form.
constexpr std::string_view migration_12_sql = R"sql(
DROP INDEX messages_channel_cursor;
DROP INDEX messages_box_cursor;
DROP INDEX messages_channel_form;
CREATE INDEX messages_link_tests ON messages (channel, cursor)
  WHERE box = 'out' AND form = 'LINK-TEST';
)sql";

// Migration 13: the station's starts, numbered. A peer orders this station's boots by that number
// (the high half of the hello's boot id, core/engine_handshake.cpp), so a hello that a dead
// incarnation sent and the network delayed cannot pass for a newer one.
constexpr std::string_view migration_13_sql = R"sql(
CREATE TABLE boots (
  n INTEGER PRIMARY KEY,
  started_at_ms INTEGER NOT NULL
);
)sql";

// Migration 14: the link-test view's "last answered" read (the newest acknowledged link test of
// a channel) walks an index of answered link tests in answer order and stops at the first, instead
// of sorting every link test the channel ever sent. Only link tests are written to it, and only
// when they are answered.
constexpr std::string_view migration_14_sql = R"sql(
CREATE INDEX messages_link_tests_answered ON messages (channel, acknowledged_at_ms)
  WHERE box = 'out' AND form = 'LINK-TEST' AND acknowledged_at_ms IS NOT NULL;
)sql";

constexpr std::array<migration, 14> all_migrations{{
    {1, "messages", migration_1_sql},
    {2, "accounts", migration_2_sql},
    {3, "acknowledgements", migration_3_sql},
    {4, "journal", migration_4_sql},
    {5, "translations", migration_5_sql},
    {6, "queue by precedence", migration_6_sql},
    {7, "api tokens", migration_7_sql},
    {8, "agreement versions kept", migration_8_sql},
    {9, "handling labels", migration_9_sql},
    {10, "clearances", migration_10_sql},
    {11, "seals", migration_11_sql},
    {12, "leaner indexes", migration_12_sql},
    {13, "boots", migration_13_sql},
    {14, "answered link tests", migration_14_sql},
}};

constexpr std::string_view create_history_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)";

std::unexpected<error> rollback(sqlite3* db, error e) {
  // SQLite may already have rolled back after an I/O error; only an open transaction needs it.
  if (sqlite3_get_autocommit(db) == 0) (void)sqlite::exec(db, "ROLLBACK");
  return std::unexpected(std::move(e));
}

// Applies at most one migration inside its own transaction. Returns the version the database
// is at afterwards; equal to the version before means nothing was left to do.
result<int> step_once(sqlite3* db, std::int64_t now_ms) {
  if (auto r = sqlite::exec(db, "BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
  if (auto r = sqlite::exec(db, create_history_sql); !r) return rollback(db, r.error());
  auto current = schema_version(db);
  if (!current) return rollback(db, current.error());
  const int latest = schema_version_latest();
  if (*current > latest) {
    return rollback(
        db, error{errc::conflict,
                  "database schema version " + std::to_string(*current) +
                      " is newer than this hotline build supports (" + std::to_string(latest) + ")",
                  {}});
  }
  if (*current < latest) {
    const migration& m = all_migrations[static_cast<std::size_t>(*current)];
    if (auto r = sqlite::exec(db, m.sql); !r) {
      error e = r.error();
      e.message =
          "migration " + std::to_string(m.version) + " (" + std::string{m.name} + "): " + e.message;
      return rollback(db, std::move(e));
    }
    auto record = sqlite::statement::prepare(
        db, "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)");
    if (!record) return rollback(db, record.error());
    sqlite::query q{*record};
    if (auto r = q.bind_int(1, m.version).bind_int(2, now_ms).run(); !r) {
      return rollback(db, r.error());
    }
  }
  if (auto r = sqlite::exec(db, "COMMIT"); !r) return rollback(db, r.error());
  return *current < latest ? *current + 1 : *current;
}

}  // namespace

std::span<const migration> schema_migrations() { return all_migrations; }

int schema_version_latest() { return static_cast<int>(all_migrations.size()); }

result<int> schema_version(sqlite3* db) {
  auto s = sqlite::statement::prepare(
      db,
      "SELECT COUNT(*), COALESCE(MAX(version), 0), COALESCE(MIN(version), 1) "
      "FROM schema_migrations");
  if (!s) return std::unexpected(s.error());
  sqlite::query q{*s};
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t count = q.column_int(0);
  const std::int64_t max = q.column_int(1);
  // Versions are applied one by one from 1, so anything but 1..N means the history was edited.
  if (count != max || q.column_int(2) != 1 || max > INT_MAX) {
    return fail(errc::corrupt, "schema_migrations is not 1.." + std::to_string(max) + " (" +
                                   std::to_string(count) + " rows)");
  }
  return static_cast<int>(max);
}

result<int> migrate(sqlite3* db, std::int64_t now_ms) {
  // Each step applies one migration or fails, so this loop runs at most latest + 1 times.
  for (;;) {
    auto version = step_once(db, now_ms);
    if (!version || *version >= schema_version_latest()) return version;
  }
}

}  // namespace hotline::storage
