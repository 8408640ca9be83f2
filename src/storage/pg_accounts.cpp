// The PostgreSQL implementation of `accounts` (accounts.hpp), sharing the PostgreSQL store's
// connection; its rules are account_checks.hpp's, the same as SQLite's.
//
// A write that is one statement runs on its own and is committed (synchronous_commit on, so
// flushed) when it returns. A write of several statements, or one that journals (an audit row),
// is one transaction under the store's writer lock (pg_store::transact), so that its journal
// entry joins the one chain every node of the station extends. Other processes (`hotline user`,
// `hotline token`) write the same tables while the station runs; PostgreSQL's row locks and the
// writer lock keep them apart.
#include <algorithm>
#include <array>
#include <utility>

#include "storage/account_checks.hpp"
#include "storage/pg_store.hpp"

namespace hotline::storage {

namespace {

// Every statement, prefixed "acc_" so that no name clashes with the store's.
constexpr std::array<std::pair<const char*, const char*>, 18> statements{{
    {"acc_add_user",
     "INSERT INTO users (name, role, language, password_hash, disabled, created_at_ms,"
     " failed_attempts, locked_until_ms, clearance) VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7)"},
    {"acc_find_user",
     "SELECT name, role, language, password_hash, disabled, created_at_ms, failed_attempts,"
     " locked_until_ms, clearance FROM users WHERE name = $1"},
    {"acc_list_users",
     "SELECT name, role, language, password_hash, disabled, created_at_ms, failed_attempts,"
     " locked_until_ms, clearance FROM users ORDER BY name"},
    {"acc_set_disabled", "UPDATE users SET disabled = $2 WHERE name = $1"},
    {"acc_set_password",
     "UPDATE users SET password_hash = $2, failed_attempts = 0, locked_until_ms = 0"
     " WHERE name = $1"},
    {"acc_set_language", "UPDATE users SET language = $2 WHERE name = $1"},
    {"acc_set_clearance", "UPDATE users SET clearance = $2 WHERE name = $1"},
    {"acc_end_sessions", "DELETE FROM sessions WHERE user_name = $1"},
    // Keeps the newest $2 sessions of user $1.
    {"acc_trim_sessions",
     "DELETE FROM sessions WHERE user_name = $1 AND id_sha256 NOT IN (SELECT id_sha256 FROM"
     " sessions WHERE user_name = $1 ORDER BY created_at_ms DESC, id_sha256 LIMIT $2)"},
    {"acc_insert_session",
     "INSERT INTO sessions (id_sha256, user_name, csrf_token, created_at_ms, last_seen_ms,"
     " expires_at_ms, idle_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
    {"acc_find_session",
     "SELECT s.id_sha256, s.user_name, s.csrf_token, s.created_at_ms, s.last_seen_ms,"
     " s.expires_at_ms, s.idle_ms, u.name, u.role, u.language, u.password_hash, u.disabled,"
     " u.created_at_ms, u.failed_attempts, u.locked_until_ms, u.clearance"
     " FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.id_sha256 = $1"},
    {"acc_touch_session", "UPDATE sessions SET last_seen_ms = $2 WHERE id_sha256 = $1"},
    {"acc_delete_session", "DELETE FROM sessions WHERE id_sha256 = $1"},
    {"acc_delete_expired",
     "DELETE FROM sessions WHERE expires_at_ms <= $1 OR last_seen_ms + idle_ms <= $1"},
    {"acc_append_audit", "INSERT INTO audit (at_ms, actor, action, detail) VALUES ($1, $2, $3, $4)"},
    {"acc_list_audit",
     "SELECT id, at_ms, actor, action, detail FROM audit WHERE id > $1 ORDER BY id LIMIT $2"},
    {"acc_add_token",
     "INSERT INTO api_tokens (name, role, sha256, created_at_ms, created_by, clearance)"
     " VALUES ($1, $2, $3, $4, $5, $6)"},
    {"acc_revoke_token",
     "UPDATE api_tokens SET revoked_at_ms = $2 WHERE name = $1 AND revoked_at_ms IS NULL"},
}};
constexpr std::array<std::pair<const char*, const char*>, 2> token_reads{{
    {"acc_find_live_token",
     "SELECT id, name, role, sha256, created_at_ms, created_by, revoked_at_ms, clearance"
     " FROM api_tokens WHERE sha256 = $1 AND revoked_at_ms IS NULL"},
    {"acc_list_tokens",
     "SELECT id, name, role, sha256, created_at_ms, created_by, revoked_at_ms, clearance"
     " FROM api_tokens ORDER BY id"},
}};

// Reads the user columns of row `i` starting at `first`, checking what came off the disk.
result<user> decode_user(const pg::rows& r, int i, int first) {
  user u;
  u.name = r.get_bytes(i, first);
  u.role = r.get_bytes(i, first + 1);
  u.language = r.get_bytes(i, first + 2);
  u.password_hash = r.get_bytes(i, first + 3);
  u.disabled = r.get_int(i, first + 4) != 0;
  u.created_at_ms = r.get_int(i, first + 5);
  u.failed_attempts = r.get_int(i, first + 6);
  u.locked_until_ms = r.get_int(i, first + 7);
  u.clearance = r.get_bytes(i, first + 8);
  return checked_user_row(std::move(u));
}

result<stored_token> decode_token(const pg::rows& r, int i) {
  stored_token t;
  t.id = r.get_int(i, 0);
  t.name = r.get_bytes(i, 1);
  t.role = r.get_bytes(i, 2);
  t.sha256_hex = r.get_bytes(i, 3);
  t.created_at_ms = r.get_int(i, 4);
  t.created_by = r.get_bytes(i, 5);
  if (!r.is_null(i, 6)) t.revoked_at_ms = r.get_int(i, 6);
  t.clearance = r.get_bytes(i, 7);
  return checked_token_row(std::move(t));
}

// Every row of `r` through `decode`, or the first row's failure.
template <class T, class F>
result<std::vector<T>> collect(const pg::rows& r, F decode) {
  std::vector<T> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    auto v = decode(r, i);
    if (!v) return std::unexpected(std::move(v.error()));
    out.push_back(std::move(*v));
  }
  return out;
}

class pg_accounts final : public accounts {
 public:
  explicit pg_accounts(pg_store& s) : s_(s) {}

  result<void> prepare() {
    if (auto r = s_.add_statements(statements); !r) return r;
    return s_.add_statements(token_reads);
  }

  result<void> add_user(const user& u) override {
    if (auto ok = check_user(u); !ok) return ok;
    pg::params p;
    p.add_text(u.name)
        .add_text(u.role)
        .add_text(u.language)
        .add_text(u.password_hash)
        .add_int(u.disabled ? 1 : 0)
        .add_int(u.created_at_ms)
        .add_text(u.clearance);
    return run_unique("acc_add_user", p, [&] { return user_exists(u.name); });
  }

  result<std::optional<user>> find_user(std::string_view name) override {
    pg::params p;
    p.add_text(name);
    auto r = s_.run("acc_find_user", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() == 0) return std::optional<user>{};
    auto u = decode_user(*r, 0, 0);
    if (!u) return std::unexpected(std::move(u.error()));
    return std::optional<user>{std::move(*u)};
  }

  result<std::vector<user>> list_users() override {
    auto r = s_.run("acc_list_users", {});
    if (!r) return std::unexpected(std::move(r.error()));
    return collect<user>(*r, [](const pg::rows& rows, int i) { return decode_user(rows, i, 0); });
  }

  result<void> set_disabled(std::string_view name, bool disabled) override {
    pg::params p;
    p.add_text(name).add_int(disabled ? 1 : 0);
    return update_user("acc_set_disabled", name, p, disabled);
  }

  result<void> set_password_hash(std::string_view name, std::string_view hash) override {
    if (auto ok = check_password_hash(hash); !ok) return ok;
    pg::params p;
    p.add_text(name).add_text(hash);
    return update_user("acc_set_password", name, p, true);
  }

  result<void> set_language(std::string_view name, std::string_view language) override {
    if (auto ok = check_language(language); !ok) return ok;
    pg::params p;
    p.add_text(name).add_text(language);
    return update_user("acc_set_language", name, p, false);
  }

  result<void> set_clearance(std::string_view name, std::string_view clearance) override {
    if (auto ok = check_clearance(clearance); !ok) return ok;
    pg::params p;
    p.add_text(name).add_text(clearance);
    return update_user("acc_set_clearance", name, p, false);
  }

  result<void> create_session(const session_record& s, std::size_t per_user_max) override;
  result<std::optional<session_view>> find_session(std::string_view id_sha256) override;

  result<void> touch_session(std::string_view id_sha256, std::int64_t now_ms) override {
    pg::params p;
    p.add_text(id_sha256).add_int(now_ms);
    return done(s_.write("acc_touch_session", p));
  }

  result<void> delete_session(std::string_view id_sha256) override {
    pg::params p;
    p.add_text(id_sha256);
    return done(s_.write("acc_delete_session", p));
  }

  result<std::int64_t> delete_expired_sessions(std::int64_t now_ms) override {
    pg::params p;
    p.add_int(now_ms);
    auto r = s_.write("acc_delete_expired", p);
    if (!r) return std::unexpected(std::move(r.error()));
    return r->changed();
  }

  // The audit row and its journal entry go in one transaction.
  result<void> append_audit(const audit_entry& e) override {
    return s_.transact([&]() -> result<void> {
      pg::params p;
      p.add_int(e.at_ms).add_text(e.actor).add_text(e.action).add_text(audit_detail(e));
      if (auto r = in_transaction("acc_append_audit", p); !r) return std::unexpected(r.error());
      return s_.journal_log().append(audit_journal_entry(e));
    });
  }

  result<std::vector<audit_entry>> list_audit(std::int64_t after_id, std::size_t limit) override {
    limit = std::clamp<std::size_t>(limit, 1, audit_page_entries_max);
    pg::params p;
    p.add_int(after_id).add_int(static_cast<std::int64_t>(limit));
    auto r = s_.run("acc_list_audit", p);
    if (!r) return std::unexpected(std::move(r.error()));
    return collect<audit_entry>(*r, [](const pg::rows& rows, int i) -> result<audit_entry> {
      return audit_entry{rows.get_int(i, 0), rows.get_int(i, 1), rows.get_bytes(i, 2),
                         rows.get_bytes(i, 3), rows.get_bytes(i, 4)};
    });
  }

  result<void> add_token(const stored_token& t) override {
    if (auto ok = check_token(t); !ok) return ok;
    pg::params p;
    p.add_text(t.name)
        .add_text(t.role)
        .add_text(t.sha256_hex)
        .add_int(t.created_at_ms)
        .add_text(t.created_by)
        .add_text(t.clearance);
    return run_unique("acc_add_token", p, [&] { return token_exists(t.name); });
  }

  result<std::optional<stored_token>> find_live_token(std::string_view sha256_hex) override {
    pg::params p;
    p.add_text(sha256_hex);
    auto r = s_.run("acc_find_live_token", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->size() == 0) return std::optional<stored_token>{};
    auto t = decode_token(*r, 0);
    if (!t) return std::unexpected(std::move(t.error()));
    return std::optional<stored_token>{std::move(*t)};
  }

  result<std::vector<stored_token>> list_tokens() override {
    auto r = s_.run("acc_list_tokens", {});
    if (!r) return std::unexpected(std::move(r.error()));
    return collect<stored_token>(*r, decode_token);
  }

  result<void> revoke_token(std::string_view name, std::int64_t at_ms) override {
    pg::params p;
    p.add_text(name).add_int(at_ms);
    auto r = s_.write("acc_revoke_token", p);
    if (!r) return std::unexpected(std::move(r.error()));
    if (r->changed() != 1) return std::unexpected(no_live_token(name));
    return {};
  }

 private:
  static result<void> done(result<pg::rows>&& r) {
    if (!r) return std::unexpected(std::move(r.error()));
    return {};
  }

  // Runs an INSERT on its own; a unique violation becomes `taken()`'s refusal.
  template <class F>
  result<void> run_unique(const std::string& name, const pg::params& p, F taken) {
    auto r = s_.write(name, p);
    if (!r && r.error().code == errc::conflict) return std::unexpected(taken());
    return done(std::move(r));
  }

  result<pg::rows> in_transaction(const std::string& name, const pg::params& p) {
    return pg::exec_prepared(s_.handle(), name, p);
  }

  // Runs `statement` on one user row in a transaction, failing with errc::not_found when no row
  // changed; with `end_sessions` the user's sessions go in the same transaction.
  result<void> update_user(const std::string& statement, std::string_view name,
                           const pg::params& p, bool end_sessions) {
    return s_.transact([&]() -> result<void> {
      auto r = in_transaction(statement, p);
      if (!r) return std::unexpected(std::move(r.error()));
      if (r->changed() != 1) return std::unexpected(no_user(name));
      if (!end_sessions) return {};
      pg::params who;
      who.add_text(name);
      return done(in_transaction("acc_end_sessions", who));
    });
  }

  pg_store& s_;  // borrowed; outlives this object
};

result<void> pg_accounts::create_session(const session_record& s, std::size_t per_user_max) {
  if (auto ok = check_session(s, per_user_max); !ok) return ok;
  return s_.transact([&]() -> result<void> {
    pg::params trim;
    trim.add_text(s.user).add_int(static_cast<std::int64_t>(per_user_max - 1));
    if (auto r = in_transaction("acc_trim_sessions", trim); !r) return std::unexpected(r.error());
    pg::params p;
    p.add_text(s.id_sha256)
        .add_text(s.user)
        .add_text(s.csrf_token)
        .add_int(s.created_at_ms)
        .add_int(s.last_seen_ms)
        .add_int(s.expires_at_ms)
        .add_int(s.idle_ms);
    return done(in_transaction("acc_insert_session", p));
  });
}

result<std::optional<session_view>> pg_accounts::find_session(std::string_view id_sha256) {
  pg::params p;
  p.add_text(id_sha256);
  auto r = s_.run("acc_find_session", p);
  if (!r) return std::unexpected(std::move(r.error()));
  if (r->size() == 0) return std::optional<session_view>{};
  session_view v;
  v.session.id_sha256 = r->get_bytes(0, 0);
  v.session.user = r->get_bytes(0, 1);
  v.session.csrf_token = r->get_bytes(0, 2);
  v.session.created_at_ms = r->get_int(0, 3);
  v.session.last_seen_ms = r->get_int(0, 4);
  v.session.expires_at_ms = r->get_int(0, 5);
  v.session.idle_ms = r->get_int(0, 6);
  auto u = decode_user(*r, 0, 7);
  if (!u) return std::unexpected(std::move(u.error()));
  v.owner = std::move(*u);
  return std::optional<session_view>{std::move(v)};
}

}  // namespace

result<std::unique_ptr<accounts>> open_pg_accounts(pg_store& s) {
  auto a = std::make_unique<pg_accounts>(s);
  if (auto r = a->prepare(); !r) return std::unexpected(r.error());
  return std::unique_ptr<accounts>(std::move(a));
}

}  // namespace hotline::storage
