// The SQLite implementation of `accounts` (accounts.hpp), sharing the message store's connection.
// The rules it applies before writing and after reading are account_checks.hpp's, shared with
// the PostgreSQL implementation.
//
// Every write is a single statement, or a short IMMEDIATE transaction where two must agree, so
// each returns only after SQLite has synced it (synchronous=FULL). The CLI writes the same tables
// from another process while the station runs; WAL and the busy timeout make that safe.
#include <algorithm>
#include <array>
#include <functional>
#include <utility>

#include "storage/account_checks.hpp"
#include "storage/sqlite_store.hpp"

namespace hotline::storage {

namespace {

constexpr std::string_view user_columns =
    "name, role, language, password_hash, disabled, created_at_ms, failed_attempts,"
    " locked_until_ms, clearance";

enum stmt : std::size_t {
  add_user_st,
  find_user_st,
  list_users_st,
  set_disabled_st,
  set_password_st,
  set_language_st,
  set_clearance_st,
  delete_user_sessions_st,
  trim_sessions_st,
  insert_session_st,
  find_session_st,
  touch_session_st,
  delete_session_st,
  delete_expired_st,
  append_audit_st,
  list_audit_st,
  add_token_st,
  find_live_token_st,
  list_tokens_st,
  revoke_token_st,
  begin_st,
  commit_st,
  rollback_st,
  statement_count
};

std::string users_select(std::string_view rest) {
  return "SELECT " + std::string(user_columns) + " FROM users " + std::string(rest);
}

// The SQL of each statement, by its index.
std::array<std::string, statement_count> statement_sql() {
  std::array<std::string, statement_count> sql;
  sql[add_user_st] =
      "INSERT INTO users (" + std::string(user_columns) + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, ?7)";
  sql[find_user_st] = users_select("WHERE name = ?1");
  sql[list_users_st] = users_select("ORDER BY name");
  sql[set_disabled_st] = "UPDATE users SET disabled = ?2 WHERE name = ?1";
  sql[set_password_st] =
      "UPDATE users SET password_hash = ?2, failed_attempts = 0, locked_until_ms = 0"
      " WHERE name = ?1";
  sql[set_language_st] = "UPDATE users SET language = ?2 WHERE name = ?1";
  sql[set_clearance_st] = "UPDATE users SET clearance = ?2 WHERE name = ?1";
  sql[delete_user_sessions_st] = "DELETE FROM sessions WHERE user = ?1";
  // Keeps the newest ?2 sessions of user ?1.
  sql[trim_sessions_st] =
      "DELETE FROM sessions WHERE user = ?1 AND id_sha256 NOT IN (SELECT id_sha256 FROM sessions"
      " WHERE user = ?1 ORDER BY created_at_ms DESC, id_sha256 LIMIT ?2)";
  sql[insert_session_st] =
      "INSERT INTO sessions (id_sha256, user, csrf_token, created_at_ms, last_seen_ms,"
      " expires_at_ms, idle_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  sql[find_session_st] =
      "SELECT s.id_sha256, s.user, s.csrf_token, s.created_at_ms, s.last_seen_ms, s.expires_at_ms,"
      " s.idle_ms, u.name, u.role, u.language, u.password_hash, u.disabled, u.created_at_ms,"
      " u.failed_attempts, u.locked_until_ms, u.clearance"
      " FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_sha256 = ?1";
  sql[touch_session_st] = "UPDATE sessions SET last_seen_ms = ?2 WHERE id_sha256 = ?1";
  sql[delete_session_st] = "DELETE FROM sessions WHERE id_sha256 = ?1";
  sql[delete_expired_st] =
      "DELETE FROM sessions WHERE expires_at_ms <= ?1 OR last_seen_ms + idle_ms <= ?1";
  sql[append_audit_st] = "INSERT INTO audit (at_ms, actor, action, detail) VALUES (?1, ?2, ?3, ?4)";
  sql[list_audit_st] =
      "SELECT id, at_ms, actor, action, detail FROM audit WHERE id > ?1 ORDER BY id LIMIT ?2";
  constexpr std::string_view token_columns =
      "id, name, role, sha256, created_at_ms, created_by, revoked_at_ms, clearance";
  sql[add_token_st] =
      "INSERT INTO api_tokens (name, role, sha256, created_at_ms, created_by, clearance)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  sql[find_live_token_st] = "SELECT " + std::string(token_columns) +
                            " FROM api_tokens WHERE sha256 = ?1 AND revoked_at_ms IS NULL";
  sql[list_tokens_st] = "SELECT " + std::string(token_columns) + " FROM api_tokens ORDER BY id";
  sql[revoke_token_st] =
      "UPDATE api_tokens SET revoked_at_ms = ?2 WHERE name = ?1 AND revoked_at_ms IS NULL";
  sql[begin_st] = "BEGIN IMMEDIATE";
  sql[commit_st] = "COMMIT";
  sql[rollback_st] = "ROLLBACK";
  return sql;
}

// Reads the user columns starting at `first`, checking what came off the disk.
result<user> decode_user(const sqlite::query& q, int first) {
  user u;
  u.name = q.column_text(first);
  u.role = q.column_text(first + 1);
  u.language = q.column_text(first + 2);
  u.password_hash = q.column_text(first + 3);
  u.disabled = q.column_int(first + 4) != 0;
  u.created_at_ms = q.column_int(first + 5);
  u.failed_attempts = q.column_int(first + 6);
  u.locked_until_ms = q.column_int(first + 7);
  u.clearance = q.column_text(first + 8);
  return checked_user_row(std::move(u));
}

result<stored_token> decode_token(const sqlite::query& q) {
  stored_token t;
  t.id = q.column_int(0);
  t.name = q.column_text(1);
  t.role = q.column_text(2);
  t.sha256_hex = q.column_text(3);
  t.created_at_ms = q.column_int(4);
  t.created_by = q.column_text(5);
  if (!q.column_is_null(6)) t.revoked_at_ms = q.column_int(6);
  t.clearance = q.column_text(7);
  return checked_token_row(std::move(t));
}

class sqlite_accounts final : public accounts {
 public:
  sqlite_accounts(sqlite3* db, journal_writer& journal) : db_(db), journal_(journal) {}

  result<void> prepare() { return sqlite::prepare_all(db_, statement_sql(), st_); }

  result<void> add_user(const user& u) override {
    if (auto ok = check_user(u); !ok) return ok;
    sqlite::query q{st_[add_user_st]};
    q.bind_text(1, u.name)
        .bind_text(2, u.role)
        .bind_text(3, u.language)
        .bind_text(4, u.password_hash)
        .bind_int(5, u.disabled ? 1 : 0)
        .bind_int(6, u.created_at_ms)
        .bind_text(7, u.clearance);
    auto r = q.run();
    if (!r && r.error().code == errc::conflict) return std::unexpected(user_exists(u.name));
    return r;
  }

  result<std::optional<user>> find_user(std::string_view name) override {
    sqlite::query q{st_[find_user_st]};
    q.bind_text(1, name);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<user>{};
    auto u = decode_user(q, 0);
    if (!u) return std::unexpected(u.error());
    return std::optional<user>{std::move(*u)};
  }

  result<std::vector<user>> list_users() override {
    sqlite::query q{st_[list_users_st]};
    return sqlite::collect(q, [](const sqlite::query& row) { return decode_user(row, 0); });
  }

  result<void> set_disabled(std::string_view name, bool disabled) override {
    return update_user(
        name,
        [&] {
          sqlite::query q{st_[set_disabled_st]};
          return q.bind_text(1, name).bind_int(2, disabled ? 1 : 0).run();
        },
        disabled);
  }

  result<void> set_password_hash(std::string_view name, std::string_view hash) override {
    if (auto ok = check_password_hash(hash); !ok) return ok;
    return update_user(
        name,
        [&] {
          sqlite::query q{st_[set_password_st]};
          return q.bind_text(1, name).bind_text(2, hash).run();
        },
        true);
  }

  result<void> set_clearance(std::string_view name, std::string_view clearance) override {
    if (auto ok = check_clearance(clearance); !ok) return ok;
    return update_user(
        name,
        [&] {
          sqlite::query q{st_[set_clearance_st]};
          return q.bind_text(1, name).bind_text(2, clearance).run();
        },
        false);
  }

  result<void> set_language(std::string_view name, std::string_view language) override {
    if (auto ok = check_language(language); !ok) return ok;
    return update_user(
        name,
        [&] {
          sqlite::query q{st_[set_language_st]};
          return q.bind_text(1, name).bind_text(2, language).run();
        },
        false);
  }

  result<void> create_session(const session_record& s, std::size_t per_user_max) override;
  result<std::optional<session_view>> find_session(std::string_view id_sha256) override;

  result<void> touch_session(std::string_view id_sha256, std::int64_t now_ms) override {
    sqlite::query q{st_[touch_session_st]};
    return q.bind_text(1, id_sha256).bind_int(2, now_ms).run();
  }

  result<void> delete_session(std::string_view id_sha256) override {
    sqlite::query q{st_[delete_session_st]};
    return q.bind_text(1, id_sha256).run();
  }

  result<std::int64_t> delete_expired_sessions(std::int64_t now_ms) override {
    sqlite::query q{st_[delete_expired_st]};
    if (auto r = q.bind_int(1, now_ms).run(); !r) return std::unexpected(r.error());
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  // The audit row and its journal entry go in one transaction.
  result<void> append_audit(const audit_entry& e) override {
    return in_transaction([&]() -> result<void> {
      sqlite::query q{st_[append_audit_st]};
      q.bind_int(1, e.at_ms)
          .bind_text(2, e.actor)
          .bind_text(3, e.action)
          .bind_text(4, audit_detail(e));
      if (auto w = q.run(); !w) return w;
      return journal_.record(audit_journal_entry(e));
    });
  }

  result<std::vector<audit_entry>> list_audit(std::int64_t after_id, std::size_t limit) override;

  result<void> add_token(const stored_token& t) override;

  result<std::optional<stored_token>> find_live_token(std::string_view sha256_hex) override {
    sqlite::query q{st_[find_live_token_st]};
    q.bind_text(1, sha256_hex);
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<stored_token>{};
    auto t = decode_token(q);
    if (!t) return std::unexpected(t.error());
    return std::optional<stored_token>{std::move(*t)};
  }

  result<std::vector<stored_token>> list_tokens() override {
    sqlite::query q{st_[list_tokens_st]};
    return sqlite::collect(q, [](const sqlite::query& row) { return decode_token(row); });
  }

  result<void> revoke_token(std::string_view name, std::int64_t at_ms) override {
    sqlite::query q{st_[revoke_token_st]};
    if (auto r = q.bind_text(1, name).bind_int(2, at_ms).run(); !r) return r;
    if (sqlite3_changes64(db_) != 1) return std::unexpected(no_live_token(name));
    return {};
  }

 private:
  // Runs `update` on one user row in a transaction, failing with errc::not_found when no row
  // changed; with `end_sessions` the user's sessions go in the same transaction.
  template <class F>
  result<void> update_user(std::string_view name, F update, bool end_sessions);
  result<void> in_transaction(const std::function<result<void>()>& body);

  sqlite3* db_;  // borrowed from the store, which outlives this object
  journal_writer& journal_;
  std::array<sqlite::statement, statement_count> st_;
};

result<void> sqlite_accounts::in_transaction(const std::function<result<void>()>& body) {
  if (auto r = sqlite::query{st_[begin_st]}.run(); !r) return r;
  auto r = body();
  if (r) r = sqlite::query{st_[commit_st]}.run();
  // After an I/O error SQLite may have rolled back already; only an open transaction needs it.
  if (!r && sqlite3_get_autocommit(db_) == 0) (void)sqlite::query{st_[rollback_st]}.run();
  return r;
}

template <class F>
result<void> sqlite_accounts::update_user(std::string_view name, F update, bool end_sessions) {
  return in_transaction([&]() -> result<void> {
    if (auto r = update(); !r) return r;
    if (sqlite3_changes64(db_) != 1) return std::unexpected(no_user(name));
    if (!end_sessions) return {};
    sqlite::query q{st_[delete_user_sessions_st]};
    return q.bind_text(1, name).run();
  });
}

result<void> sqlite_accounts::create_session(const session_record& s, std::size_t per_user_max) {
  if (auto ok = check_session(s, per_user_max); !ok) return ok;
  return in_transaction([&]() -> result<void> {
    sqlite::query trim{st_[trim_sessions_st]};
    trim.bind_text(1, s.user).bind_int(2, static_cast<std::int64_t>(per_user_max - 1));
    if (auto r = trim.run(); !r) return r;
    sqlite::query q{st_[insert_session_st]};
    q.bind_text(1, s.id_sha256)
        .bind_text(2, s.user)
        .bind_text(3, s.csrf_token)
        .bind_int(4, s.created_at_ms)
        .bind_int(5, s.last_seen_ms)
        .bind_int(6, s.expires_at_ms)
        .bind_int(7, s.idle_ms);
    return q.run();
  });
}

result<std::optional<session_view>> sqlite_accounts::find_session(std::string_view id_sha256) {
  sqlite::query q{st_[find_session_st]};
  q.bind_text(1, id_sha256);
  auto row = q.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<session_view>{};
  session_view v;
  v.session.id_sha256 = q.column_text(0);
  v.session.user = q.column_text(1);
  v.session.csrf_token = q.column_text(2);
  v.session.created_at_ms = q.column_int(3);
  v.session.last_seen_ms = q.column_int(4);
  v.session.expires_at_ms = q.column_int(5);
  v.session.idle_ms = q.column_int(6);
  auto u = decode_user(q, 7);
  if (!u) return std::unexpected(u.error());
  v.owner = std::move(*u);
  return std::optional<session_view>{std::move(v)};
}

result<void> sqlite_accounts::add_token(const stored_token& t) {
  if (auto ok = check_token(t); !ok) return ok;
  sqlite::query q{st_[add_token_st]};
  q.bind_text(1, t.name)
      .bind_text(2, t.role)
      .bind_text(3, t.sha256_hex)
      .bind_int(4, t.created_at_ms)
      .bind_text(5, t.created_by)
      .bind_text(6, t.clearance);
  auto r = q.run();
  if (!r && r.error().code == errc::conflict) return std::unexpected(token_exists(t.name));
  return r;
}

result<std::vector<audit_entry>> sqlite_accounts::list_audit(std::int64_t after_id,
                                                             std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, audit_page_entries_max);
  sqlite::query q{st_[list_audit_st]};
  q.bind_int(1, after_id).bind_int(2, static_cast<std::int64_t>(limit));
  return sqlite::collect(q, [](const sqlite::query& row) {
    return audit_entry{row.column_int(0), row.column_int(1), row.column_text(2), row.column_text(3),
                       row.column_text(4)};
  });
}

}  // namespace

result<std::unique_ptr<accounts>> open_sqlite_accounts(sqlite_store& s) {
  auto a = std::make_unique<sqlite_accounts>(s.handle(), s.journal_log());
  if (auto r = a->prepare(); !r) return std::unexpected(r.error());
  return std::unique_ptr<accounts>(std::move(a));
}

}  // namespace hotline::storage
