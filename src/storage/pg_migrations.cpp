#include "storage/pg_migrations.hpp"

#include <array>
#include <climits>
#include <string>

#include "storage/pg_db.hpp"

namespace hotline::storage {

namespace {

// Migration 1: the message store, in the final form of SQLite migrations 1, 3, 4 (its column),
// 6, 9 and 12. `cursor` is the local position list() pages by; the identity hands out values in
// insertion order, and the writer lock (migration 3) makes insertion order commit order. Each
// index serves the read path its SQLite namesake serves.
constexpr std::string_view migration_1_sql = R"sql(
CREATE TABLE messages (
  cursor             BIGINT   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                 TEXT     NOT NULL UNIQUE,
  channel            TEXT     NOT NULL,
  box                TEXT     NOT NULL CHECK (box IN ('in', 'out')),
  sender             TEXT     NOT NULL,
  seq                BIGINT   NOT NULL DEFAULT 0 CHECK (seq >= 0),
  precedence         SMALLINT NOT NULL CHECK (precedence BETWEEN 0 AND 3),
  form               TEXT     NOT NULL,
  body               BYTEA    NOT NULL,
  signature          BYTEA    NOT NULL,
  created_at_ms      BIGINT   NOT NULL,
  received_at_ms     BIGINT,
  delivered_at_ms    BIGINT,
  acknowledged_at_ms BIGINT,
  acknowledged_by    TEXT,
  ack_answer         TEXT,
  escalated_at_ms    BIGINT,
  flag               TEXT,
  chain              BYTEA,
  label              TEXT     NOT NULL DEFAULT '' CHECK (length(label) <= 9000),
  CHECK (box = 'out' OR seq > 0)
);
CREATE UNIQUE INDEX messages_channel_box_seq ON messages (channel, box, seq) WHERE seq > 0;
CREATE INDEX messages_out_undelivered ON messages (channel, seq)
  WHERE box = 'out' AND seq > 0 AND delivered_at_ms IS NULL;
CREATE INDEX messages_channel_box_cursor ON messages (channel, box, cursor);
CREATE INDEX messages_awaiting_ack ON messages (cursor)
  WHERE acknowledged_at_ms IS NULL AND escalated_at_ms IS NULL;
CREATE INDEX messages_out_queued_precedence ON messages (channel, precedence, cursor)
  WHERE box = 'out' AND seq = 0;
CREATE INDEX messages_link_tests ON messages (channel, cursor)
  WHERE box = 'out' AND form = 'LINK-TEST';
)sql";

// Migration 2: the signed journal and the kept agreements (SQLite migrations 4, 8 and 11). Both
// are append-only: a row trigger refuses every UPDATE and DELETE and a statement trigger every
// TRUNCATE, with SQLSTATE 23001 (restrict_violation), so that no code path, nor an operator's
// psql short of dropping the triggers, can rewrite them.
constexpr std::string_view migration_2_sql = R"sql(
CREATE TABLE journal (
  seq        BIGINT PRIMARY KEY CHECK (seq > 0),
  at_ms      BIGINT NOT NULL,
  kind       TEXT   NOT NULL,
  channel    TEXT   NOT NULL DEFAULT '',
  message_id TEXT   NOT NULL DEFAULT '',
  msg_seq    BIGINT NOT NULL DEFAULT 0,
  detail     TEXT   NOT NULL DEFAULT '',
  prev_hash  BYTEA  NOT NULL,
  hash       BYTEA  NOT NULL,
  signature  BYTEA  NOT NULL DEFAULT ''::bytea
);
CREATE INDEX journal_message ON journal (message_id) WHERE message_id <> '';
CREATE INDEX journal_receipts ON journal (channel, msg_seq) WHERE kind = 'receipt';
CREATE INDEX journal_seals ON journal (channel, msg_seq) WHERE kind = 'sealed';
CREATE TABLE agreements (
  hash         TEXT   NOT NULL PRIMARY KEY,
  text         TEXT   NOT NULL,
  loaded_at_ms BIGINT NOT NULL
);
CREATE FUNCTION hotline_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'restrict_violation', MESSAGE = TG_ARGV[0];
END
$$;
CREATE TRIGGER journal_no_change BEFORE UPDATE OR DELETE ON journal
  FOR EACH ROW EXECUTE FUNCTION hotline_refuse_change('the journal is append-only');
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
  FOR EACH STATEMENT EXECUTE FUNCTION hotline_refuse_change('the journal is append-only');
CREATE TRIGGER agreements_no_change BEFORE UPDATE OR DELETE ON agreements
  FOR EACH ROW EXECUTE FUNCTION
  hotline_refuse_change('agreement versions are kept as they were loaded');
CREATE TRIGGER agreements_no_truncate BEFORE TRUNCATE ON agreements
  FOR EACH STATEMENT EXECUTE FUNCTION
  hotline_refuse_change('agreement versions are kept as they were loaded');
)sql";

// Migration 3: the writer lock. Every write transaction locks this one row (SELECT ... FOR
// UPDATE) before it writes anything, so that writers sharing the database run one at a time:
// cursors and journal seqs are then handed out in commit order. The lease and its epoch will
// live beside it.
constexpr std::string_view migration_3_sql = R"sql(
CREATE TABLE writer (
  id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO writer (id) VALUES (1);
CREATE TRIGGER writer_no_delete BEFORE DELETE ON writer
  FOR EACH ROW EXECUTE FUNCTION hotline_refuse_change('the writer lock row is kept');
CREATE TRIGGER writer_no_truncate BEFORE TRUNCATE ON writer
  FOR EACH STATEMENT EXECUTE FUNCTION hotline_refuse_change('the writer lock row is kept');
)sql";

// Migration 4: the station's starts, numbered (SQLite migration 13; store::next_boot). Every node
// of a station shares the numbering, so a peer orders the boots of all of them.
constexpr std::string_view migration_4_sql = R"sql(
CREATE TABLE boots (
  n BIGINT PRIMARY KEY,
  started_at_ms BIGINT NOT NULL
);
)sql";

// Migration 5: the people who use the station (accounts.hpp), in the final form of SQLite
// migrations 2, 7 and 10. Only secrets' derivatives are stored. As on SQLite, the schema itself
// keeps the audit log append-only, and an API token's row open only to its one revocation; both
// refusals are SQLSTATE 23001 (restrict_violation), TRUNCATE included. A session's owner is
// `user_name` here: `user` is reserved in PostgreSQL.
constexpr std::string_view migration_5_sql = R"sql(
CREATE TABLE users (
  name            TEXT     NOT NULL PRIMARY KEY
                  CHECK (length(name) BETWEEN 2 AND 32 AND name !~ '[^a-z0-9._-]'),
  role            TEXT     NOT NULL
                  CHECK (role IN ('duty-officer', 'translator', 'supervisor', 'auditor', 'admin')),
  password_hash   TEXT     NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  language        TEXT     NOT NULL CHECK (language IN ('ko', 'ru', 'en')),
  disabled        SMALLINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at_ms   BIGINT   NOT NULL,
  failed_attempts BIGINT   NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  locked_until_ms BIGINT   NOT NULL DEFAULT 0,
  clearance       TEXT     NOT NULL DEFAULT '' CHECK (length(clearance) <= 64)
);
CREATE TABLE sessions (
  id_sha256     TEXT   NOT NULL PRIMARY KEY CHECK (length(id_sha256) = 64),
  user_name     TEXT   NOT NULL REFERENCES users (name) ON DELETE CASCADE,
  csrf_token    TEXT   NOT NULL,
  created_at_ms BIGINT NOT NULL,
  last_seen_ms  BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  idle_ms       BIGINT NOT NULL CHECK (idle_ms > 0)
);
CREATE INDEX sessions_user ON sessions (user_name, created_at_ms);
CREATE TABLE audit (
  id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at_ms  BIGINT NOT NULL,
  actor  TEXT   NOT NULL,
  action TEXT   NOT NULL,
  detail TEXT   NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION hotline_refuse_change('the audit log is append-only');
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION hotline_refuse_change('the audit log is append-only');
CREATE TABLE api_tokens (
  id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name          TEXT   NOT NULL
                CHECK (length(name) BETWEEN 2 AND 32 AND name !~ '[^a-z0-9._-]'),
  role          TEXT   NOT NULL
                CHECK (role IN ('duty-officer', 'translator', 'supervisor', 'auditor', 'admin')),
  sha256        TEXT   NOT NULL UNIQUE CHECK (length(sha256) = 64 AND sha256 !~ '[^0-9a-f]'),
  created_at_ms BIGINT NOT NULL,
  created_by    TEXT   NOT NULL,
  revoked_at_ms BIGINT,
  clearance     TEXT   NOT NULL DEFAULT '' CHECK (length(clearance) <= 64)
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at_ms IS NULL;
CREATE TRIGGER api_tokens_no_delete BEFORE DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION hotline_refuse_change('API tokens are revoked, never deleted');
CREATE TRIGGER api_tokens_no_truncate BEFORE TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION hotline_refuse_change('API tokens are revoked, never deleted');
CREATE TRIGGER api_tokens_revoke_only BEFORE UPDATE ON api_tokens
  FOR EACH ROW WHEN (OLD.revoked_at_ms IS NOT NULL OR NEW.id IS DISTINCT FROM OLD.id
    OR NEW.name IS DISTINCT FROM OLD.name OR NEW.role IS DISTINCT FROM OLD.role
    OR NEW.sha256 IS DISTINCT FROM OLD.sha256
    OR NEW.created_at_ms IS DISTINCT FROM OLD.created_at_ms
    OR NEW.created_by IS DISTINCT FROM OLD.created_by
    OR NEW.clearance IS DISTINCT FROM OLD.clearance)
  EXECUTE FUNCTION hotline_refuse_change('an API token can only be revoked, once');
)sql";

// Migration 6: translations of received messages (translations.hpp; SQLite migration 5). The
// checks keep a review's columns all set or all unset and the reviewer apart from the
// translator; the trigger lets a row change only from pending, and only in its review, and no
// row is ever deleted.
constexpr std::string_view migration_6_sql = R"sql(
CREATE TABLE translations (
  id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id     TEXT   NOT NULL CHECK (length(message_id) BETWEEN 1 AND 64),
  lang           TEXT   NOT NULL CHECK (lang IN ('ko', 'ru', 'en')),
  text           TEXT   NOT NULL CHECK (octet_length(text) BETWEEN 1 AND 16384),
  translator     TEXT   NOT NULL CHECK (length(translator) > 0),
  created_at_ms  BIGINT NOT NULL,
  state          TEXT   NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'certified', 'rejected')),
  reviewer       TEXT,
  reviewed_at_ms BIGINT,
  review_note    TEXT   NOT NULL DEFAULT '',
  CHECK ((state = 'pending') = (reviewer IS NULL)),
  CHECK ((state = 'pending') = (reviewed_at_ms IS NULL)),
  CHECK (reviewer IS NULL OR reviewer <> translator)
);
CREATE INDEX translations_message ON translations (message_id, id);
CREATE TRIGGER translations_reviewed_once BEFORE UPDATE ON translations
  FOR EACH ROW WHEN (OLD.state <> 'pending' OR NEW.id IS DISTINCT FROM OLD.id
    OR NEW.message_id IS DISTINCT FROM OLD.message_id OR NEW.lang IS DISTINCT FROM OLD.lang
    OR NEW.text IS DISTINCT FROM OLD.text OR NEW.translator IS DISTINCT FROM OLD.translator
    OR NEW.created_at_ms IS DISTINCT FROM OLD.created_at_ms)
  EXECUTE FUNCTION
  hotline_refuse_change('a translation is reviewed once and its text never changes');
CREATE TRIGGER translations_no_delete BEFORE DELETE ON translations
  FOR EACH ROW EXECUTE FUNCTION hotline_refuse_change('translations are kept');
CREATE TRIGGER translations_no_truncate BEFORE TRUNCATE ON translations
  FOR EACH STATEMENT EXECUTE FUNCTION hotline_refuse_change('translations are kept');
)sql";

// Migration 7: the station's lease (lease.hpp), on the writer row, so that taking the lease and
// every write it fences serialise on one row lock. `expires_at` is set from the database's clock
// only; it is NULL exactly when no node holds the lease. The trigger keeps the epoch from ever
// going back, and makes it grow whenever a new holder takes the lease, so that a node fenced at
// epoch N can never pass the fence again by a holder's name alone.
constexpr std::string_view migration_7_sql = R"sql(
ALTER TABLE writer
  ADD COLUMN holder     TEXT   NOT NULL DEFAULT ''
             CHECK (length(holder) <= 64 AND holder !~ '[^a-z0-9-]'),
  ADD COLUMN epoch      BIGINT NOT NULL DEFAULT 0 CHECK (epoch >= 0),
  ADD COLUMN expires_at TIMESTAMPTZ,
  ADD CONSTRAINT writer_lease_held_until CHECK ((holder = '') = (expires_at IS NULL));
CREATE TRIGGER writer_epoch_grows BEFORE UPDATE ON writer
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id OR NEW.epoch < OLD.epoch
    OR (NEW.holder <> '' AND NEW.holder IS DISTINCT FROM OLD.holder AND NEW.epoch <= OLD.epoch))
  EXECUTE FUNCTION
  hotline_refuse_change('the lease epoch never goes back and grows with every new holder');
)sql";

constexpr std::array<migration, 7> all_migrations{{
    {1, "messages", migration_1_sql},
    {2, "journal and agreements", migration_2_sql},
    {3, "writer lock", migration_3_sql},
    {4, "boots", migration_4_sql},
    {5, "accounts", migration_5_sql},
    {6, "translations", migration_6_sql},
    {7, "lease", migration_7_sql},
}};

// Serialises migrations between processes sharing the database: "hotline" in ASCII.
constexpr std::int64_t migration_lock_key = 0x686f746c696e65;

constexpr const char* create_history_sql =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)";

std::unexpected<error> rollback(PGconn* c, error e) {
  if (PQtransactionStatus(c) != PQTRANS_IDLE) (void)pg::exec(c, "ROLLBACK");
  return std::unexpected(std::move(e));
}

result<int> read_version(PGconn* c) {
  pg::rows r{PQexecParams(c,
                          "SELECT COUNT(*), COALESCE(MAX(version), 0)::bigint,"
                          " COALESCE(MIN(version), 1)::bigint FROM schema_migrations",
                          0, nullptr, nullptr, nullptr, nullptr, 1)};
  if (PQresultStatus(r.raw()) != PGRES_TUPLES_OK) {
    return std::unexpected(pg::make_error(c, r.raw(), "schema_migrations"));
  }
  const std::int64_t count = r.get_int(0, 0);
  const std::int64_t max = r.get_int(0, 1);
  if (count != max || r.get_int(0, 2) != 1 || max > INT_MAX) {
    return fail(errc::corrupt, "schema_migrations is not 1.." + std::to_string(max) + " (" +
                                   std::to_string(count) + " rows)");
  }
  return static_cast<int>(max);
}

result<void> apply(PGconn* c, const migration& m, std::int64_t now_ms) {
  if (auto r = pg::exec(c, std::string{m.sql}); !r) {
    error e = r.error();
    e.message =
        "migration " + std::to_string(m.version) + " (" + std::string{m.name} + "): " + e.message;
    return std::unexpected(std::move(e));
  }
  const std::string version = std::to_string(m.version);
  const std::string at = std::to_string(now_ms);
  const char* values[] = {version.c_str(), at.c_str()};
  pg::rows r{PQexecParams(c,
                          "INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)",
                          2, nullptr, values, nullptr, nullptr, 1)};
  if (PQresultStatus(r.raw()) != PGRES_COMMAND_OK) {
    return std::unexpected(pg::make_error(c, r.raw(), "schema_migrations"));
  }
  return {};
}

// Applies at most one migration inside its own transaction; returns the version afterwards.
result<int> step_once(PGconn* c, std::int64_t now_ms) {
  if (auto r = pg::exec(c, "BEGIN"); !r) return std::unexpected(r.error());
  const std::string lock =
      "SELECT pg_advisory_xact_lock(" + std::to_string(migration_lock_key) + ")";
  if (auto r = pg::exec(c, lock); !r) return rollback(c, r.error());
  if (auto r = pg::exec(c, create_history_sql); !r) return rollback(c, r.error());
  auto current = read_version(c);
  if (!current) return rollback(c, current.error());
  const int latest = static_cast<int>(all_migrations.size());
  if (*current > latest) {
    return rollback(
        c, error{errc::conflict,
                 "database schema version " + std::to_string(*current) +
                     " is newer than this hotline build supports (" + std::to_string(latest) + ")",
                 {}});
  }
  if (*current < latest) {
    if (auto r = apply(c, all_migrations[static_cast<std::size_t>(*current)], now_ms); !r) {
      return rollback(c, r.error());
    }
  }
  if (auto r = pg::exec(c, "COMMIT"); !r) return rollback(c, r.error());
  return *current < latest ? *current + 1 : *current;
}

}  // namespace

std::span<const migration> pg_schema_migrations() { return all_migrations; }

result<int> pg_schema_version(PGconn* c) {
  if (auto r = pg::exec(c, create_history_sql); !r) return std::unexpected(r.error());
  return read_version(c);
}

result<int> pg_migrate(PGconn* c, std::int64_t now_ms) {
  // Each step applies one migration or fails, so this loop runs at most latest + 1 times.
  for (;;) {
    auto version = step_once(c, now_ms);
    if (!version || *version >= static_cast<int>(all_migrations.size())) return version;
  }
}

}  // namespace hotline::storage
